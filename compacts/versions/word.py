"""The compact as a Word file (.docx, python-docx): a draft read from the file organizers
wrote in Word, and a version written out for them to print or edit.

Reading recognizes paragraphs that start with a chapter number ("第一章 总则", "第3章") or
an article number ("第三条 ……", "第12条"), Chinese numerals or digits, whether the writer
styled them as headings or typed them as plain text. What follows an article number is its
title when the paragraph is a heading (or is short and has no sentence punctuation), else
the article's first clause; every later paragraph is one more clause. Paragraphs before
the first number are the preamble, except the document's title (and a line in brackets
under it, "（××年×月×日村民会议通过）") and a right-aligned closing block, which are left
out and listed for the organizer to see. The numbers themselves are dropped: the platform
numbers chapters and articles in order (compacts.text).

Word's automatic numbering counts too: a paragraph in a list whose level reads "第%1条"
(or "第%1章") is not typed out in its text, so the level's pattern is looked up in the
file's numbering definitions, through the paragraph's own list or its style's.

The file is checked before python-docx opens it: its size, and its zip parts' count and
inflated size (a small file can expand to gigabytes).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Pt, RGBColor
from docx.text.paragraph import Paragraph

from app.errors import DomainError
from app.i18n import lazy
from compacts.text import Article, Structure, clean_source, parse
from compacts.versions.services import MAX_SOURCE_CHARS

MAX_DOCX_BYTES = 5 * 1024 * 1024
MAX_DOCX_ENTRIES = 500
MAX_DOCX_INFLATED = 50 * 1024 * 1024
# A part larger than this that inflates more than MAX_DOCX_RATIO times is a zip bomb.
RATIO_CHECKED_FROM = 1024 * 1024
MAX_DOCX_RATIO = 100
DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

_NUMERAL = "0-9０-９一二三四五六七八九十百千零〇两"
_NUMBERED = re.compile(
    rf"^第[ \u3000]*([{_NUMERAL}]+)[ \u3000]*([章条])(?:[ \t\u3000:：、.．]+|$)(.*)$"
)
# Also "第一条【目的】……" and "第一章" right against its title ("第一章总则").
_NUMBERED_TIGHT = re.compile(rf"^第([{_NUMERAL}]+)([章条])(.*)$")
_BRACKETED_TITLE = re.compile(r"^[【〔\[]([^】〕\]]{1,30})[】〕\]][ \u3000]*(.*)$")
_SENTENCE_END = "。；;！!？?：:，,"
_TITLE_WORDS = ("章程", "公约", "民约", "规约", "条例", "办法", "制度", "规定")
_BRACKETED_LINE = re.compile(r"^[（(].*[）)]$")
MAX_ARTICLE_TITLE = 20


class WordFileError(DomainError):
    status_code = 422
    title = lazy("这个 Word 文件不能导入")


@dataclass(frozen=True)
class Imported:
    """What a Word file holds, as draft text, before anything is saved."""

    source: str
    structure: Structure
    left_out: tuple[str, ...] = ()  # the title and closing lines, not part of the text
    tables: int = 0  # tables in the file, which are not imported


# --- reading ------------------------------------------------------------------------------


def _check_archive(content: bytes) -> None:
    if not content:
        raise WordFileError(lazy("请先选择要导入的 Word 文件（.docx）。"))
    if len(content) > MAX_DOCX_BYTES:
        raise WordFileError(
            lazy(
                "这个文件有 %(size)s MB，最大 %(max)s MB。请删掉文件里的图片，或把文字复制到一个新建的 Word 文件里再上传。"
            ),
            size=f"{len(content) / 1024 / 1024:.1f}",
            max=MAX_DOCX_BYTES // (1024 * 1024),
        )
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as error:
        raise _not_docx() from error
    inflated = sum(entry.file_size for entry in entries)
    bomb = any(
        e.file_size > RATIO_CHECKED_FROM and e.file_size > MAX_DOCX_RATIO * max(e.compress_size, 1)
        for e in entries
    )
    if len(entries) > MAX_DOCX_ENTRIES or inflated > MAX_DOCX_INFLATED or bomb:
        raise WordFileError(
            lazy(
                "这个 Word 文件解压后太大了（约 %(size)s MB，最多 %(max)s MB），不像是一份公约文本。请把文字复制到一个新建的 Word 文件里，保存后再上传。"
            ),
            size=f"{inflated / 1024 / 1024:.0f}",
            max=MAX_DOCX_INFLATED // (1024 * 1024),
        )


def _not_docx() -> WordFileError:
    return WordFileError(
        lazy(
            "这不是 Word（.docx）文件。如果是老版本的 .doc 或 WPS 文件，请在 Word 或 WPS 里“另存为” .docx 格式后再上传。"
        )
    )


def _style_name(paragraph: Paragraph) -> str:
    style = paragraph.style
    return (style.name or "").lower() if style is not None else ""


def _is_heading(paragraph: Paragraph) -> bool:
    return _style_name(paragraph).startswith(("heading", "title", "标题"))


def _aligned(paragraph: Paragraph, alignment: WD_ALIGN_PARAGRAPH) -> bool:
    return paragraph.alignment == alignment


def _looks_like_title(paragraph: Paragraph, text: str) -> bool:
    """The document's own title line (the platform prints the compact's title itself)."""
    if _is_heading(paragraph) or _aligned(paragraph, WD_ALIGN_PARAGRAPH.CENTER):
        return True
    return len(text) <= 40 and text.endswith(_TITLE_WORDS)


def _numbered(text: str) -> tuple[str, str] | None:
    """("章" or "条", the rest of the line) when the line starts with a number."""
    match = _NUMBERED.match(text) or _NUMBERED_TIGHT.match(text)
    if match is None:
        return None
    return match.group(2), match.group(3).strip(" \t\u3000")


def _article_start(rest: str, heading: bool) -> tuple[str, str]:
    """The article's (title, first clause) from what follows its number."""
    bracketed = _BRACKETED_TITLE.match(rest)
    if bracketed is not None:
        return bracketed.group(1).strip(), bracketed.group(2).strip()
    if heading:
        return rest, ""
    if len(rest) <= MAX_ARTICLE_TITLE and not rest.endswith(tuple(_SENTENCE_END)):
        return rest, ""
    return "", rest


_LEVEL_NUMBER = re.compile(r"%[1-9]")


class _ListLabels:
    """What Word's automatic numbering puts before a paragraph when it is an article's or a
    chapter's number, in the shape of its level's pattern ("第%1条" → "第一条"): enough to
    tell an article or a chapter, since the platform numbers them itself."""

    def __init__(self, document: WordDocument) -> None:
        self.patterns: dict[tuple[str, str], str] = {}
        try:
            numbering = document.part.numbering_part.element
        except (KeyError, NotImplementedError):  # a file without numbering definitions
            return
        abstract = {
            node.get(qn("w:abstractNumId")): node for node in numbering.findall(qn("w:abstractNum"))
        }
        for num in numbering.findall(qn("w:num")):
            link = num.find(qn("w:abstractNumId"))
            definition = abstract.get(link.get(qn("w:val"))) if link is not None else None
            if definition is None:
                continue
            for level in definition.findall(qn("w:lvl")):
                text = level.find(qn("w:lvlText"))
                if text is not None and text.get(qn("w:val")):
                    key = (num.get(qn("w:numId")) or "", level.get(qn("w:ilvl")) or "0")
                    self.patterns[key] = text.get(qn("w:val")) or ""

    @staticmethod
    def _list_of(element: BaseOxmlElement | None) -> tuple[str, str] | None:
        properties = element.find(qn("w:pPr")) if element is not None else None
        number = properties.find(qn("w:numPr")) if properties is not None else None
        if number is None:
            return None
        num_id = number.find(qn("w:numId"))
        level = number.find(qn("w:ilvl"))
        value = num_id.get(qn("w:val")) if num_id is not None else None
        if not value or value == "0":  # numId 0 switches a style's numbering off
            return None
        return value, (level.get(qn("w:val")) if level is not None else None) or "0"

    def label(self, paragraph: Paragraph) -> str:
        if not self.patterns:
            return ""
        found = self._list_of(paragraph._p)
        style = paragraph.style
        if found is None and style is not None:
            found = self._list_of(style.element)
        pattern = self.patterns.get(found) if found is not None else None
        label = _LEVEL_NUMBER.sub("一", pattern).strip() if pattern else ""
        # Only an article's or a chapter's number; "1." or "（一）" lists are clauses.
        return label if _numbered(label) is not None else ""


class _Reader:
    def __init__(self, labels: _ListLabels) -> None:
        self.labels = labels
        self.lines: list[str] = []
        self.left_out: list[str] = []
        self.started = False  # a chapter or an article has been read
        self.titled = False  # the document's title has been seen

    def paragraph(self, paragraph: Paragraph) -> None:
        label = self.labels.label(paragraph)
        for index, raw in enumerate(paragraph.text.replace("\t", " ").split("\n")):
            text = raw.strip(" \u3000")
            if index == 0 and label and text and _numbered(text) is None:
                text = f"{label} {text}"  # the number Word draws but does not store
            if text:
                self.line(paragraph, text)

    def line(self, paragraph: Paragraph, text: str) -> None:
        numbered = _numbered(text)
        if numbered is not None:
            kind, rest = numbered
            self.started = True
            if kind == "章":
                self.lines.append(f"# {rest}".rstrip())
                return
            title, first = _article_start(rest, _is_heading(paragraph))
            self.lines.append(f"## {title}".rstrip())
            if first:
                self.lines.append(first)
            return
        if not self.started and not self.lines and self._title_block(paragraph, text):
            return
        if self.started and _aligned(paragraph, WD_ALIGN_PARAGRAPH.RIGHT):
            self.left_out.append(text)  # the closing signature and date
            return
        self.lines.append(text)

    def _title_block(self, paragraph: Paragraph, text: str) -> bool:
        if not self.titled and _looks_like_title(paragraph, text):
            self.titled = True
            self.left_out.append(text)
            return True
        if self.titled and _BRACKETED_LINE.match(text):
            self.left_out.append(text)
            return True
        return False


def read_docx(content: bytes) -> Imported:
    """The draft text a .docx holds. Raises WordFileError with what to do."""
    _check_archive(content)
    try:
        document = Document(io.BytesIO(content))
    except ValueError as error:  # a macro document (.docm), a template, a spreadsheet ...
        raise _not_docx() from error
    except Exception as error:
        # python-docx and lxml raise many kinds of errors on a damaged file; all mean one.
        raise WordFileError(
            lazy("这个 Word 文件打不开，可能已损坏。请在 Word 里重新保存后再上传。")
        ) from error
    reader = _Reader(_ListLabels(document))
    for paragraph in document.paragraphs:
        reader.paragraph(paragraph)
    source = clean_source("\n".join(reader.lines))
    if len(source) > MAX_SOURCE_CHARS:
        raise WordFileError(lazy("公约文本太长了，最多 5 万字。请删去重复或多余的内容后再上传。"))
    structure = parse(source)
    if not structure.articles or not reader.started:
        raise WordFileError(
            lazy(
                "文件里没有找到条文。每一条要以“第一条”“第二条”这样的条号开头，每一章以“第一章”这样的章号开头，请改好后再上传。"
            )
        )
    return Imported(source, structure, tuple(reader.left_out), len(document.tables))


# --- writing ------------------------------------------------------------------------------


def _chinese_fonts(document: WordDocument) -> None:
    """Song for the text and Hei for the headings, in black, as village documents are."""
    styles = document.styles
    for name, font, size in (
        ("Normal", "宋体", 12),
        ("Title", "黑体", 22),
        ("Heading 1", "黑体", 15),
        ("Heading 2", "黑体", 12),
    ):
        style = styles[name]
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)


def _article(document: WordDocument, article: Article) -> None:
    label = article.label + ("\u3000" + article.title if article.title else "")
    document.add_paragraph(label, style="Heading 2")
    for clause in article.clauses:
        document.add_paragraph(clause)


def write_docx(title: str, structure: Structure, footer: str) -> bytes:
    """The text as a Word document: the title, the preamble, each chapter with its
    articles ("第一条 目的" as a heading, then its clauses); `footer` on every page."""
    document = Document()
    _chinese_fonts(document)
    document.core_properties.title = title
    heading = document.add_paragraph(title, style="Title")
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for line in structure.preamble:
        document.add_paragraph(line)
    for article in structure.articles_of(0) if structure.chapters else structure.articles:
        _article(document, article)
    for chapter in structure.chapters:
        name = f"{chapter.label}\u3000{chapter.title}".strip()
        document.add_paragraph(name, style="Heading 1").alignment = WD_ALIGN_PARAGRAPH.CENTER
        for article in structure.articles_of(chapter.number):
            _article(document, article)
    document.sections[0].footer.paragraphs[0].text = footer
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
