"""The election report and the township's roll-up (issue 17) as the township admin sees
them at 1,280 px and as they come off the printer: Chromium prints each to A4, and the
headings and every figure of their tables are read back off the paper, nothing clipped
and no word off the sheet. The election is tests/ballots/report_support.py's: two rounds,
every channel, help in writing, certified; its facilities entered by the organizer.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from app.permissions import Role
from ballots.report import FacilitiesInput, enter_facilities
from tests import factories
from tests.app.helpers import fresh_migrated_database
from tests.ballots.report_support import page_tables, reported_election
from tests.browser.conftest import ARTIFACTS, screenshot, sign_in_at
from tests.browser.printing import clipped_in_print, print_to_pdf, require_tools, words_off_the_page
from tests.browser.server import committed_session, running_app
from tests.conftest import TEST_DATABASE

pytestmark = pytest.mark.browser

PERIOD = "?from=2026-12-01&to=2026-12-31"
# How far the characters of one wrapped cell may stand apart on the paper: two lines.
SPREAD = 160


@dataclass(frozen=True)
class Server:
    base_url: str
    election_id: int
    admin: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("election-report")
    key = secrets.token_hex(32)
    with fresh_migrated_database(tmp, "election_report") as url:
        with committed_session(url, key, tmp) as (session, _settings):
            made = reported_election(session)
            enter_facilities(session, made.poll.actor, made.poll.election, FacilitiesInput(2, 1, 2))
            admin = factories.staff(Role.TOWNSHIP_ADMIN, made.poll.village, username="township")
            election_id, username = made.poll.election.id, admin.username
        with running_app(url, tmp, key, ready_path="/signin") as app:
            yield Server(app.base_url, election_id, username)


def _desk(browser: Browser, server: Server) -> Page:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    sign_in_at(page, server.base_url, server.admin, factories.PASSWORD)
    return page


def test_the_admin_finds_both_reports_at_a_desk(browser: Browser, server: Server) -> None:
    page = _desk(browser, server)
    try:
        page.goto(f"{server.base_url}/elections/{server.election_id}")
        page.get_by_role("link", name="选举情况报表（报乡镇）").click()
        page.wait_for_url(f"**/elections/{server.election_id}/report")
        rounds = page.get_by_role("table", name="各轮投票情况")
        row = rounds.get_by_role("row", name="代写的选票")
        assert row.get_by_role("cell").all_inner_texts() == ["2", "1"]
        screenshot(page, "election-report-1280")
        page.get_by_role("navigation", name="主菜单").get_by_role("link", name="选举汇总").click()
        page.get_by_label("选举日从", exact=True).fill("2026-12-01")
        page.get_by_label("到", exact=True).fill("2026-12-31")
        page.get_by_role("button", name="查看").click()
        total = page.get_by_role("table", name="参加投票的人数（第一轮）").get_by_role("row").last
        assert total.get_by_role("rowheader").inner_text() == "合计"
        # Nothing scrolls sideways at a desk: the tables fit the page.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1280
        screenshot(page, "election-report-township-1280")
    finally:
        page.context.close()


def _printed_rows(tables: dict[str, list[list[str]]]) -> list[str]:
    """What each body row says, cell by cell, as the paper must carry it."""
    return ["".join(cell.split()) for rows in tables.values() for row in rows[1:] for cell in row]


@pytest.mark.parametrize(
    ("key", "path"),
    [("election", "/elections/{id}/report/print"), ("township", "/election-report/print")],
)
def test_the_printed_report_holds_every_figure(
    browser: Browser, server: Server, tmp_path: Path, key: str, path: str
) -> None:
    require_tools()
    page = _desk(browser, server)
    url = server.base_url + path.format(id=server.election_id) + PERIOD
    try:
        printed = print_to_pdf(page, url, tmp_path / f"{key}.pdf")
        headings = page.eval_on_selector_all(
            "main h1, main h2, main caption",
            "hs => hs.filter(h => h.getClientRects().length).map(h => h.innerText.trim())",
        )
        tables = page_tables(page.content())
        clipped = clipped_in_print(page, "main")
    finally:
        page.context.close()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"print-election-report-{key}-{TEST_DATABASE}.pdf").write_bytes(
        printed.path.read_bytes()
    )
    assert clipped == [], "cut off in print:\n" + "\n".join(clipped)
    assert words_off_the_page(printed) == [], "words off the sheet"
    paper = printed.text()
    assert headings and tables
    for heading in headings:
        assert "".join(heading.split()) in paper, f"heading {heading!r} not on the paper"
    # Each cell's text stands on the paper, in the order the rows read; a cell that wraps
    # onto a second line shares those lines with its neighbours (the paper is read line by
    # line), so its characters are looked for in order, close together.
    position = 0
    for cell in _printed_rows(tables):
        found = _on_paper(paper, cell, position)
        assert found is not None, (
            f"{cell!r} not on the paper at {paper[position : position + 80]!r}"
        )
        position = found


def _on_paper(paper: str, cell: str, start: int) -> int | None:
    """Where `cell` begins on the paper at or after `start`, its characters in order within
    a few lines; None when it is not there."""
    if not cell:
        return start
    begin = paper.find(cell[0], start)
    while begin >= 0:
        at = begin
        for char in cell[1:]:
            at = paper.find(char, at + 1, begin + len(cell) + SPREAD)
            if at < 0:
                break
        else:
            return begin
        begin = paper.find(cell[0], begin + 1)
    return None
