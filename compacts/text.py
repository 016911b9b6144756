"""The compact's text: parse the plain editor text into chapters, articles and clauses,
and render it as inert HTML.

The syntax, kept small enough to explain on one line of the editor page:

- a line starting with "# " is a chapter heading (章), e.g. "# 总则";
- a line starting with "## " starts an article (条); the title after it is optional;
- every other non-empty line is one clause (款) of the current article;
- lines before the first heading form the preamble (序言).

Numbers are the platform's: "第一章", "第三条" are assigned in order (articles run on
across chapters, as in Chinese regulations). A number the writer typed anyway
("# 第一章 总则", "## 第5条") is dropped, so renumbering never leaves stale numbers.
A clause written after a chapter heading but before any "## " opens an untitled article,
so no text is ever lost. Full-width "＃" counts as "#" (Chinese input methods type it).

Nothing is Markdown beyond the headings: links, images, HTML and entities are shown
exactly as typed, escaped, so the text can never run or load anything.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

_HEADING = re.compile(r"^(#{1,2})(?:[ \t\u3000]+(.*))?$")
_TYPED_NUMBER = re.compile(
    r"^第[0-9０-９一二三四五六七八九十百千零〇两]+[章条][ \t\u3000:：、.．]*"
)
# Control characters (other than tab) have no place in a published text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 15 -> 十五, 20 -> 二十, 105 -> 一百零五 (up to 9999)."""
    if n <= 0:
        return str(n)
    if n >= 10000:
        return str(n)
    parts: list[str] = []
    zero_pending = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = (n // value) % 10
        if digit == 0:
            zero_pending = bool(parts)
            continue
        if zero_pending:
            parts.append("零")
            zero_pending = False
        parts.append(_DIGITS[digit] + unit)
    text = "".join(parts)
    # 十五, not 一十五 (only when ten is the leading unit)
    return text[1:] if text.startswith("一十") else text


@dataclass(frozen=True)
class Chapter:
    number: int
    title: str

    @property
    def label(self) -> str:
        return f"第{chinese_number(self.number)}章"


@dataclass(frozen=True)
class Article:
    number: int
    title: str
    clauses: tuple[str, ...]
    chapter: int = 0  # 0 when the text has no chapters

    @property
    def key(self) -> str:
        """How comments and filing orders name the article."""
        return str(self.number)

    @property
    def label(self) -> str:
        return f"第{chinese_number(self.number)}条"

    @property
    def text(self) -> str:
        """Title and clauses, one per line: what the diff compares."""
        lines = ([self.title] if self.title else []) + list(self.clauses)
        return "\n".join(lines)


@dataclass(frozen=True)
class Structure:
    preamble: tuple[str, ...] = ()
    chapters: tuple[Chapter, ...] = ()
    articles: tuple[Article, ...] = field(default_factory=tuple)

    def article(self, key: str) -> Article | None:
        return next((a for a in self.articles if a.key == key), None)

    def articles_of(self, chapter: int) -> list[Article]:
        return [a for a in self.articles if a.chapter == chapter]

    def to_json(self) -> str:
        data = {
            "preamble": list(self.preamble),
            "chapters": [{"number": c.number, "title": c.title} for c in self.chapters],
            "articles": [
                {
                    "number": a.number,
                    "title": a.title,
                    "clauses": list(a.clauses),
                    "chapter": a.chapter,
                }
                for a in self.articles
            ],
        }
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> Structure:
        data: dict[str, Any] = json.loads(raw)
        return cls(
            preamble=tuple(data.get("preamble", [])),
            chapters=tuple(Chapter(c["number"], c["title"]) for c in data.get("chapters", [])),
            articles=tuple(
                Article(a["number"], a["title"], tuple(a["clauses"]), a.get("chapter", 0))
                for a in data.get("articles", [])
            ),
        )


def clean_source(source: str) -> str:
    """Line endings unified, control characters removed, trailing spaces trimmed."""
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def _heading(line: str) -> tuple[int, str] | None:
    normalized = line.replace("＃", "#")
    match = _HEADING.match(normalized)
    if match is None:
        return None
    title = _TYPED_NUMBER.sub("", (match.group(2) or "").strip()).strip()
    return len(match.group(1)), title


class _Builder:
    def __init__(self) -> None:
        self.preamble: list[str] = []
        self.chapters: list[Chapter] = []
        self.articles: list[Article] = []
        self.open: tuple[str, list[str]] | None = None  # the article being read

    def close_article(self) -> None:
        if self.open is not None:
            title, clauses = self.open
            chapter = self.chapters[-1].number if self.chapters else 0
            self.articles.append(Article(len(self.articles) + 1, title, tuple(clauses), chapter))
            self.open = None

    def heading(self, level: int, title: str) -> None:
        self.close_article()
        if level == 1:
            self.chapters.append(Chapter(len(self.chapters) + 1, title))
        else:
            self.open = (title, [])

    def clause(self, text: str) -> None:
        if self.open is not None:
            self.open[1].append(text)
        elif not self.chapters and not self.articles:
            self.preamble.append(text)
        else:
            self.open = ("", [text])


def parse(source: str) -> Structure:
    """The structure of the editor text (see the module docstring for the syntax)."""
    builder = _Builder()
    for raw in clean_source(source).split("\n"):
        line = raw.strip(" \t\u3000")
        if not line:
            continue
        heading = _heading(line)
        if heading is not None:
            builder.heading(*heading)
        else:
            builder.clause(line)
    builder.close_article()
    return Structure(tuple(builder.preamble), tuple(builder.chapters), tuple(builder.articles))


# --- rendering ----------------------------------------------------------------------------


def render_article(article: Article, *, anchor_prefix: str = "art-") -> Markup:
    """One article as HTML; every piece of the writer's text escaped."""
    heading = escape(article.label)
    if article.title:
        heading = heading + Markup(" ") + escape(article.title)
    clauses = Markup("").join(Markup("<p>%s</p>") % clause for clause in article.clauses)
    return Markup('<section class="article" id="%s%s"><h3>%s</h3>%s</section>') % (
        anchor_prefix,
        article.key,
        heading,
        clauses,
    )


def render_structure(structure: Structure) -> Markup:
    """The whole text: preamble, then chapters with their articles (or articles alone)."""
    parts: list[Markup] = [Markup("<p>%s</p>") % line for line in structure.preamble]
    if not structure.chapters:
        parts.extend(render_article(a) for a in structure.articles)
    else:
        parts.extend(render_article(a) for a in structure.articles_of(0))
        for chapter in structure.chapters:
            title = escape(chapter.label) + Markup(" ") + escape(chapter.title)
            parts.append(Markup('<h2 class="chapter">%s</h2>') % title)
            parts.extend(render_article(a) for a in structure.articles_of(chapter.number))
    return Markup('<div class="compact-text">%s</div>') % Markup("").join(parts)


def render_source(source: str) -> Markup:
    """Parse and render in one step (previews of the draft)."""
    return render_structure(parse(source))
