"""Parsing the compact, draft, version and compare forms (messages in Chinese)."""

from __future__ import annotations

from app.forms import FormResult, required_text
from app.i18n import gettext_
from compacts.versions.services import MAX_NOTE_CHARS, MAX_SOURCE_CHARS


def _whole(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def parse_new_compact(title: str, start: str) -> FormResult:
    result = FormResult()
    result.values["title"] = required_text(
        result, "title", title, label=gettext_("公约名称"), max_length=200
    )
    result.raw["start"] = start or "model"
    result.values["from_model"] = start != "empty"
    return result


def parse_draft(source: str) -> FormResult:
    result = FormResult()
    result.raw["source"] = source
    if len(source) > MAX_SOURCE_CHARS:
        result.error("source", gettext_("公约文本太长了，最多 5 万字。请删去重复或多余的内容。"))
    result.values["source"] = source
    return result


def parse_freeze(change_note: str, answers_filing_id: str, choices: set[int]) -> FormResult:
    result = FormResult()
    result.raw.update({"change_note": change_note, "answers_filing_id": answers_filing_id})
    if len(change_note) > MAX_NOTE_CHARS:
        result.error("change_note", gettext_("修改说明最多 2000 字。"))
    result.values["change_note"] = change_note
    filing_id = _whole(answers_filing_id) if answers_filing_id else None
    if answers_filing_id and filing_id not in choices:
        result.error("answers_filing_id", gettext_("请从列表里选择乡镇的改正通知。"))
    result.values["answers_filing_id"] = filing_id
    return result


def parse_compare(old: str, new: str, numbers: set[int]) -> FormResult:
    """Two version numbers of the same compact (the compare page's query)."""
    result = FormResult()
    result.raw.update({"old": old, "new": new})
    for name, value in (("old", old), ("new", new)):
        number = _whole(value)
        if number not in numbers:
            result.error(name, gettext_("请选择这份公约已有的一个版本。"))
        result.values[name] = number
    return result
