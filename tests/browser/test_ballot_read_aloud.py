"""The ballot read aloud in Chromium at 360 px: the villager's ballot shows a plain player
under the seats, and the browser loads the recording espeak-ng and opusenc made (Ogg
Opus) and knows how long it plays. No script of the page's own runs.

Needs espeak-ng and opusenc (scripts/ensure-espeak.sh); skipped without them.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from app.actors import SYSTEM
from ballots.setup.speech import SpeechEngine, keep_audio, opus_seconds, synthesize, words_of
from slips.links import slip_token
from slips.services import issue_slips
from tests.app.helpers import fresh_migrated_database
from tests.ballots import factories_elections as fe
from tests.browser.conftest import PHONE_WIDTH, screenshot
from tests.browser.server import committed_session, running_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        shutil.which("espeak-ng") is None or shutil.which("opusenc") is None,
        reason="espeak-ng and opusenc are not installed (scripts/ensure-espeak.sh installs them)",
    ),
]

# Loads the player's recording (the page itself says preload="none") and reports what
# the browser made of it: how long it plays, or the media error code.
LOAD = """player => new Promise(done => {
    player.addEventListener("loadedmetadata", () => done({seconds: player.duration}));
    player.addEventListener("error", () => done({error: player.error && player.error.code}));
    player.preload = "auto";
    player.load();
})"""


def _seed(url: str, key: str, tmp: Path) -> tuple[str, float]:
    """An open election of three candidates, its ballot read aloud, one voter's slip."""
    with committed_session(url, key, tmp) as (session, settings):
        v = fe.voting(session, voters=1)
        words = words_of(v.election, v.round, list(fe.CANDIDATES))
        audio = synthesize(SpeechEngine("espeak-ng"), words)
        keep_audio(session, v.round.id, words, audio)
        (slip,) = issue_slips(session, SYSTEM, v.assembly, [v.people[0].id], settings=settings)
        ballot = f"/s/{slip_token(settings, slip)}/b/{v.round.id}/{v.entries[0].id}"
        return ballot, opus_seconds(audio)


@pytest.fixture(scope="module")
def ballot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, float]]:
    tmp = tmp_path_factory.mktemp("read-aloud")
    key = secrets.token_hex(32)
    with fresh_migrated_database(tmp, "read_aloud") as url:
        path, seconds = _seed(url, key, tmp)
        with running_app(url, tmp, key, ready_path="/s") as app:
            yield app.base_url + path, seconds


def test_the_phone_ballot_plays_the_ballot_read_aloud(page: Page, ballot) -> None:
    url, seconds = ballot
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    response = page.goto(url)
    assert response is not None and response.status == 200
    player = page.locator("p.read-aloud audio[controls]")
    assert player.is_visible()
    box = player.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE_WIDTH
    assert page.get_by_role("link", name="听选票朗读").is_visible()
    screenshot(page, "ballot-read-aloud-360")
    assert scripts == []
    assert player.evaluate("p => p.canPlayType('audio/ogg; codecs=opus')") == "probably"
    loaded = player.evaluate(LOAD)
    assert "error" not in loaded, loaded
    assert abs(loaded["seconds"] - seconds) < 0.2, loaded
