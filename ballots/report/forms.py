"""Parsing the report's two forms: the polling facilities the organizer enters, and the
period of the township's roll-up."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from app.forms import FormResult, whole_number
from app.i18n import gettext_
from ballots.report.services import FacilitiesInput, Period

FACILITY_FIELDS = ("ballot_boxes", "mobile_boxes", "booths")
MAX_FACILITY_DIGITS = 4  # up to 9,999 of each: more is a typing slip


def facility_labels() -> dict[str, str]:
    return {
        "ballot_boxes": gettext_("票箱（个）"),
        "mobile_boxes": gettext_("流动票箱（个）"),
        "booths": gettext_("秘密写票处（个）"),
    }


def parse_facilities(fields: Mapping[str, str]) -> FormResult:
    """Three whole numbers, 0 or more; each is required (0 when there was none)."""
    result = FormResult()
    labels = facility_labels()
    values: dict[str, int] = {}
    for name in FACILITY_FIELDS:
        raw = fields.get(name, "").strip()
        result.raw[name] = raw
        label = labels[name]
        if not raw:
            result.error(name, gettext_("请填写%(label)s；没有就填 0。", label=label))
            continue
        number = whole_number(raw, max_digits=MAX_FACILITY_DIGITS)
        if number is None:
            result.error(
                name,
                gettext_("%(label)s请填 0 到 9999 之间的整数，比如 2。", label=label),
            )
            continue
        values[name] = number
    if result.ok:
        result.values["facilities"] = FacilitiesInput(**values)
    return result


def default_period(today: date) -> Period:
    """This year, from 1 January to 31 December."""
    return Period(date(today.year, 1, 1), date(today.year, 12, 31))


def _day(result: FormResult, name: str, raw: str | None, default: date, label: str) -> date:
    raw = (raw or "").strip()
    result.raw[name] = raw or default.isoformat()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        result.error(
            name,
            gettext_("%(label)s的格式不对，请写成 2026-05-01 这样的年-月-日。", label=label),
        )
        return default


def parse_period(first: str | None, last: str | None, today: date) -> FormResult:
    """The roll-up's period from the query string (blank: this year)."""
    result = FormResult()
    default = default_period(today)
    start = _day(result, "from", first, default.first, gettext_("开始日期"))
    end = _day(result, "to", last, default.last, gettext_("结束日期"))
    if result.ok and end < start:
        result.error("to", gettext_("结束日期不能早于开始日期。"))
    result.values["period"] = Period(start, end) if result.ok else default
    return result
