"""Every printable page, as it comes off the printer (issue 13, "Test what is printed"). The
demo township (`cunyi demo`) has an assembly with slips, an election through to its certified
result, meetings with signed minutes, an adopted and published compact, surveys and the
year's assessment. Chromium prints each page to A4; the test reads the words back with their
boxes and fails when a heading is missing from the paper, a word leaves the sheet, or a box
cuts its text off in the print layout (a wide table in a scrolling box prints only what
shows). The QR codes on a page are decoded off a 150 dpi raster.
"""

from __future__ import annotations

import contextlib
import io
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.routing import Router

from app.accounts.models import StaffUser
from app.cli import main
from app.main import all_routes
from app.permissions import Role
from ballots.models import Election, Round, Stage
from compacts.models import Publication
from meetings.models import Meeting
from minutes.models import Minutes
from slips.models import Assembly
from surveys.models import Survey
from tests.app.helpers import fresh_migrated_database
from tests.app.test_demo import printed_signins
from tests.browser.conftest import ARTIFACTS, sign_in_at
from tests.browser.printing import (
    clipped_in_print,
    decode_qr_codes,
    print_to_pdf,
    require_tools,
    words_off_the_page,
)
from tests.browser.server import committed_session, running_app
from tests.conftest import TEST_DATABASE

pytestmark = pytest.mark.browser

# Each printable page: (route name, who prints it, how many QR codes it carries at least).
PAGES = {
    "slip-sheet": ("slips:slip_sheet", Role.ORGANIZER, 1),
    "paper-ballot": ("ballots:paper_ballot", Role.ORGANIZER, 0),
    "roll-notice": ("ballots:public_roll", None, 1),
    "candidates-notice": ("ballots:public_candidates", None, 1),
    "results-notice": ("ballots:results", None, 1),
    "meeting-notice": ("meetings:public_notice", None, 0),
    "minutes": ("minutes:print", Role.ORGANIZER, 0),
    "compact-edition": ("compacts:print", None, 0),
    "survey-results": ("surveys:results_print", Role.ORGANIZER, 0),
    "assessment-village": ("assessment:village_print", Role.TOWNSHIP_ADMIN, 0),
    "assessment-township": ("assessment:overview_print", Role.TOWNSHIP_ADMIN, 0),
    "election-report": ("ballots:report_print", Role.ORGANIZER, 0),
    "election-roll-up": ("ballots:township_report_print", Role.TOWNSHIP_ADMIN, 0),
}


@dataclass(frozen=True)
class Demo:
    base_url: str
    signins: dict[Role, tuple[str, str]]
    paths: dict[str, str]


def _paths(session: Session, organizer: str) -> dict[str, str]:
    """Each printable page's path, for the demo village of `organizer`."""
    village_id = session.scalar(select(StaffUser.village_id).where(StaffUser.username == organizer))
    assembly = session.scalar(select(Assembly.id).where(Assembly.village_id == village_id))
    election = session.scalar(
        select(Election.id).where(
            Election.village_id == village_id, Election.stage == Stage.CERTIFIED
        )
    )
    round_ = session.scalar(
        select(Round.id).where(Round.election_id == election).order_by(Round.id)
    )
    minutes = session.scalar(
        select(Minutes.meeting_id)
        .join(Meeting, Meeting.id == Minutes.meeting_id)
        .where(Meeting.village_id == village_id, Minutes.locked_at.is_not(None))
    )
    noticed = session.scalar(
        select(Meeting.id).where(
            Meeting.village_id == village_id, Meeting.notice_published_at.is_not(None)
        )
    )
    version = session.scalar(select(Publication.version_id))
    survey = session.scalar(select(Survey.id).where(Survey.village_id == village_id))
    params = {
        "slip-sheet": {"assembly_id": assembly},
        "paper-ballot": {"round_id": round_},
        "roll-notice": {"election_id": election},
        "candidates-notice": {"election_id": election},
        "results-notice": {"election_id": election},
        "meeting-notice": {"meeting_id": noticed},
        "minutes": {"meeting_id": minutes},
        "compact-edition": {"version_id": version},
        "survey-results": {"survey_id": survey},
        "assessment-village": {"village_id": village_id},
        "assessment-township": {},
        "election-report": {"election_id": election},
        "election-roll-up": {},
    }
    router = Router(routes=all_routes())
    found = {}
    for key, (name, _who, _codes) in PAGES.items():
        assert all(value is not None for value in params[key].values()), f"the demo has no {key}"
        found[key] = router.url_path_for(name, **params[key])
    return found


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    require_tools()
    tmp = tmp_path_factory.mktemp("printed")
    key = secrets.token_hex(32)
    with fresh_migrated_database(tmp, "printed") as url:
        monkeypatch = pytest.MonkeyPatch()
        monkeypatch.chdir(tmp)
        monkeypatch.setenv("CUNYI_DATABASE_URL", url)
        monkeypatch.setenv("CUNYI_DATA_DIR", str(tmp))
        monkeypatch.setenv("CUNYI_SECRET_KEY", key)
        try:
            output = io.StringIO()
            with contextlib.redirect_stdout(output):
                assert main(["demo"]) == 0
        finally:
            monkeypatch.undo()
        signins = printed_signins(output.getvalue())
        with committed_session(url, key, tmp, write=False) as (session, _settings):
            paths = _paths(session, signins[Role.ORGANIZER][0])
        with running_app(url, tmp, key, ready_path="/signin", public_host="192.0.2.10") as app:
            yield Demo(app.base_url, signins, paths)


def _signed_in(browser: Browser, demo: Demo, role: Role | None) -> Page:
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    if role is not None:
        sign_in_at(page, demo.base_url, *demo.signins[role])
    return page


@pytest.mark.parametrize("key", list(PAGES))
def test_the_printed_page_holds_everything_whole(
    browser: Browser, demo: Demo, tmp_path: Path, key: str
) -> None:
    _name, who, codes = PAGES[key]
    page = _signed_in(browser, demo, who)
    try:
        printed = print_to_pdf(page, demo.base_url + demo.paths[key], tmp_path / f"{key}.pdf")
        # The headings the printed page shows (a screen-only title is display:none).
        headings = page.eval_on_selector_all(
            "main h1, main h2",
            "hs => hs.filter(h => h.getClientRects().length).map(h => h.innerText.trim())",
        )
        clipped = clipped_in_print(page, "main")
    finally:
        page.context.close()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"print-{key}-{TEST_DATABASE}.pdf").write_bytes(printed.path.read_bytes())
    assert clipped == [], f"{key}: cut off in print"
    assert words_off_the_page(printed) == [], f"{key}: words off the sheet"
    paper = printed.text()
    # Slips are cut apart: the sheet's title is for the screen (tests/browser/
    # test_slip_sheet_print.py checks each slip's own text).
    assert headings or key == "slip-sheet", f"{key}: no heading to print"
    for heading in headings:
        assert "".join(heading.split()) in paper, f"{key}: heading {heading!r} not on the paper"
    if codes:
        assert len(decode_qr_codes(printed, tmp_path)) >= codes, f"{key}: a QR code did not decode"
