"""Issue 6, "Done when": the village report and the township overview render in Chromium,
in print, and as .xlsx and CSV that open with the same numbers.

The server runs the demo township, whose first village has lived through this year
(app.demo.planning). The township admin opens both reports on a desk-sized screen, reads
every percentage off the page, downloads the CSV and the .xlsx through the page's own
links and finds the same figures in them, then prints both reports to A4 PDFs.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page

from app.demo import build_demo
from app.registry.models import Village
from app.registry.rules import today_in_china
from tests.app.helpers import fresh_migrated_database
from tests.browser.conftest import screenshot
from tests.browser.server import ServerProcess, committed_session, running_app

pytestmark = pytest.mark.browser

PERCENT = re.compile(r"^(\d+(?:\.\d)?)%$")


@dataclass(frozen=True)
class DemoServer:
    base_url: str
    village_id: int
    password: str
    year: int
    process: ServerProcess

    def url(self, path: str) -> str:
        return self.base_url + path


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    tmp = tmp_path_factory.mktemp("assessment")
    key = secrets.token_hex(32)
    with fresh_migrated_database(tmp, "assessment") as url:
        with committed_session(url, key, tmp) as (session, settings):
            signins = build_demo(session, settings)
            village = session.query(Village).filter_by(name="桃源村").one()
            village_id = village.id
        admin = next(s for s in signins if s.username == "admin")
        with running_app(url, tmp, key, ready_path="/signin") as app:
            yield DemoServer(
                app.base_url, village_id, admin.password, today_in_china().year, app.process
            )


@pytest.fixture
def desk_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def _sign_in(page: Page, server: DemoServer) -> None:
    page.goto(server.url("/signin"))
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(server.password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(server.url("/"))


def _percent(text: str) -> Fraction | None:
    """ "85.0%" → 85.0 as a Fraction; "无数据" → None."""
    match = PERCENT.match(text.strip())
    return Fraction(match.group(1)) if match else None


def _standards_on_page(page: Page) -> dict[str, str]:
    """Each standard's title → the measured value as the page shows it."""
    rows = page.locator("table.standards tbody tr")
    shown = {}
    for index in range(rows.count()):
        row = rows.nth(index)
        title = row.locator("th").inner_text().strip()
        shown[title] = row.locator("td").nth(0).inner_text().strip()
    return shown


def _download(page: Page, link_text: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_text).click()
    path = info.value.path()
    assert path is not None
    return Path(path).read_bytes()


def _csv_values(data: bytes, titles: set[str]) -> dict[str, str]:
    """The first cell after each title's row label in the CSV (a BOM for Excel first)."""
    assert data.startswith(b"\xef\xbb\xbf"), "CSV lacks the BOM Excel needs for Chinese"
    found: dict[str, str] = {}
    for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))):
        if row and row[0] in titles and row[0] not in found and len(row) > 1:
            found[row[0]] = row[1]
    return found


def _xlsx_values(data: bytes, titles: set[str]) -> dict[str, object]:
    book = load_workbook(io.BytesIO(data))
    found: dict[str, object] = {}
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            if row and row[0] in titles and row[0] not in found and len(row) > 1:
                found[str(row[0])] = row[1]
    return found


def _same_number(page_text: str, other: object) -> bool:
    expected = _percent(page_text)
    if expected is None:
        return other in (None, "", "无数据")
    if isinstance(other, str):
        return _percent(other) == expected
    assert isinstance(other, int | float), other
    # .xlsx keeps the exact share (0.8523…); the page shows it to one decimal place.
    return abs(Fraction(other) * 100 - expected) <= Fraction(1, 20)


def _verdict_lines(page: Page) -> dict[str, int]:
    """Each verdict cell's text -> the most lines it takes on the page (1: never broken)."""
    return page.evaluate(
        """() => {
          const lines = {};
          for (const cell of document.querySelectorAll("td.col-status")) {
            const range = document.createRange();
            range.selectNodeContents(cell);
            const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
            const text = cell.textContent.trim();
            lines[text] = Math.max(lines[text] || 0, tops.size);
          }
          return lines;
        }"""
    )


def _print_to_pdf(page: Page, name: str) -> bytes:
    page.emulate_media(media="print")
    assert not page.locator("nav.nav").is_visible(), "the menu must not be printed"
    pdf = page.pdf(format="A4", print_background=False)
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= pages <= 12, pages
    screenshot(page, name)
    page.emulate_media(media="screen")
    return pdf


def test_village_report_page_csv_xlsx_and_print_agree(desk_page: Page, demo_server: DemoServer):
    page = desk_page
    _sign_in(page, demo_server)
    page.goto(
        demo_server.url(f"/villages/{demo_server.village_id}/assessment?year={demo_server.year}")
    )
    shown = _standards_on_page(page)
    assert len(shown) >= 6, shown
    # The demo village answered both surveys: every survey standard has a number.
    numbers = {title: value for title, value in shown.items() if _percent(value) is not None}
    assert len(numbers) >= 6, shown
    chart = page.locator("svg[role=img]").first
    box = chart.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 50
    assert chart.locator("rect").count() >= len(numbers)

    from_csv = _csv_values(_download(page, "下载 CSV"), set(shown))
    from_xlsx = _xlsx_values(_download(page, "下载 Excel（.xlsx）"), set(shown))
    for title, value in shown.items():
        assert _same_number(value, from_csv.get(title)), (title, value, from_csv.get(title))
        assert _same_number(value, from_xlsx.get(title)), (title, value, from_xlsx.get(title))

    # "未达标" stays on one line at 1,280 px and in print (issue 14).
    assert "未达标" in _verdict_lines(page), "the demo village should fail a standard"
    assert set(_verdict_lines(page).values()) == {1}
    page.emulate_media(media="print")
    assert set(_verdict_lines(page).values()) == {1}
    page.emulate_media(media="screen")
    _print_to_pdf(page, "assessment-village-print")
    page.get_by_role("link", name="打印版（A4）").click()
    assert _standards_on_page(page) == shown
    _print_to_pdf(page, "assessment-village-print-page")


def test_township_overview_page_csv_xlsx_and_print_agree(desk_page: Page, demo_server: DemoServer):
    page = desk_page
    _sign_in(page, demo_server)
    page.goto(demo_server.url(f"/assessment?year={demo_server.year}"))
    # Both villages appear, the one without surveys as 无数据 and never as a pass.
    body = page.locator("main").inner_text()
    assert "桃源村" in body and "柳溪村" in body
    assert "无数据" in body
    charts = page.locator("svg[role=img]")
    assert charts.count() >= 1
    box = charts.first.bounding_box()
    assert box is not None and box["width"] > 200

    table = page.locator("table.figures-table").first
    rows = table.locator("tbody tr")
    shown = {}
    for index in range(rows.count()):
        cells = rows.nth(index).locator("th, td")
        shown[cells.nth(0).inner_text().strip()] = [
            cells.nth(i).inner_text().strip() for i in range(1, cells.count())
        ]
    assert shown, "the overview's first table is empty"

    csv_text = _download(page, "下载 CSV").decode("utf-8-sig")
    csv_rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(csv_text)) if row}
    book = load_workbook(io.BytesIO(_download(page, "下载 Excel（.xlsx）")))
    first_sheet = {
        str(row[0]): list(row[1:])
        for row in book.worksheets[0].iter_rows(values_only=True)
        if row and row[0] is not None
    }
    for title, cells in shown.items():
        assert title in csv_rows and title in first_sheet, title
        for index, text in enumerate(cells):
            if _percent(text) is not None:
                assert _same_number(text, csv_rows[title][index]), (title, text)
                assert _same_number(text, first_sheet[title][index]), (title, text)
            elif text.isdigit():
                assert csv_rows[title][index] == text
                assert first_sheet[title][index] == int(text)

    _print_to_pdf(page, "assessment-overview-print")
    page.get_by_role("link", name="打印版（A4）").click()
    assert "桃源村" in page.locator("main").inner_text()
    _print_to_pdf(page, "assessment-overview-print-page")
