"""Chinese first, English complete: the catalog and the language a user gets.

The completeness tests extract messages in-process exactly as `make messages` does (same
babel.cfg, same keywords read from the Makefile) and compare them with the English catalog.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po

import ballots.audit_labels  # noqa: F401  (names the election record type)
from app.audit.labels import object_label
from app.i18n import gettext_, set_locale
from app.settings import PROJECT_ROOT, TRANSLATIONS_DIR

ENGLISH_PO = TRANSLATIONS_DIR / "en" / "LC_MESSAGES" / "messages.po"

# %(name)s, %s, %d, %%, and a lone % (which breaks formatting): anything `%` would act on.
FORMAT_TOKEN = re.compile(r"%(?:\([^)]*\))?[#0 +-]*\d*(?:\.\d+)?[a-zA-Z%]|%")


def makefile_keywords() -> list[str]:
    """The `-k` options of the `messages` target, so this test and `make messages` agree."""
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^messages:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe, "no `messages` target in the Makefile"
    keywords = re.findall(r"-k\s+(\S+)", recipe.group(1))
    assert keywords, "the `messages` target names no keywords"
    return keywords


@cache
def extracted_catalog() -> Catalog:
    with (PROJECT_ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(makefile_keywords())}
    catalog = Catalog()
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(PROJECT_ROOT), method_map, options_map, keywords=keywords
    ):
        catalog.add(message, None, [(filename, lineno)], context=context)
    return catalog


def english_catalog() -> Catalog:
    with ENGLISH_PO.open("rb") as handle:
        return read_po(handle, locale="en")


def _forms(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ("",)
    return (value,) if isinstance(value, str) else tuple(value)


def _tokens(texts: Iterable[str]) -> set[str]:
    return {token for text in texts for token in FORMAT_TOKEN.findall(text)}


def _where(message_id: object, catalog: Catalog) -> str:
    message = catalog.get(message_id)  # type: ignore[arg-type]
    if message is None or not message.locations:
        return ""
    return "  (" + ", ".join(f"{path}:{line}" for path, line in message.locations[:3]) + ")"


def completeness_problems(extracted: Catalog, translated: Catalog) -> list[str]:
    """Messages the English catalog lacks, leaves empty, or marks fuzzy."""
    problems = []
    for message in extracted:
        if not message.id:
            continue
        entry = translated.get(message.id, context=message.context)
        if entry is None:
            problems.append(f"missing: {message.id!r}{_where(message.id, extracted)}")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        elif not all(form.strip() for form in _forms(entry.string)):
            problems.append(f"no English: {message.id!r}{_where(message.id, extracted)}")
    return problems


def placeholder_problem(message_id: str | tuple[str, ...], string: object) -> str | None:
    """Why this translation would break or lose its %(name)s values, or None when it is fine."""
    expected = _tokens(_forms(message_id))
    forms = _forms(string)  # type: ignore[arg-type]
    if not any(forms):
        return None  # untranslated: reported as incomplete, not here
    found = [_tokens([form]) for form in forms]
    # Plural forms may drop a value ("one person"), but together they keep every one.
    if any(not tokens <= expected for tokens in found) or set().union(*found) != expected:
        return f"{message_id!r} -> {string!r}: expected {sorted(expected)}, got {sorted(set().union(*found))}"
    return None


def obsolete_entries(extracted: Catalog, translated: Catalog) -> list[str]:
    stale = [m.id for m in translated if m.id and extracted.get(m.id, context=m.context) is None]
    stale += [m.id for m in translated.obsolete.values()]
    return [repr(message_id) for message_id in stale]


# --- the checks themselves catch a bad catalog -----------------------------------------


def _catalog(entries: dict[str, str], *, fuzzy: Iterable[str] = ()) -> Catalog:
    catalog = Catalog(locale="en")
    for message_id, string in entries.items():
        catalog.add(message_id, string, flags=["fuzzy"] if message_id in fuzzy else [])
    return catalog


def test_checks_report_missing_empty_fuzzy_and_obsolete_messages() -> None:
    extracted = _catalog({"村民": "", "户代表": "", "组织者": "", "记录人": ""})
    translated = _catalog(
        {"村民": "Villager", "户代表": "", "组织者": "Organiser", "旧的": "Old"}, fuzzy=["组织者"]
    )
    assert completeness_problems(extracted, translated) == [
        "no English: '户代表'",
        "fuzzy: '组织者'",
        "missing: '记录人'",
    ]
    assert obsolete_entries(extracted, translated) == ["'旧的'"]


@pytest.mark.parametrize(
    ("message_id", "string", "broken"),
    [
        ("共 %(n)s 人", "%(n)s people", False),
        ("共 %(n)s 人", "%(count)s people", True),
        ("%(a)s 和 %(b)s", "%(a)s and more", True),
        ("您好", "Hello 100%", True),
        ("占 %(p)s%%", "%(p)s%% of them", False),
        (("%(num)s 人", "%(num)s 人"), ("one person", "%(num)s people"), False),
        (("%(num)s 人", "%(num)s 人"), ("one person", "many people"), True),
        ("共 %(n)s 人", "", False),
    ],
)
def test_placeholder_check(message_id: str, string: str, broken: bool) -> None:
    assert (placeholder_problem(message_id, string) is not None) is broken


# --- the real catalog ---------------------------------------------------------------


def test_extraction_finds_the_messages_of_code_and_templates() -> None:
    paths = {path for message in extracted_catalog() for path, _line in message.locations}
    assert any(path.startswith("app/") for path in paths)
    assert any(path.startswith("templates/") for path in paths)
    assert extracted_catalog().get("工作人员登录") is not None


def test_english_catalog_has_every_message() -> None:
    problems = completeness_problems(extracted_catalog(), english_catalog())
    assert not problems, (
        f"{len(problems)} message(s) need English in {ENGLISH_PO.relative_to(PROJECT_ROOT)}"
        " (run `make messages`, then translate):\n" + "\n".join(problems)
    )


def test_english_translations_keep_their_placeholders() -> None:
    problems = [
        problem
        for message in english_catalog()
        if message.id and (problem := placeholder_problem(message.id, message.string))
    ]
    assert not problems, "translations with the wrong %(name)s values:\n" + "\n".join(problems)


def test_english_catalog_holds_no_obsolete_messages() -> None:
    stale = obsolete_entries(extracted_catalog(), english_catalog())
    assert not stale, "no longer used anywhere; run `make messages` to drop them:\n" + "\n".join(
        stale
    )


# --- what a user gets ----------------------------------------------------------------

CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def test_a_word_read_two_ways_in_english_takes_its_context() -> None:
    """选举 is "Elections" in the menu but "Election #12" before a record number."""
    set_locale("en")
    try:
        assert gettext_("选举") == "Elections"
        assert object_label("election", "12") == "Election #12"
        assert object_label("household", "3") == "Household #3"
    finally:
        set_locale("zh_Hans")
    assert object_label("election", "12") == "选举 #12"


def test_signin_page_is_simplified_chinese_by_default(client) -> None:
    response = client.get("/signin")
    assert response.status_code == 200
    assert '<html lang="zh-Hans">' in response.text
    assert "工作人员登录" in response.text
    assert "Staff sign-in" not in response.text


def test_signin_page_is_english_for_an_english_browser(client) -> None:
    response = client.get("/signin", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert response.status_code == 200
    assert '<html lang="en">' in response.text
    assert "Staff sign-in" in response.text
    assert "Username" in response.text
    # The only Chinese left is the name of the other language in the switch.
    assert set(CJK_RUN.findall(response.text)) == {"简体中文"}


@pytest.mark.parametrize("header", ["zh-TW", "zh-HK", "zh-Hant-TW,en;q=0.5", "zh-CN", "zh"])
def test_any_chinese_browser_gets_simplified_chinese(client, header: str) -> None:
    response = client.get("/signin", headers={"Accept-Language": header})
    assert '<html lang="zh-Hans">' in response.text
    assert "工作人员登录" in response.text


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("fr-FR,en;q=0.8,zh;q=0.5", "en"),  # first supported language by weight
        ("en;q=0.3,zh-CN;q=0.9", "zh-Hans"),
        ("fr,de", "zh-Hans"),  # nothing we have: the default
        ("en;q=0", "zh-Hans"),  # q=0 means "not English"
        ("und,en;q=0.1", "en"),
        ("en;q=oops,zh;q=0.2", "zh-Hans"),
    ],
)
def test_accept_language_weights_are_honoured(client, header: str, lang: str) -> None:
    response = client.get("/signin", headers={"Accept-Language": header})
    assert f'<html lang="{lang}">' in response.text


def test_language_switch_sets_the_cookie_and_goes_back(client) -> None:
    response = client.get("/language", params={"to": "en", "next": "/signin?next=/audit"})
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=/audit"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("cunyi_lang=en;")
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    page = client.get("/signin")
    assert '<html lang="en">' in page.text
    assert "Staff sign-in" in page.text


def test_chosen_language_beats_the_browser_language(client) -> None:
    client.get("/language", params={"to": "zh_Hans", "next": "/signin"})
    response = client.get("/signin", headers={"Accept-Language": "en-US"})
    assert '<html lang="zh-Hans">' in response.text
    assert "工作人员登录" in response.text


def test_unknown_language_sets_no_cookie(client) -> None:
    response = client.get("/language", params={"to": "fr", "next": "/signin"})
    assert response.status_code == 303
    assert response.headers["location"] == "/signin"
    assert "cunyi_lang" not in response.headers.get("set-cookie", "")


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/signin",
        "//evil.example/signin",
        "http:/evil.example",
        "javascript:alert(1)",
        "evil.example/signin",
        "",
    ],
)
def test_language_switch_only_returns_to_this_site(client, next_url: str) -> None:
    response = client.get("/language", params={"to": "en", "next": next_url})
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert response.headers["set-cookie"].startswith("cunyi_lang=en;")


@pytest.mark.parametrize("next_url", ["/\\evil.example", "/\t/evil.example"])
def test_language_switch_never_redirects_off_site_through_odd_characters(
    client, next_url: str
) -> None:
    # Browsers read "/\host" as "//host" and drop tabs: such a path must not stay one.
    location = client.get("/language", params={"to": "en", "next": next_url}).headers["location"]
    assert location.startswith("/")
    assert location[1:2] not in {"/", "\\", "\t"}


def test_error_pages_follow_the_language(client) -> None:
    english = client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert english.status_code == 404
    assert '<html lang="en">' in english.text
    assert "Page not found" in english.text
    chinese = client.get("/no-such-page")
    assert '<html lang="zh-Hans">' in chinese.text
    assert "找不到该页面" in chinese.text
