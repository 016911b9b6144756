"""A villager votes on a 360px phone in Chromium through the link of their QR slip, and
reads the receipt. No script runs on these pages; a second visit says "已投票". The ballot
stays sealed in the round's box until, voting closed, two tellers open it on the round
page; then the ballot and that receipt are there.

The server is the real app in its own process, on its own fresh database in which an
election is already open (the set-up stages take weeks by law, so they are skipped).
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import select

from app.actors import SYSTEM
from app.sealed_box import services as sealed_box
from app.sealed_box.models import SealedChoice
from ballots.models import Ballot, Receipt
from slips.links import slip_token
from slips.services import issue_slips
from tests import factories
from tests.app.helpers import fresh_migrated_database
from tests.ballots import factories_elections as fe
from tests.browser.conftest import PHONE_WIDTH, create_organizer, screenshot
from tests.browser.server import ServerProcess, committed_session, running_app
from tests.sealed_box_support import box_holders, password_of

pytestmark = pytest.mark.browser

VOTER = "王秀兰"
ORGANIZER_PASSWORD = "voting-test-" + secrets.token_hex(6)


@dataclass(frozen=True)
class VotingServer:
    base_url: str
    database_url: str
    link: str  # what the villager's QR code holds
    voter: str
    slip_page: str  # the organizer's page of that slip, with its QR code
    round_page: str
    tellers: tuple[tuple[str, str, str], ...]  # the box's holders: username, name, box password
    process: ServerProcess

    def log(self) -> str:
        return self.process.tail()


@dataclass(frozen=True)
class Seeded:
    token: str
    slip_page: str
    round_page: str
    tellers: tuple[tuple[str, str, str], ...]


def _seed(url: str, key: str, tmp: Path) -> Seeded:
    """An open director election at an assembly (its box sealed, three tellers holding
    it), three voters, one slip."""
    with committed_session(url, key, tmp) as (session, settings):
        v = fe.voting(session, voters=3)
        v.people[0].name = VOTER
        create_organizer(session, v.village, ORGANIZER_PASSWORD)
        (slip,) = issue_slips(session, SYSTEM, v.assembly, [v.people[0].id], settings=settings)
        holders = box_holders(session, sealed_box.ELECTION_ROUND, v.round.id)
        return Seeded(
            slip_token(settings, slip),
            f"/assemblies/{v.assembly.id}/slips/{slip.id}",
            f"/rounds/{v.round.id}",
            tuple((h.username, h.display_name, password_of(i)) for i, h in enumerate(holders)),
        )


@pytest.fixture(scope="module")
def voting_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VotingServer]:
    tmp = tmp_path_factory.mktemp("voting")
    key = secrets.token_hex(32)
    with fresh_migrated_database(tmp, "voting") as url:
        seeded = _seed(url, key, tmp)
        with running_app(url, tmp, key, ready_path="/s") as app:
            link = f"{app.base_url}/s/{seeded.token}"
            yield VotingServer(
                app.base_url,
                url,
                link,
                VOTER,
                seeded.slip_page,
                seeded.round_page,
                seeded.tellers,
                app.process,
            )


def _stored(url: str) -> tuple[list[str], list[str]]:
    with committed_session(url, write=False) as (session, _settings):
        return list(session.scalars(select(Ballot.marks))), list(
            session.scalars(select(Receipt.code))
        )


def _sealed(url: str) -> int:
    with committed_session(url, write=False) as (session, _settings):
        return len(list(session.scalars(select(SealedChoice.id))))


def _signed_in(browser: Browser, server: VotingServer, username: str, password: str) -> Page:
    """A staff member's browser (a laptop at the count), signed in."""
    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(server.base_url + "/signin")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(server.base_url + "/")
    return page


def _fits(page: Page) -> None:
    assert int(page.evaluate("document.documentElement.scrollWidth")) <= PHONE_WIDTH


def test_a_villager_votes_on_a_phone_and_reads_the_receipt(
    page: Page, browser: Browser, voting_server: VotingServer
) -> None:
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)

    response = page.goto(voting_server.link)  # what scanning the slip's QR code opens
    assert response is not None and response.status == 200, voting_server.log()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert f"{voting_server.voter}，您好" in page.inner_text("main")
    _fits(page)
    screenshot(page, "voting-slip-360")
    page.get_by_role("link", name="去投票").click()

    choice = page.get_by_label("李四")
    assert choice.is_visible()
    box = page.locator("label", has_text="李四").bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= PHONE_WIDTH * 0.8
    _fits(page)
    screenshot(page, "voting-ballot-360")
    # Two ticks where one seat is elected: the server refuses and says so.
    page.locator("label", has_text="张三").click()
    choice.check()
    page.get_by_role("button", name="下一步：核对").click()
    assert "最多只能选 1 人，您选了 2 人" in page.inner_text("main")
    page.get_by_label("张三").uncheck()
    page.get_by_role("button", name="下一步：核对").click()

    assert page.get_by_role("heading", name="请核对您的选票").is_visible()
    assert "李四" in page.inner_text("main")
    _fits(page)
    page.get_by_role("button", name="确认投票").click()

    assert page.get_by_role("heading", name="投票成功").is_visible()
    receipt = page.locator("#receipt").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", receipt)
    _fits(page)
    screenshot(page, "voting-receipt-360")
    # Sealed in the round's box: nothing readable is stored yet.
    assert _sealed(voting_server.database_url) == 1
    assert _stored(voting_server.database_url) == ([], [])

    page.goto(voting_server.link)
    assert "已投票" in page.inner_text("main")
    assert page.get_by_role("link", name="去投票").count() == 0
    assert scripts == []

    # Voting closes; two of the three tellers type their box passwords on the round page.
    organizer = _signed_in(browser, voting_server, "organizer", ORGANIZER_PASSWORD)
    try:
        organizer.goto(voting_server.base_url + voting_server.round_page)
        organizer.get_by_role("button", name="结束投票，开始计票").click()
        # A step that says what ending the vote does, and that it cannot be undone.
        confirm = organizer.locator("section.confirm")
        assert "现在已有 1 人投票" in confirm.inner_text()
        assert "不能重新打开" in confirm.inner_text()
        organizer.get_by_role("button", name="确认结束投票").click()
        assert "请监计票人开箱" in organizer.inner_text("main")
    finally:
        organizer.context.close()
    (username, _name, _password), *openers = voting_server.tellers
    teller = _signed_in(browser, voting_server, username, factories.PASSWORD)
    try:
        teller.goto(voting_server.base_url + voting_server.round_page)
        for _username, name, password in openers[:2]:
            teller.get_by_label(f"{name} 的开箱密码").fill(password)
        teller.locator("#open-box").get_by_role("button", name="开箱").click()
        assert "票箱已打开：取出 1 张网上选票" in teller.inner_text("main")
        assert teller.locator("#open-box").count() == 0
    finally:
        teller.context.close()
    assert _sealed(voting_server.database_url) == 0
    assert _stored(voting_server.database_url) == (['["李四"]'], [receipt])


def test_the_printed_qr_code_holds_the_slip_link(
    browser: Browser, voting_server: VotingServer, tmp_path: Path
) -> None:
    """Read the QR code off the organizer's slip page as a phone camera would (zbar)."""
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        pytest.skip("zbarimg not installed (apt-get install zbar-tools)")
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(voting_server.base_url + "/signin")
        page.get_by_label("用户名").fill("organizer")
        page.get_by_label("密码").fill(ORGANIZER_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(voting_server.base_url + "/")
        page.goto(voting_server.base_url + voting_server.slip_page)
        image = tmp_path / "slip-qr.png"
        page.locator("svg.qr").screenshot(path=str(image))
    finally:
        context.close()
    read = subprocess.run(
        [zbarimg, "--raw", "-q", str(image)], capture_output=True, text=True, check=False
    )
    assert read.stdout.strip() == voting_server.link
