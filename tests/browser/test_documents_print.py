"""The documents a village posts, as they come off the printer (issue 14): the compact's A4
edition reads as an official village document, and long minutes break across pages
without a heading stranded at a page's foot, their signature dates filled in. Chromium
prints each page to an A4 PDF; the words are read back with their boxes (pdftotext -bbox).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy.orm import Session

from app.actors import actor_for
from app.db import utcnow
from app.templating import written_date
from compacts.adoption import services as adoption
from compacts.versions.services import freeze_version, save_draft
from minutes import services as minutes_services
from minutes import signing
from tests import factories
from tests.app.helpers import fresh_migrated_database
from tests.browser.conftest import ARTIFACTS, sign_in_at
from tests.browser.printing import (
    Printed,
    Word,
    clipped_in_print,
    print_to_pdf,
    require_tools,
    words_off_the_page,
)
from tests.browser.server import committed_session, running_app
from tests.compacts import adoption_support
from tests.conftest import TEST_DATABASE
from tests.minutes import support as minutes_support

pytestmark = pytest.mark.browser

VILLAGE = "柳溪村"
COMPACT = """全体村民共同商议，制定本公约。
# 总则
## 目的
为了倡导文明婚育新风，建设和睦家庭和文明村庄，结合本村实际，制定本公约。
## 自愿平等
婚育是家庭自己的事，由夫妻双方平等协商、自主决定，任何人不得干涉或施加压力。
# 家庭与邻里
## 男女平等
男孩女孩一样好。女儿和儿子平等享有继承、赡养、分配等权利。
## 尊老爱幼
子女应当关心、照顾老人；家庭成员之间互相尊重，不打骂孩子。
# 附则
## 施行
本公约经村民会议通过，报乡镇人民政府备案后公布施行。
"""
# Notes long enough that eight agenda items run over several A4 pages.
NOTES = "\n".join(
    f"{name}发言：同意这项安排，建议把时间、地点和分工写清楚，会后在村务公开栏公布。"
    for name in ("张建国", "李秀英", "王德明", "赵桂兰", "刘海", "陈玉梅", "杨光", "周红")
)
ITEMS = 8


@dataclass(frozen=True)
class Documents:
    base_url: str
    edition: str
    minutes: str
    signer: tuple[str, str]
    signed_on: str  # the date both signatures carry, as printed


def _edition(session: Session) -> str:
    book = adoption_support.book(session)
    book.village.name = VILLAGE
    save_draft(session, book.actor, book.compact, COMPACT)
    version = freeze_version(session, book.actor, book.compact, "")
    adoption_support.publish(session, book, version)
    return f"/public/compacts/versions/{version.id}/print"


def _minutes(session: Session) -> tuple[str, str]:
    village = factories.VillageFactory()
    host, recorder = minutes_support.staff_pair(village)
    meeting = minutes_support.meeting(session, village, host, recorder)
    notes = {}
    for position in range(1, ITEMS + 1):
        item = minutes_support.item(session, meeting, f"议题{position}", position=position)
        minutes_support.closed_motion(
            session, item, members=40, present=31, yes=25, no=4, abstain=2
        )
        notes[item.id] = NOTES
    minutes_services.save_notes(session, actor_for(recorder), recorder, meeting, notes)
    for signer in (host, recorder):
        signing.sign(session, signer, meeting, factories.PASSWORD)
    return f"/meetings/{meeting.id}/minutes/print", host.username


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Documents]:
    require_tools()
    tmp = tmp_path_factory.mktemp("documents")
    key = secrets.token_hex(32)
    with fresh_migrated_database(tmp, "documents") as url:
        with committed_session(url, key, tmp) as (session, _settings):
            edition = _edition(session)
            minutes, host = _minutes(session)
            signed_on = written_date(utcnow())
        with running_app(url, tmp, key, ready_path="/signin") as app:
            yield Documents(app.base_url, edition, minutes, (host, factories.PASSWORD), signed_on)


def _printed(page: Page, url: str, path: Path, name: str) -> Printed:
    printed = print_to_pdf(page, url, path)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"print-{name}-{TEST_DATABASE}.pdf").write_bytes(path.read_bytes())
    return printed


def _line_of(printed: Printed, text: str) -> list[Word]:
    """The words of the printed line that reads `text` (one line, joined without spaces)."""
    lines: dict[tuple[int, float], list[Word]] = {}
    for word in printed.words:
        lines.setdefault((word.page, round(word.y0)), []).append(word)
    for words in lines.values():
        if "".join(w.text for w in sorted(words, key=lambda w: w.x0)) == text:
            return sorted(words, key=lambda w: w.x0)
    raise AssertionError(f"{text!r} is not a line of the printed page")


def _after(a: list[Word], b: list[Word]) -> bool:
    return (a[0].page, a[0].y0) > (b[0].page, b[0].y0)


def test_the_compact_edition_reads_as_a_posted_village_document(
    browser: Browser, documents: Documents, tmp_path: Path
) -> None:
    page = browser.new_context(locale="zh-CN").new_page()
    try:
        printed = _printed(
            page, documents.base_url + documents.edition, tmp_path / "edition.pdf", "edition"
        )
        clipped = clipped_in_print(page, "main")
        title_size = page.eval_on_selector("h1", "h => parseFloat(getComputedStyle(h).fontSize)")
        text_size = page.eval_on_selector(
            ".article p", "p => parseFloat(getComputedStyle(p).fontSize)"
        )
    finally:
        page.context.close()
    assert clipped == [] and words_off_the_page(printed) == []
    # The title: centred on the sheet, larger than the text.
    title = _line_of(printed, "村规民约")
    middle = (title[0].x0 + title[-1].x1) / 2
    assert abs(middle - printed.page_width / 2) < 6, (middle, printed.page_width)
    assert title_size >= 1.5 * text_size
    clause = _line_of(printed, "男孩女孩一样好。女儿和儿子平等享有继承、赡养、分配等权利。")
    assert (title[0].y1 - title[0].y0) > 1.5 * (clause[0].y1 - clause[0].y0)
    # No platform numbering in the body: the version is named only in the footnote.
    paper = printed.text()
    body = paper.split("本文本为平台保存的", 1)
    assert len(body) == 2 and "第1版" not in body[0] and "版" not in body[0].split("总则", 1)[1]
    assert "本文本为平台保存的第1版" in paper
    # The closing block: the village committee and the date, after the last article,
    # right-aligned as a posted document ends.
    last = _line_of(printed, "本公约经村民会议通过，报乡镇人民政府备案后公布施行。")
    committee = _line_of(printed, f"{VILLAGE}村民委员会")
    day = _line_of(printed, written_date(adoption.today()))
    assert _after(committee, last) and _after(day, committee)
    right_edge = printed.page_width - 15 / 25.4 * 72  # the 15 mm margin of app.css's @page
    for line in (committee, day):
        assert abs(line[-1].x1 - right_edge) < 6
        assert line[0].x0 > printed.page_width / 2
    assert "村民会议通过）" in paper  # the adoption under the title, as regulations print it


def test_long_minutes_strand_no_heading_and_print_the_signature_dates(
    browser: Browser, documents: Documents, tmp_path: Path
) -> None:
    page = browser.new_context(locale="zh-CN").new_page()
    try:
        sign_in_at(page, documents.base_url, *documents.signer)
        printed = _printed(
            page, documents.base_url + documents.minutes, tmp_path / "minutes.pdf", "minutes"
        )
        headings = page.eval_on_selector_all(
            "main h1, main h2, main h3, main h4, main h5",
            "hs => hs.map(h => h.innerText.replace(/\\s+/g, ''))",
        )
        clipped = clipped_in_print(page, "main")
    finally:
        page.context.close()
    assert clipped == [] and words_off_the_page(printed) == []
    assert printed.pages >= 3, printed.pages
    # The last line of every page but the last is never a heading: not "讨论记录", not an
    # agenda item's title, not a section's.
    stranded = ["讨论记录", "出席情况", "议程", *(f"第{n}项：议题{n}" for n in range(1, ITEMS + 1))]
    for number in range(1, printed.pages):
        words = [w for w in printed.words if w.page == number]
        bottom = max(w.y1 for w in words)
        last_line = "".join(w.text for w in sorted(words, key=lambda w: w.x0) if w.y1 > bottom - 4)
        assert not any(last_line.startswith(h) for h in stranded), (number, last_line)
    assert headings.count("讨论记录") == ITEMS  # headings, so the print rules hold them
    # Both signed: each block carries its date, no blank line for the pen.
    paper = printed.text(printed.pages)
    assert paper.count("已在平台上签名确认") == 2
    assert paper.count("日期：" + documents.signed_on) == 2
