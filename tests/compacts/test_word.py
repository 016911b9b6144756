"""Compacts and Word files (issue 14): an organizer imports a draft written in Word and
downloads any version as a .docx that Word (here python-docx) opens."""

from __future__ import annotations

import io
import zipfile
from urllib.parse import unquote

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.actors import actor_for
from app.audit.models import AuditEntry
from app.permissions import Role
from compacts.models import Compact, Draft
from compacts.text import Structure, parse
from compacts.versions.services import create_compact, draft_of, freeze_version, save_draft
from compacts.versions.word import MAX_DOCX_BYTES, WordFileError, read_docx
from tests import factories
from tests.conftest import post_form, sign_in
from tests.html import soup

# The compact as the organizer typed it in Word: a title, a preamble, three chapters and
# six articles, numbered by hand in Chinese numerals and digits, some as Word headings.
TITLE = "柳溪村村规民约"
PREAMBLE = "为了建设和睦家庭、文明村庄，全体村民共同商议，制定本公约。"
CHAPTERS = [
    ("总则", [("目的", ["为了倡导文明婚育新风，结合本村实际，制定本公约。"]),
             ("", ["婚育是家庭自己的事，由夫妻双方平等协商、自主决定。", "任何人不得干涉。"])]),
    ("家庭与邻里", [("男女平等", ["男孩女孩一样好。"]),
                  ("尊老爱幼", ["子女应当关心、照顾老人。"]),
                  ("", ["邻里之间互相帮助，有困难的家庭，大家伸把手。"])]),
    ("附则", [("施行", ["本公约经村民会议通过，报乡镇人民政府备案后公布施行。"])]),
]  # fmt: skip
NUMERALS = "一二三四五六"


def word_file() -> bytes:
    """The organizer's .docx, built with python-docx as Word would save it."""
    document = Document()
    document.add_paragraph(TITLE).alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph(PREAMBLE)
    number = 0
    for index, (chapter, articles) in enumerate(CHAPTERS):
        heading = f"第{NUMERALS[index]}章 {chapter}"
        if index == 1:
            document.add_paragraph(heading)  # typed as plain text
        else:
            document.add_heading(heading, level=1)
        for title, clauses in articles:
            number += 1
            label = f"第{NUMERALS[number - 1]}条" if number % 2 else f"第{number}条"
            if title:
                document.add_heading(f"{label} {title}", level=2)
                rest = clauses
            else:  # the first clause right after the number, as regulations are written
                document.add_paragraph(f"{label}　{clauses[0]}")
                rest = clauses[1:]
            for clause in rest:
                document.add_paragraph(clause)
    document.add_paragraph("柳溪村村民委员会").alignment = WD_ALIGN_PARAGRAPH.RIGHT
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def expected_structure() -> list[tuple[int, str, list[tuple[int, str, list[str]]]]]:
    numbered = []
    number = 0
    for index, (chapter, articles) in enumerate(CHAPTERS, start=1):
        rows = []
        for title, clauses in articles:
            number += 1
            rows.append((number, title, clauses))
        numbered.append((index, chapter, rows))
    return numbered


def outline(structure: Structure) -> list[tuple[int, str, list[tuple[int, str, list[str]]]]]:
    return [
        (
            c.number,
            c.title,
            [(a.number, a.title, list(a.clauses)) for a in structure.articles_of(c.number)],
        )
        for c in structure.chapters
    ]


def _organizer_with_compact(db: Session, client: TestClient) -> Compact:
    village = factories.VillageFactory(name="柳溪村")
    organizer = factories.staff(Role.ORGANIZER, village)
    sign_in(client, organizer.username)
    return create_compact(db, actor_for(organizer), village, TITLE)


def _upload(client: TestClient, compact: Compact, content: bytes, name: str = "公约.docx"):  # type: ignore[no-untyped-def]
    return post_form(
        client,
        f"/compacts/{compact.id}/draft/import",
        {},
        page=f"/compacts/{compact.id}/draft",
        files={"word_file": (name, content, "application/octet-stream")},
    )


def test_a_word_file_with_three_chapters_and_six_articles_imports_into_the_draft(
    db: Session, client: TestClient
) -> None:
    compact = _organizer_with_compact(db, client)
    before = draft_of(db, compact).source  # the model text the compact started with

    review = _upload(client, compact, word_file())
    assert review.status_code == 200
    page = soup(review.text)
    notice = page.select_one("#imported")
    assert notice is not None
    assert "读出 3 章 6 条，还没有保存" in notice.get_text()
    assert "会替换现在保存的草稿" in notice.get_text()
    assert [li.get_text() for li in notice.select(".left-out li")] == [TITLE, "柳溪村村民委员会"]
    # Shown for review, not saved: the stored draft is still the model text.
    db.expire_all()
    assert draft_of(db, compact).source == before
    # The preview shows the platform's numbering of what was read.
    preview = [h.get_text() for h in page.select(".compact-text h2, .compact-text h3")]
    assert preview[:3] == ["第一章 总则", "第一条 目的", "第二条"]
    textarea = page.select_one("textarea#f-source")
    assert textarea is not None

    # The organizer checks it and saves the draft from the same page.
    saved = post_form(
        client, f"/compacts/{compact.id}/draft", {"source": textarea.get_text()}, page=None
    )
    assert saved.status_code == 303
    db.expire_all()
    structure = parse(draft_of(db, compact).source)
    assert structure.preamble == (PREAMBLE,)
    assert outline(structure) == expected_structure()
    assert [a.label for a in structure.articles] == [f"第{n}条" for n in NUMERALS]


def test_import_into_an_empty_draft_says_nothing_is_replaced(
    db: Session, client: TestClient
) -> None:
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    sign_in(client, organizer.username)
    compact = create_compact(db, actor_for(organizer), village, TITLE, from_model=False)
    review = _upload(client, compact, word_file())
    assert review.status_code == 200
    notice = soup(review.text).select_one("#imported")
    assert notice is not None and "会替换" not in notice.get_text()


def _zip(parts: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _no_articles() -> bytes:
    document = Document()
    document.add_paragraph("村里开会的通知")
    document.add_paragraph("明天上午九点在村委会开会。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


BAD_UPLOADS = {
    "empty": (b"", "请先选择要导入的 Word 文件"),
    "not-a-docx": ("第一条 这是纯文本".encode(), "这不是 Word（.docx）文件"),
    "old-doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "另存为"),
    "too-large": (b"PK" + b"\0" * (MAX_DOCX_BYTES + 1), "最大 5 MB"),
    "zip-bomb": (_zip({"word/document.xml": b"<" + b" " * (60 * 1024 * 1024)}), "解压后太大了"),
    "a-spreadsheet": (_zip({"[Content_Types].xml": b"<Types/>"}), "Word"),
    "no-articles": (_no_articles(), "没有找到条文"),
}


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
def test_a_bad_upload_is_explained_beside_the_field_and_nothing_is_written(
    db: Session, client: TestClient, case: str
) -> None:
    compact = _organizer_with_compact(db, client)
    before = draft_of(db, compact).source
    audited = db.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    content, message = BAD_UPLOADS[case]
    refused = _upload(client, compact, content, name="公约.docx")
    assert refused.status_code == 422
    error = soup(refused.text).select_one("#e-word_file")
    assert error is not None and message in error.get_text(), refused.text[-800:]
    field = soup(refused.text).select_one("#f-word_file")
    assert field is not None and field.get("aria-invalid") == "true"
    db.expire_all()
    assert draft_of(db, compact).source == before
    assert db.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) == audited


def test_read_docx_refuses_a_huge_part_in_a_small_file() -> None:
    bomb = _zip({"word/document.xml": b"a" * (2 * 1024 * 1024)})
    with pytest.raises(WordFileError):
        read_docx(bomb)


def test_a_version_downloads_as_a_word_file_with_the_same_articles(
    db: Session, client: TestClient
) -> None:
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    compact = create_compact(db, actor_for(organizer), village, TITLE, from_model=False)
    save_draft(db, actor_for(organizer), compact, read_docx(word_file()).source)
    version = freeze_version(db, actor_for(organizer), compact, "")
    sign_in(client, organizer.username)

    page = soup(client.get(f"/compacts/versions/{version.id}").text)
    link = page.find("a", string="下载 Word 文件")
    assert link is not None
    download = client.get(str(link["href"]))
    assert download.status_code == 200
    assert download.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=")
    assert "filename*=UTF-8''" in disposition
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == f"{TITLE}（第1版）.docx"

    document = Document(io.BytesIO(download.content))
    paragraphs = [p.text for p in document.paragraphs]
    expected = [TITLE, PREAMBLE]
    for chapter_number, chapter, articles in expected_structure():
        expected.append(f"第{NUMERALS[chapter_number - 1]}章\u3000{chapter}")
        for number, title, clauses in articles:
            label = f"第{NUMERALS[number - 1]}条"
            expected.append(f"{label}\u3000{title}" if title else label)
            expected.extend(clauses)
    assert paragraphs == expected
    assert document.paragraphs[0].style is not None
    assert document.paragraphs[0].style.name == "Title"
    assert "第 1 版" in document.sections[0].footer.paragraphs[0].text
    # Read back into a draft, the downloaded file gives the same text.
    assert read_docx(download.content).structure == parse(version.source)


def test_only_staff_who_may_read_the_compact_download_it(db: Session, client: TestClient) -> None:
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    compact = create_compact(db, actor_for(organizer), village, TITLE)
    version = freeze_version(db, actor_for(organizer), compact, "")
    assert client.get(f"/compacts/versions/{version.id}/docx").status_code in (302, 303, 401)
    other = factories.VillageFactory()
    sign_in(client, factories.staff(Role.ORGANIZER, other).username)
    assert client.get(f"/compacts/versions/{version.id}/docx").status_code == 404
    assert db.scalar(select(Draft.id).where(Draft.compact_id == compact.id)) is not None


# Word's automatic numbering: the number is drawn from the list's level ("第%1条"), not
# stored in the paragraph's text.
NUMBERING = (
    '<w:abstractNum xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    ' w:abstractNumId="90"><w:lvl w:ilvl="0"><w:start w:val="1"/>'
    '<w:numFmt w:val="chineseCounting"/><w:lvlText w:val="第%1章"/></w:lvl>'
    '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>'
    '<w:lvlText w:val="第%2条"/></w:lvl></w:abstractNum>',
    '<w:abstractNum xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    ' w:abstractNumId="91"><w:lvl w:ilvl="0"><w:start w:val="1"/>'
    '<w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl></w:abstractNum>',
    '<w:num xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    ' w:numId="90"><w:abstractNumId w:val="90"/></w:num>',
    '<w:num xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    ' w:numId="91"><w:abstractNumId w:val="91"/></w:num>',
)


def _in_list(paragraph, num_id: str, level: str) -> None:  # type: ignore[no-untyped-def]
    properties = paragraph._p.get_or_add_pPr()
    properties.append(
        parse_xml(
            f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/>'
            f'<w:numId w:val="{num_id}"/></w:numPr>'
        )
    )


def auto_numbered_word_file() -> bytes:
    """Chapters and articles numbered by Word's list (第%1章 / 第%2条) with nothing typed
    before the titles; one article's clauses in a "1." list, which stays as clauses."""
    document = Document()
    numbering = document.part.numbering_part.element
    for xml in NUMBERING:
        element = parse_xml(xml)
        if element.tag.endswith("abstractNum"):
            numbering.insert(0, element)  # abstract definitions come before the nums
        else:
            numbering.append(element)
    document.add_paragraph(TITLE).alignment = WD_ALIGN_PARAGRAPH.CENTER
    _in_list(document.add_heading("总则", level=1), "90", "0")
    _in_list(document.add_paragraph("目的"), "90", "1")
    document.add_paragraph("为了倡导文明婚育新风，制定本公约。")
    _in_list(
        document.add_paragraph("婚育是家庭自己的事，由夫妻双方平等协商、自主决定。"), "90", "1"
    )
    _in_list(document.add_heading("家庭与邻里", level=1), "90", "0")
    _in_list(document.add_paragraph("尊老爱幼"), "90", "1")
    _in_list(document.add_paragraph("子女应当关心老人。"), "91", "0")
    _in_list(document.add_paragraph("邻里之间互相帮助。"), "91", "0")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_articles_numbered_by_words_automatic_list_are_read() -> None:
    imported = read_docx(auto_numbered_word_file())
    assert outline(imported.structure) == [
        (1, "总则", [(1, "目的", ["为了倡导文明婚育新风，制定本公约。"]),
                     (2, "", ["婚育是家庭自己的事，由夫妻双方平等协商、自主决定。"])]),
        (2, "家庭与邻里", [(3, "尊老爱幼", ["子女应当关心老人。", "邻里之间互相帮助。"])]),
    ]  # fmt: skip
    assert imported.left_out == (TITLE,)
