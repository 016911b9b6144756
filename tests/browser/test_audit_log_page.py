"""Issue 13, "Raw ids shown to people": the audit log at a desk's 1,280 px.

The server runs the demo township, whose first village has lived through a year
(elections, meetings, a compact, surveys), plus two entries with long summaries: a roll
file with a long name and its hash, and a deactivation with a long note. The township
admin opens the log: every action is named in words (the raw name only in its title and
under 原始记录), every summary is a list of labelled fields, the filter offers the names,
and neither the page nor the table scrolls sideways, not even with every raw record open.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

import app.main  # noqa: F401  (imports every package's audit labels, as the server does)
from app.actors import SYSTEM
from app.audit.labels import ACTION_LABELS
from app.audit.services import record
from app.demo import build_demo
from app.registry.models import Person, Village
from tests.app.helpers import fresh_migrated_database
from tests.browser.conftest import screenshot, sign_in_at
from tests.browser.server import committed_session, running_app

pytestmark = pytest.mark.browser

DESK_WIDTH = 1280
LONG_FILENAME = "taoyuan_village_roll_2026_final_revised_after_the_township_check_v3.xlsx"
LONG_NOTE = (
    "本人书面申请迁出本村，户口已于本月迁往县城，经村委会核实并在村务公开栏公示七天无异议。"
    "联系人电话和新住址已登记在纸质档案里，如需核对请找村委会文书。"
) * 2


@dataclass(frozen=True)
class AuditServer:
    base_url: str
    password: str

    def url(self, path: str) -> str:
        return self.base_url + path


@pytest.fixture(scope="module")
def audit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuditServer]:
    tmp = tmp_path_factory.mktemp("audit-log")
    key = secrets.token_hex(32)
    with fresh_migrated_database(tmp, "audit_log") as url:
        with committed_session(url, key, tmp) as (session, settings):
            signins = build_demo(session, settings)
            village = session.scalars(select(Village).where(Village.name == "桃源村")).one()
            person = session.scalars(select(Person).where(Person.village_id == village.id)).first()
            assert person is not None
            record(
                session,
                SYSTEM,
                "roll.upload",
                "roll_import",
                1,
                {"filename": LONG_FILENAME, "sha256": secrets.token_hex(32), "bytes": 48213},
                village_id=village.id,
            )
            record(
                session,
                SYSTEM,
                "person.deactivate",
                "person",
                person.id,
                {
                    "roll_number": person.roll_number,
                    "name": person.name,
                    "reason": "moved_away",
                    "reason_text": "迁出本村",
                    "note": LONG_NOTE,
                    "changes": {"active": [True, False]},
                },
                village_id=village.id,
            )
        admin = next(s for s in signins if s.username == "admin")
        with running_app(url, tmp, key, ready_path="/signin") as server:
            yield AuditServer(server.base_url, admin.password)


@pytest.fixture
def desk_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": DESK_WIDTH, "height": 900})
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def _sign_in(page: Page, server: AuditServer) -> None:
    sign_in_at(page, server.url(""), "admin", server.password)


def _fits(page: Page) -> None:
    """Neither the page nor the log's table scrolls sideways."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= DESK_WIDTH, f"the page is {width} px wide at a {DESK_WIDTH} px window"
    table = page.locator(".table-wrap").evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert table[0] <= table[1], f"the log's table scrolls sideways: {table}"


def _reads_in_words(page: Page) -> None:
    """No action shows its raw name (each keeps it in its title), and every summary
    field on the page has a name (its raw key is its title)."""
    shown = page.locator("main").inner_text()
    raw_names = [action for action in ACTION_LABELS if action in shown]
    assert raw_names == [], f"raw action names on {page.url}: {raw_names}"
    titles = page.locator("td.action span").evaluate_all("spans => spans.map(s => s.title)")
    assert set(titles) <= set(ACTION_LABELS), set(titles) - set(ACTION_LABELS)
    unnamed = page.locator("dl.audit-summary dt").evaluate_all(
        "dts => dts.filter(d => d.textContent === d.title && !/^\\d+$/.test(d.title))"
        ".map(d => d.title)"
    )
    assert unnamed == [], f"summary fields without a name on {page.url}: {unnamed}"


def test_the_log_names_every_action_and_fits_a_desk(
    desk_page: Page, audit_server: AuditServer
) -> None:
    page = desk_page
    _sign_in(page, audit_server)
    page.goto(audit_server.url("/audit"))
    rows = page.locator("table.audit tbody tr")
    expect(rows).to_have_count(50)

    # The newest entries are the long ones, in words.
    deactivation, upload = rows.nth(0), rows.nth(1)
    expect(deactivation.locator("td.action")).to_have_text("注销村民")
    expect(deactivation.locator("td.object")).to_contain_text("村民 #")
    expect(deactivation.locator("td.summary > dl")).to_contain_text("迁出本村")
    expect(deactivation.locator("td.summary > dl")).to_contain_text("是 → 否")
    expect(upload.locator("td.action")).to_have_text("上传花名册文件")
    expect(upload.locator("td.summary > dl")).to_contain_text("文件名")

    _reads_in_words(page)
    # ... nor does the filter: it offers names, its values stay the raw ones.
    options = page.locator("#f-action option")
    values = options.evaluate_all("os => os.map(o => o.value)")[1:]
    texts = options.all_inner_texts()[1:]
    assert values and set(values) <= set(ACTION_LABELS)
    assert not set(texts) & set(ACTION_LABELS), set(texts) & set(ACTION_LABELS)
    _fits(page)
    screenshot(page, "audit-log-desk")

    # 原始记录: the entry as stored, one click away; open, it still fits.
    raw = deactivation.locator("details.audit-raw")
    raw.locator("summary").click()
    expect(raw.locator("code").first).to_have_text("person.deactivate")
    stored = json.loads(raw.locator("code").nth(2).inner_text())
    assert stored["note"] == LONG_NOTE
    page.locator("details.audit-raw").evaluate_all("ds => ds.forEach(d => { d.open = true })")
    _fits(page)
    screenshot(page, "audit-log-desk-raw-open")

    # Every page of the demo's year reads in words and fits, raw records open or not.
    pages = int(page.locator(".pager span").inner_text().split("/")[1].split()[0])
    assert pages > 1
    for number in range(2, pages + 1):
        page.goto(audit_server.url(f"/audit?page={number}"))
        _reads_in_words(page)
        _fits(page)
        page.locator("details.audit-raw").evaluate_all("ds => ds.forEach(d => { d.open = true })")
        _fits(page)


def test_the_filter_picks_an_action_by_its_name(desk_page: Page, audit_server: AuditServer) -> None:
    page = desk_page
    _sign_in(page, audit_server)
    page.goto(audit_server.url("/audit"))
    page.get_by_label("操作", exact=True).select_option(label="计票并当场公布结果")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**/audit?action=election.announce*")
    rows = page.locator("table.audit tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td.action")).to_have_text("计票并当场公布结果")
    expect(rows.first.locator("td.object")).to_contain_text("选举轮次 #")
    expect(page.get_by_label("操作", exact=True)).to_have_value("election.announce")
    _fits(page)
    # A prefix of raw names picks a whole area: the compact's year, nested figures and all.
    page.goto(audit_server.url("/audit?action=compact."))
    expect(page.locator("td.action", has_text="记下村民会议对公约的表决")).to_have_count(1)
    adoption = page.locator(
        "tr", has=page.locator("td.action", has_text="记下村民会议对公约的表决")
    )
    expect(adoption.locator("dd dl.audit-summary")).to_contain_text("赞成")
    _reads_in_words(page)
    _fits(page)
    screenshot(page, "audit-log-desk-compact")
