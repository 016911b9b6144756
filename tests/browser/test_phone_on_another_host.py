"""A phone is not the server (issue 13, "Test it from another host"). The test makes a second
host: a network namespace joined to this one by a veth pair, as a phone on the village
hotspot is joined to the laptop. The server listens on its address on that link, with
CUNYI_PUBLIC_URL set to it; the organizer prints the slip sheet to A4 in Chromium; a slip's
QR code is decoded off the raster; inside the namespace, a client opens that link and votes.
The vote is in the round's box when two tellers open it. From the namespace the server's
loopback address, which a sheet printed on the laptop itself would carry, opens nothing.

Needs root (network namespaces) and iproute2; skipped with the reason otherwise. CI runs as
root. Nothing leaves this machine: the namespace has no other link and no route out.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from sqlalchemy import select

from app.actors import SYSTEM
from app.registry.models import Person
from app.registry.rules import today_in_china
from app.settings import PROJECT_ROOT
from ballots.models import Ballot, Receipt, Round
from ballots.results import services as results
from slips.links import slip_short_code
from slips.services import issue_slips
from tests.app.helpers import fresh_migrated_database
from tests.ballots import factories_elections as fe
from tests.browser.conftest import create_organizer, sign_in_at
from tests.browser.printing import Region, decode_regions, print_to_pdf, require_tools
from tests.browser.server import committed_session, running_app

pytestmark = pytest.mark.browser

ORGANIZER_PASSWORD = "netns-test-" + secrets.token_hex(6)
CLIENT = Path(__file__).with_name("phone_client.py")
MM = 72 / 25.4


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=30)


@dataclass(frozen=True)
class Link:
    namespace: str
    server_address: str  # the laptop's end of the veth pair


@pytest.fixture(scope="module")
def hotspot() -> Iterator[Link]:
    """A namespace with a veth pair to this host on 10.231.N.0/30, removed afterwards."""
    if os.geteuid() != 0:
        pytest.skip("needs root to make a network namespace (CI runs as root)")
    if shutil.which("ip") is None:
        pytest.skip("iproute2 (`ip`) is not installed")
    tag = secrets.token_hex(3)
    namespace, laptop, phone = f"cunyi-phone-{tag}", f"cvl{tag}", f"cvp{tag}"
    subnet = 16 + secrets.randbelow(200)
    server, client = f"10.231.{subnet}.1", f"10.231.{subnet}.2"
    made = _ip("netns", "add", namespace, check=False)
    if made.returncode != 0:
        pytest.skip(f"cannot make a network namespace here: {made.stderr.strip()}")
    try:
        _ip("link", "add", laptop, "type", "veth", "peer", "name", phone)
        _ip("link", "set", phone, "netns", namespace)
        _ip("addr", "add", f"{server}/30", "dev", laptop)
        _ip("link", "set", laptop, "up")
        _ip("-n", namespace, "addr", "add", f"{client}/30", "dev", phone)
        _ip("-n", namespace, "link", "set", phone, "up")
        _ip("-n", namespace, "link", "set", "lo", "up")
        yield Link(namespace, server)
    finally:
        _ip("link", "del", laptop, check=False)
        _ip("netns", "del", namespace, check=False)


@dataclass(frozen=True)
class Election:
    base_url: str
    port: int
    database_url: str
    sheet_path: str
    voter: str
    code: str  # the voter's short code, where the slip is on the sheet
    round_id: int


@pytest.fixture(scope="module")
def election(hotspot: Link, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Election]:
    require_tools()
    tmp = tmp_path_factory.mktemp("netns")
    key = secrets.token_hex(32)
    with fresh_migrated_database(tmp, "netns") as url:
        with committed_session(url, key, tmp) as (session, settings):
            v = fe.voting(session, voters=3)
            create_organizer(session, v.village, ORGANIZER_PASSWORD)
            first, *_others = issue_slips(session, SYSTEM, v.assembly, settings=settings)
            voter = session.get(Person, first.person_id)
            assert voter is not None
            seeded = (
                f"/assemblies/{v.assembly.id}/slips/sheet",
                voter.name,
                slip_short_code(settings, first),
                v.round.id,
            )
        with running_app(
            url,
            tmp,
            key,
            ready_path="/s",
            listen=hotspot.server_address,
            public_host=hotspot.server_address,
        ) as app:
            yield Election(app.base_url, app.port, url, *seeded)


def _phone(hotspot: Link, link: str) -> subprocess.CompletedProcess[str]:
    """The client inside the namespace (the phone), voting for 李四 through `link`."""
    return subprocess.run(
        ["ip", "netns", "exec", hotspot.namespace, sys.executable, str(CLIENT), link, "李四"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=60,
        check=False,
    )


def test_a_vote_from_another_host_through_the_printed_qr_code_is_counted(
    browser: Browser, hotspot: Link, election: Election, tmp_path: Path
) -> None:
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        sign_in_at(page, election.base_url, "organizer", ORGANIZER_PASSWORD)
        printed = print_to_pdf(page, election.base_url + election.sheet_path, tmp_path / "s.pdf")
    finally:
        context.close()
    (code,) = printed.find(election.code)
    slip = Region(code.page, code.x0 - 4 * MM, code.y0 - 40 * MM, code.x0 + 40 * MM, code.y0)
    ((link,),) = decode_regions(printed, [slip], tmp_path)
    assert link.startswith(f"http://{hotspot.server_address}:{election.port}/s/")

    # The laptop's own loopback address opens nothing on the phone.
    stranded = _phone(hotspot, link.replace(hotspot.server_address, "127.0.0.1"))
    assert stranded.returncode == 1 and "refused" in stranded.stderr.lower(), stranded.stderr

    voted = _phone(hotspot, link)
    assert voted.returncode == 0, voted.stderr
    receipt = voted.stdout.strip()

    with committed_session(election.database_url) as (session, _settings):
        round_ = session.get(Round, election.round_id)
        assert round_ is not None
        results.close_voting(session, SYSTEM, round_, today_in_china())
        assert fe.open_box(session, round_) == 1
        marks = list(session.scalars(select(Ballot.marks)))
        receipts = list(session.scalars(select(Receipt.code)))
    assert marks == ['["李四"]'] and receipts == [receipt]
