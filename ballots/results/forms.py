"""Forms of the results area: tellers, attendance, a teller's confirmation, annulment."""

from __future__ import annotations

from collections.abc import Collection

from app.forms import FormResult, required_text, whole_number
from app.i18n import gettext_
from ballots.results.certification import MIN_TELLERS

MAX_REASON = 2000


def parse_tellers(raw_ids: list[str], allowed_ids: Collection[int]) -> FormResult:
    result = FormResult()
    chosen: set[int] = set()
    for raw in raw_ids:
        number = whole_number(raw)
        value = -1 if number is None else number
        if value not in allowed_ids:
            result.error("tellers", gettext_("请从列表里选择监计票人。"))
        chosen.add(value)
    if len(chosen) < MIN_TELLERS:
        result.error("tellers", gettext_("请至少选择两名监计票人，他们要分别确认结果。"))
    result.values["tellers"] = sorted(chosen)
    return result


def _count(result: FormResult, name: str, raw: str, label: str, *, required: bool) -> int | None:
    result.raw[name] = raw
    if not raw:
        if required:
            result.error(name, gettext_("请填写%(label)s。", label=label))
        return None
    number = whole_number(raw)
    if number is None:
        result.error(name, gettext_("%(label)s请填一个整数，比如 35。", label=label))
    return number


def parse_attendance(*, present: str, households_present: str) -> FormResult:
    """Who came, counted in the hall; who should come is the group's roll (not typed)."""
    result = FormResult()
    p = _count(result, "present", present, gettext_("实到人数"), required=True)
    hp = _count(
        result, "households_present", households_present, gettext_("实到户代表数"), required=False
    )
    result.values.update(present=p, households_present=hp)
    return result


def parse_certify(password: str) -> FormResult:
    result = FormResult()
    result.values["password"] = password
    if not password:
        result.error("password", gettext_("请输入您登录用的密码，以确认结果。"))
    return result


def parse_annul(reason: str) -> FormResult:
    result = FormResult()
    result.values["reason"] = required_text(
        result, "reason", reason, label=gettext_("宣布无效的理由"), max_length=MAX_REASON
    )
    return result
