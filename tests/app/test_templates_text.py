"""Every user-visible text in a template goes through translation.

A template is read the way a browser would see its fixed parts: each Jinja construct
(`{{ }}`, `{% %}`, `{# #}`) is replaced by a neutral placeholder first, so only what is
written literally into the HTML remains. Any letter (CJK or Latin) left in a text node or
in an attribute the user sees is a string the English catalog can never reach. Chinese
string literals inside Jinja expressions (`field("name", "姓名")`) are caught too, unless
they are the message of a `_()` call.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest

from app.settings import TEMPLATES_DIR

# Stands where a Jinja construct was: no letter, so it can never be reported by itself.
PLACEHOLDER = "…"

# Texts with letters that may stay untranslated. Keep this empty or nearly so: punctuation
# such as "·" or "*" has no letter and passes without being listed here.
ALLOWED: frozenset[str] = frozenset()

# Attributes a user reads or hears (screen readers); `value` counts only on button-like inputs.
VISIBLE_ATTRIBUTES = frozenset(
    {
        "placeholder",
        "title",
        "alt",
        "label",
        "aria-label",
        "aria-description",
        "aria-placeholder",
        "aria-roledescription",
        "aria-valuetext",
    }
)
BUTTON_INPUT_TYPES = frozenset({"submit", "button", "reset"})
INVISIBLE_ELEMENTS = frozenset({"script", "style"})
TRANSLATING_CALLS = frozenset({"_", "gettext", "ngettext", "pgettext", "npgettext"})

_LEXER_ENV = jinja2.Environment(extensions=["jinja2.ext.i18n"])


@dataclass(frozen=True)
class Finding:
    line: int
    where: str  # "text", an attribute name, or "literal"
    text: str

    def __str__(self) -> str:
        return f"{self.line}: {self.where} {self.text!r}"


def has_letter(text: str) -> bool:
    return any(unicodedata.category(char).startswith("L") for char in text)


def _is_cjk(char: str) -> bool:
    return unicodedata.category(char) == "Lo" and "CJK" in unicodedata.name(char, "")


_OPEN_ATTRIBUTE = re.compile(r"""([^\s=<>"'/]+)\s*=\s*["'][^"'<>]*$""")


def _open_attribute(markup: str) -> str | None:
    """The attribute whose value `markup` ends inside ("" for another part of a tag), or None."""
    tag_start = markup.rfind("<")
    if tag_start <= markup.rfind(">"):
        return None
    match = _OPEN_ATTRIBUTE.search(markup, tag_start)
    return match.group(1) if match else ""


class _Stripper:
    """Rebuilds a template's HTML with Jinja constructs replaced by PLACEHOLDER.

    A child template's `{% block %}` whose parent puts it inside an attribute
    (`<body class="{% block body_class %}…">`) is emitted as that attribute of a stand-in
    tag, so it is judged as the attribute it really is, not as a text node.
    """

    def __init__(self, attribute_blocks: Mapping[str, str]) -> None:
        self.attribute_blocks = attribute_blocks
        self.sites: dict[str, str] = {}  # blocks this template opens inside a tag
        self.out: list[str] = []
        self.line = 1
        self.in_trans = False
        self.captured: list[str] | None = None  # the content of an attribute block
        self.capture_attribute = ""
        self.capture_line = 0
        self.depth = 0

    def emit(self, text: str, lineno: int) -> None:
        if self.captured is not None:
            self.captured.append(text)
            return
        self.out.append("\n" * max(lineno - self.line, 0))
        self.out.append(text)
        self.line = max(lineno, self.line) + text.count("\n")

    def tag(self, words: list[str], lineno: int) -> None:
        name = words[0] if words else ""
        self.in_trans = name in {"trans", "pluralize"} or (self.in_trans and name != "endtrans")
        if name == "block" and len(words) > 1:
            self._open_block(words[1], lineno)
        elif name == "endblock" and self.captured is not None:
            self.depth -= 1
            if self.depth == 0:
                # The placeholder of this very {% endblock %} is not part of the value.
                content = "".join(self.captured).removesuffix(PLACEHOLDER)
                value = html.escape(content, quote=True)
                self.captured = None
                self.emit(f'<x-block {self.capture_attribute}="{value}">', self.capture_line)

    def _open_block(self, block: str, lineno: int) -> None:
        if self.captured is not None:
            self.depth += 1
            return
        site = _open_attribute("".join(self.out))
        if site is not None:
            self.sites[block] = site or "data-x"
        elif block in self.attribute_blocks:
            self.captured, self.depth = [], 1
            self.capture_attribute = self.attribute_blocks[block]
            self.capture_line = lineno

    def feed(self, source: str) -> str:
        words: list[str] | None = None  # names inside the current {% %} tag
        for lineno, kind, value in _LEXER_ENV.lex(source):
            if kind == "block_begin":
                words = []
            elif kind == "block_end" and words is not None:
                self.tag(words, lineno)
                words = None
            elif kind == "name" and words is not None:
                words.append(value)
            if kind == "data" and not self.in_trans:
                self.emit(value, lineno)
            elif kind.endswith("_begin"):
                self.emit(PLACEHOLDER, lineno)
        return "".join(self.out)


def strip_jinja(source: str, attribute_blocks: Mapping[str, str] | None = None) -> str:
    """The template with every Jinja construct replaced by PLACEHOLDER, lines kept in place.

    `{% trans %}` blocks are translated as a whole, so their text is dropped as well.
    """
    blocks = attribute_blocks if attribute_blocks is not None else template_attribute_blocks()
    return _Stripper(blocks).feed(source)


@cache
def template_attribute_blocks() -> dict[str, str]:
    """Block name -> attribute, for every block a template opens inside an HTML attribute."""
    sites: dict[str, str] = {}
    for path in sorted(TEMPLATES_DIR.rglob("*.html")):
        stripper = _Stripper({})
        stripper.feed(path.read_text(encoding="utf-8"))
        sites.update(stripper.sites)
    return sites


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[Finding] = []
        self._invisible_depth = 0

    def _report(self, where: str, text: str, line: int) -> None:
        shown = " ".join(text.split())
        if has_letter(shown) and shown not in ALLOWED:
            self.findings.append(Finding(line, where, shown))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in INVISIBLE_ELEMENTS:
            self._invisible_depth += 1
        line = self.getpos()[0]
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name in VISIBLE_ATTRIBUTES:
                self._report(name, value, line)
        if tag == "input" and values.get("type", "").lower() in BUTTON_INPUT_TYPES:
            self._report("value", values.get("value", ""), line)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in INVISIBLE_ELEMENTS:
            self._invisible_depth -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in INVISIBLE_ELEMENTS and self._invisible_depth:
            self._invisible_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._invisible_depth:
            return
        first_letter = next((i for i, char in enumerate(data) if has_letter(char)), 0)
        line = self.getpos()[0] + data[:first_letter].count("\n")
        self._report("text", data, line)


def untranslated_literals(source: str) -> list[Finding]:
    """Chinese string literals in Jinja code that are not the message of a `_()` call."""
    findings: list[Finding] = []
    calls: list[str | None] = []  # the function name of each open parenthesis
    previous_name: str | None = None
    for lineno, kind, value in _LEXER_ENV.lex(source):
        # The raw token stream calls every bracket an "operator".
        if kind == "operator" and value == "(":
            calls.append(previous_name)
        elif kind == "operator" and value == ")" and calls:
            calls.pop()
        elif (
            kind == "string"
            and any(_is_cjk(char) for char in value)
            and not (calls and calls[-1] in TRANSLATING_CALLS)
        ):
            findings.append(Finding(lineno, "literal", value))
        if kind != "whitespace":
            previous_name = value if kind == "name" else None
    return findings


def untranslated_text(
    source: str, attribute_blocks: Mapping[str, str] | None = None
) -> list[Finding]:
    """Everything in one template source that a user would see untranslated."""
    collector = _TextCollector()
    collector.feed(strip_jinja(source, attribute_blocks))
    collector.close()
    return sorted(collector.findings + untranslated_literals(source), key=lambda f: f.line)


# --- the checker itself must catch a bad template ------------------------------------

BAD_SAMPLE = """<h1>村民名单</h1>
<p>{{ _("共 %(n)s 人", n=count) }} Submit</p>
<input name="q" placeholder="请输入姓名" title="{{ _('搜索') }}">
<input type="submit" value="Save">
<img src="x.png" alt="photo">
<select name="s"><option value="a">{{ _("全部") }}</option><option value="b">男</option></select>
{{ field("name", "姓名", form, errors) }}
<a href="/" aria-label="Home">{{ _("首页") }}</a>
"""

GOOD_SAMPLE = """{# 注释里的中文不显示 #}
<!-- an HTML comment is not shown either -->
<title>{% block title %}{% endblock %} · {{ _("村议") }}</title>
<label for="f-name">{{ _("姓名") }} <span class="req" aria-hidden="true">*</span></label>
<input type="hidden" name="to" value="en"><input id="f-name" name="name" type="text">
<button type="submit" name="action" value="approve" class="primary">{{ _("保存") }}</button>
<p>{{ _("第 %(page)s / %(pages)s 页", page=1, pages=3) }} — 12 / 30</p>
{% trans %}整段翻译的文字{% endtrans %}
{{ field("name", _("姓名"), form, errors, hint=_("至少 %(n)s 位。", n=10)) }}
<p class="{% if x %}muted{% endif %}">{{ user.display_name }}</p>
"""


def test_checker_reports_every_kind_of_untranslated_text_with_its_line() -> None:
    found = {(f.line, f.where, f.text) for f in untranslated_text(BAD_SAMPLE)}
    assert found == {
        (1, "text", "村民名单"),
        (2, "text", f"{PLACEHOLDER} Submit"),
        (3, "placeholder", "请输入姓名"),
        (4, "value", "Save"),
        (5, "alt", "photo"),
        (6, "text", "男"),
        (7, "literal", '"姓名"'),
        (8, "aria-label", "Home"),
    }


def test_checker_accepts_translated_text_punctuation_and_invisible_parts() -> None:
    assert untranslated_text(GOOD_SAMPLE) == []


def test_jinja_constructs_become_a_placeholder_and_lines_stay_in_place() -> None:
    source = "<p>\n{{ a\n }}</p>\n{% if b %}\n<b>中文</b>{% endif %}"
    stripped = strip_jinja(source)
    assert stripped.splitlines() == [
        "<p>",
        PLACEHOLDER,
        "</p>",
        PLACEHOLDER,
        f"<b>中文</b>{PLACEHOLDER}",
    ]
    assert [(f.line, f.text) for f in untranslated_text(source)] == [(5, "中文")]


def test_blocks_are_judged_where_the_parent_template_puts_them() -> None:
    parent = (
        '<body class="{% block body_class %}{% endblock %}" title="{% block tip %}{% endblock %}">'
    )
    stripper = _Stripper({})
    stripper.feed(parent)
    assert stripper.sites == {"body_class": "class", "tip": "title"}
    child = (
        '{% extends "base.html" %}\n{% block body_class %}counting{% endblock %}\n'
        "{% block tip %}Help{% endblock %}\n{% block content %}<p>{{ _('好') }}</p>{% endblock %}"
    )
    found = [(f.line, f.where, f.text) for f in untranslated_text(child, stripper.sites)]
    assert found == [(3, "title", "Help")]


# --- the real templates ---------------------------------------------------------------

TEMPLATE_FILES = sorted(TEMPLATES_DIR.rglob("*.html"))


def test_templates_are_found() -> None:
    names = {path.relative_to(TEMPLATES_DIR).as_posix() for path in TEMPLATE_FILES}
    assert {"base.html", "accounts/signin.html", "errors/error.html"} <= names


@pytest.mark.parametrize(
    "path", TEMPLATE_FILES, ids=[p.relative_to(TEMPLATES_DIR).as_posix() for p in TEMPLATE_FILES]
)
def test_template_text_goes_through_translation(path: Path) -> None:
    findings = untranslated_text(path.read_text(encoding="utf-8"))
    name = path.relative_to(TEMPLATES_DIR).as_posix()
    assert not findings, f"untranslated text in templates/{name} (wrap it in _()):\n" + "\n".join(
        f"  templates/{name}:{finding}" for finding in findings
    )
