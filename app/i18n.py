"""Translations: Simplified Chinese is the source language, English the catalog.

Message ids are the Chinese texts themselves, so a template reads as the page does for
most of our users; `translations/en/LC_MESSAGES/messages.po` holds the English. The
catalog is compiled in memory at start-up: no build step, no .mo files in the tree.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from app.settings import DEFAULT_LOCALE, SUPPORTED_LOCALES, TRANSLATIONS_DIR

LANGUAGE_COOKIE = "cunyi_lang"
LANGUAGE_NAMES = {"zh_Hans": "简体中文", "en": "English"}

_current_locale: ContextVar[str] = ContextVar("cunyi_locale", default=DEFAULT_LOCALE)


@cache
def translations_for(locale: str) -> gettext.NullTranslations:
    if locale == "zh_Hans":
        return gettext.NullTranslations()
    po_path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer)


def current_locale() -> str:
    return _current_locale.get()


def set_locale(locale: str) -> None:
    _current_locale.set(locale if locale in SUPPORTED_LOCALES else DEFAULT_LOCALE)


def gettext_(message: str, **variables: Any) -> str:
    """Translate and fill `%(name)s` placeholders."""
    translated = translations_for(current_locale()).gettext(message)
    return translated % variables if variables else translated


def pgettext_(context: str, message: str) -> str:
    """Translate a message in a context: the same Chinese word read two ways in English
    (选举 is "Elections" in the menu, "Election" before a record number)."""
    return translations_for(current_locale()).pgettext(context, message)


def ngettext_(singular: str, plural: str, n: int, **variables: Any) -> str:
    translated = translations_for(current_locale()).ngettext(singular, plural, n)
    variables.setdefault("num", n)
    return translated % variables


def join_list(items: Iterable[str]) -> str:
    """Join names the way the page's language does (Chinese 、, English comma)."""
    return gettext_("、").join(items)


# The conventional short names, for code and templates.
_ = gettext_


def lazy(message: str) -> LazyText:
    """Mark a message for extraction now and translate it when shown (module constants)."""
    return LazyText(message)


def lazy_in(context: str, message: str) -> LazyText:
    """`lazy` in a context (see `pgettext_`)."""
    return LazyText(message, context)


class LazyText:
    __slots__ = ("context", "message")

    def __init__(self, message: str, context: str | None = None) -> None:
        self.message = message
        self.context = context

    def __str__(self) -> str:
        if self.context is not None:
            return pgettext_(self.context, self.message)
        return gettext_(self.message)

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(str(self)))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, LazyText)
            and other.message == self.message
            and other.context == self.context
        )

    def __hash__(self) -> int:
        return hash((self.message, self.context))


def _supported_code(tag: str) -> str | None:
    """Our locale for a language tag, by its primary subtag only (`zh-TW` -> zh, `en-US` -> en).

    Parsing the tag fully is not needed and would map odd tags (`und`) to English.
    """
    primary = re.split(r"[-_]", tag.strip(), maxsplit=1)[0].lower()
    if primary == "zh":
        # Traditional-script requests get Simplified rather than English: closer to home.
        return "zh_Hans"
    if primary == "en":
        return "en"
    return None


def _quality(params: str) -> float:
    """The q= weight of one Accept-Language entry; anything malformed counts as 0 (not wanted)."""
    params = params.strip()
    if not params.startswith("q="):
        return 1.0
    try:
        quality = float(params[2:])
    except ValueError:
        return 0.0
    return quality if 0.0 <= quality <= 1.0 else 0.0


def negotiate(cookie_value: str | None, accept_language: str | None) -> str:
    """Cookie choice first, then the browser's Accept-Language, then the default."""
    if cookie_value in SUPPORTED_LOCALES:
        return str(cookie_value)
    if accept_language:
        weighted: list[tuple[float, int, str]] = []
        for index, part in enumerate(accept_language.split(",")):
            tag, _sep, params = part.strip().partition(";")
            quality = _quality(params)
            if tag and tag != "*":
                weighted.append((-quality, index, tag))
        for negative_quality, _index, tag in sorted(weighted):
            if negative_quality >= 0:
                continue
            code = _supported_code(tag)
            if code:
                return code
    return DEFAULT_LOCALE


def html_lang(locale: str) -> str:
    return "zh-Hans" if locale == "zh_Hans" else locale


def jinja_callables() -> Mapping[str, Callable[..., str]]:
    """Raw lookups for Jinja's new-style gettext, which fills (and escapes) variables itself."""

    def translate(message: str) -> str:
        return translations_for(current_locale()).gettext(message)

    def translate_plural(singular: str, plural: str, n: int) -> str:
        return translations_for(current_locale()).ngettext(singular, plural, n)

    return {"gettext": translate, "ngettext": translate_plural}
