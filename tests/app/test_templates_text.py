"""Every user-visible text in a template goes through translation.

A template is read the way a browser would see its fixed parts: each Jinja construct
(`{{ }}`, `{% %}`, `{# #}`) is replaced by a neutral placeholder first, so only what is
written literally into the HTML remains. Any letter (CJK or Latin) left in a text node or
in an attribute the user sees is a string the English catalog can never reach. Chinese
string literals inside Jinja expressions (`field("name", "姓名")`) are caught too, unless
they are the message of a `_()` call.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
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
        return f"line {self.line}, {self.where}: {self.text!r}"


def has_letter(text: str) -> bool:
    return any(unicodedata.category(char).startswith("L") for char in text)


def _is_cjk(char: str) -> bool:
    return unicodedata.category(char) == "Lo" and "CJK" in unicodedata.name(char, "")


def strip_jinja(source: str) -> str:
    """The template with every Jinja construct replaced by PLACEHOLDER, lines kept in place.

    `{% trans %}` blocks are translated as a whole, so their text is dropped as well.
    """
    out: list[str] = []
    line = 1
    in_trans = False
    expect_tag_name = False
    for lineno, kind, value in _LEXER_ENV.lex(source):
        if expect_tag_name and kind == "name":
            in_trans = value in {"trans", "pluralize"} or (in_trans and value != "endtrans")
            expect_tag_name = False
        if kind == "data" and not in_trans:
            out.append("\n" * (lineno - line))
            out.append(value)
            line = lineno + value.count("\n")
        elif kind.endswith("_begin"):
            expect_tag_name = kind == "block_begin"
            out.append(PLACEHOLDER)
    return "".join(out)


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
        stripped = data.lstrip()
        line = self.getpos()[0] + data[: len(data) - len(stripped)].count("\n")
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


def untranslated_text(source: str) -> list[Finding]:
    """Everything in one template source that a user would see untranslated."""
    collector = _TextCollector()
    collector.feed(strip_jinja(source))
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
