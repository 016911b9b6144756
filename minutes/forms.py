"""Parsing the minutes forms: notes, password re-entry, addenda, posting dates."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from app.forms import FormResult, required_text
from app.i18n import gettext_
from minutes.rules import MAX_NOTE_LENGTH, posting_problem


def note_field(item_id: int) -> str:
    return f"note_{item_id}"


def parse_notes(item_ids: list[int], fields: Mapping[str, str]) -> FormResult:
    """One optional note per agenda item; too long a note is refused beside its box."""
    result = FormResult()
    notes: dict[int, str] = {}
    for item_id in item_ids:
        name = note_field(item_id)
        text = fields.get(name, "")
        result.raw[name] = text
        if len(text) > MAX_NOTE_LENGTH:
            result.error(
                name, gettext_("每项记录最多 %(max)s 个字，请删减一些。", max=MAX_NOTE_LENGTH)
            )
        notes[item_id] = text
    result.values["notes"] = notes
    return result


def parse_password(password: str) -> FormResult:
    result = FormResult()
    if not password:
        result.error("password", gettext_("请输入您登录时用的密码，以确认是您本人签名。"))
    result.values["password"] = password
    return result


def parse_addendum(text: str) -> FormResult:
    result = FormResult()
    result.values["text"] = required_text(
        result, "text", text, label=gettext_("更正内容"), max_length=MAX_NOTE_LENGTH
    )
    return result


def _date(result: FormResult, name: str, value: str, label: str) -> date | None:
    result.raw[name] = value
    if not value:
        result.error(name, gettext_("请填写%(label)s。", label=label))
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        result.error(name, gettext_("%(label)s的格式不对，请写成 2026-12-01 这样。", label=label))
        return None


def parse_posting(posted_on: str, until: str) -> FormResult:
    result = FormResult()
    start = _date(result, "posted_on", posted_on, gettext_("公示开始日期"))
    end = _date(result, "until", until, gettext_("公示结束日期"))
    if start is not None and end is not None:
        problem = posting_problem(start, end)
        if problem:
            result.error("until", problem)
    result.values.update(posted_on=start, until=end)
    return result
