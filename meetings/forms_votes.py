"""Parsing the vote forms: a motion, a teller's show-of-hands count, a villager's choice."""

from __future__ import annotations

from app.forms import FormResult, required_text, whole_number
from app.i18n import gettext_
from meetings.models import Choice, VoteMethod

MAX_MOTION_TEXT = 2000
MAX_HANDS = 100_000


def parse_motion(text: str, method: str) -> FormResult:
    result = FormResult()
    result.values["text"] = required_text(
        result, "text", text, label=gettext_("表决内容"), max_length=MAX_MOTION_TEXT
    )
    result.raw["method"] = method
    try:
        result.values["method"] = VoteMethod(method)
    except ValueError:
        result.error("method", gettext_("请选择表决方式：扫码表决或举手表决。"))
    return result


def _count(result: FormResult, name: str, raw: str, label: str) -> int:
    result.raw[name] = raw
    if not raw:
        result.error(name, gettext_("请填写%(label)s的人数，没有人就填 0。", label=label))
        return 0
    number = whole_number(raw)
    if number is None or number > MAX_HANDS:
        result.error(name, gettext_("%(label)s要填一个整数，例如 12。", label=label))
        return 0
    return number


def parse_hands(yes: str, no: str, abstain: str) -> FormResult:
    result = FormResult()
    result.values["yes"] = _count(result, "yes", yes, gettext_("赞成"))
    result.values["no"] = _count(result, "no", no, gettext_("反对"))
    result.values["abstain"] = _count(result, "abstain", abstain, gettext_("弃权"))
    return result


def parse_choice(choice: str) -> FormResult:
    result = FormResult()
    result.raw["choice"] = choice
    try:
        result.values["choice"] = Choice(choice)
    except ValueError:
        result.error("choice", gettext_("请选一项：同意、不同意或弃权。"))
    return result


def parse_round(round_id: str) -> FormResult:
    result = FormResult()
    result.raw["round_id"] = round_id
    number = whole_number(round_id)
    if number is None:
        result.error("round_id", gettext_("请选择要在这项议程里进行的选举轮次。"))
    else:
        result.values["round_id"] = number
    return result
