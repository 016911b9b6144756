"""Forms of the assembly, slip and typed-code pages: raw text in, values and messages out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time

from app.forms import FormResult, required_text, whole_number
from app.i18n import gettext_
from app.templating import CHINA_TIME


def _parse_date(result: FormResult, name: str, text: str, label: str) -> date | None:
    result.raw[name] = text
    if not text:
        result.error(name, gettext_("请填写%(label)s。", label=label))
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        result.error(name, gettext_("%(label)s要写成 2026-05-01 这样的日期。", label=label))
        return None


def _parse_time(result: FormResult, name: str, text: str) -> time | None:
    result.raw[name] = text
    try:
        return time.fromisoformat(text) if text else None
    except ValueError:
        result.error(name, gettext_("时间要写成 18:00 这样（24 小时制）。"))
        return None


def parse_assembly(
    *,
    title: str,
    held_on: str,
    place: str,
    expires_on: str,
    expires_time: str,
    now: datetime,
    drill: bool = False,
) -> FormResult:
    """A new assembly. The links stop working at the given China time (default 23:59)."""
    result = FormResult()
    result.raw["drill"] = "1" if drill else ""
    result.values["drill"] = drill
    result.values["title"] = required_text(
        result, "title", title, label=gettext_("会议名称"), max_length=200
    )
    result.values["held_on"] = _parse_date(result, "held_on", held_on, gettext_("开会日期"))
    result.raw["place"] = place
    if len(place) > 200:
        result.error("place", gettext_("地点最多 200 个字。"))
    result.values["place"] = place
    day = _parse_date(result, "expires_on", expires_on, gettext_("二维码失效日期"))
    at = _parse_time(result, "expires_time", expires_time) or time(23, 59)
    held = result.values["held_on"]
    if day is not None and held is not None and day < held:
        result.error("expires_on", gettext_("二维码失效日期不能早于开会日期。"))
    expires = datetime.combine(day, at, tzinfo=CHINA_TIME) if day else None
    if expires is not None and expires <= now and "expires_on" not in result.errors:
        result.error("expires_on", gettext_("这个失效时间已经过去了，请改成开会结束以后。"))
    result.values["links_expire_at"] = expires
    return result


def parse_choice(text: str, allowed: Sequence[int], name: str, message: str) -> FormResult:
    """One id picked from a list the page offered."""
    result = FormResult()
    result.raw[name] = text
    chosen = whole_number(text)
    if chosen is None or chosen not in allowed:
        result.error(name, message)
    result.values[name] = chosen
    return result


def parse_reason(text: str) -> FormResult:
    result = FormResult()
    result.values["reason"] = required_text(
        result, "reason", text, label=gettext_("补发原因"), max_length=200
    )
    return result


def parse_code(text: str) -> FormResult:
    result = FormResult()
    result.raw["code"] = text
    if not text:
        result.error("code", gettext_("请输入纸条上二维码下面的 8 位号码。"))
    result.values["code"] = text
    return result
