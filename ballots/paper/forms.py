"""Forms of the paper, count, mobile-box and proxy pages: shapes only; rules are services'."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from app.forms import FormResult, required_text, whole_number
from app.i18n import gettext_
from ballots.rules import write_in_problem

STACK_MAX_LENGTH = 50
NAME_MAX_LENGTH = 50
REASON_MAX_LENGTH = 200
ENTRY_ACTIONS = frozenset({"ballot", "blank", "invalid"})


def _names(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if v.strip()))


def parse_position(raw: str) -> int | None:
    """The ballot number the teller's screen showed (guards against a double tap)."""
    return whole_number(raw)


def parse_stack(stack: str) -> FormResult:
    result = FormResult()
    result.values["stack"] = required_text(
        result, "stack", stack, label=gettext_("叠号"), max_length=STACK_MAX_LENGTH
    )
    return result


def parse_count_entry(
    action: str, marks: Sequence[str], write_ins: Sequence[str], position: str
) -> FormResult:
    """One tap of the count screen: names marked (and written in), blank, or invalid."""
    result = FormResult()
    action = action if action in ENTRY_ACTIONS else "ballot"
    names = _names([*marks, *write_ins])
    result.raw["write_in"] = " ".join(v.strip() for v in write_ins if v.strip())
    result.values.update(
        blank=action == "blank",
        invalid=action == "invalid",
        marks=names if action == "ballot" else [],
        expected_position=parse_position(position),
    )
    if action == "ballot" and not names:
        result.error("mark", gettext_("这张没有选任何人。如果选票上什么也没写，请点“空白票”。"))
    _check_write_ins(result, write_ins)
    return result


def _check_write_ins(result: FormResult, write_ins: Sequence[str]) -> None:
    """A written-in name must be what a person's name can be (ballots.rules)."""
    for name in _names(write_ins):
        problem = write_in_problem(" ".join(name.split()))
        if problem is not None:
            result.error("write_in", problem)
            return


def parse_ballot(marks: Sequence[str], write_ins: Sequence[str], seats: int) -> FormResult:
    """A villager's ballot at the mobile box: at most `seats` names; none is a blank ballot."""
    result = FormResult()
    names = _names([*marks, *write_ins])
    result.values["marks"] = names
    result.raw["write_in"] = "\n".join(v.strip() for v in write_ins)
    if len(names) > seats:
        result.error(
            "mark",
            gettext_(
                "最多只能选 %(seats)s 人，您选了 %(n)s 人。请去掉多选的，再点“下一步”。",
                seats=seats,
                n=len(names),
            ),
        )
    _check_write_ins(result, write_ins)
    return result


def parse_date(result: FormResult, name: str, raw: str, *, label: str, today: date) -> None:
    result.raw[name] = raw
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        result.error(name, gettext_("请按“年-月-日”填写%(label)s，例如 2026-05-01。", label=label))
        return
    if value > today:
        result.error(name, gettext_("%(label)s不能晚于今天。", label=label))
    result.values[name] = value


def parse_entrustment(
    *, voter: str, proxy: str, written_on: str, relation: str, today: date
) -> FormResult:
    result = FormResult()
    result.values["voter"] = required_text(
        result, "voter", voter, label=gettext_("委托人"), max_length=NAME_MAX_LENGTH
    )
    result.values["proxy"] = required_text(
        result, "proxy", proxy, label=gettext_("受托人"), max_length=NAME_MAX_LENGTH
    )
    parse_date(result, "written_on", written_on, label=gettext_("委托书日期"), today=today)
    result.values["relation"] = required_text(
        result, "relation", relation, label=gettext_("两人的关系"), max_length=NAME_MAX_LENGTH
    )
    return result


def parse_reason(reason: str) -> FormResult:
    result = FormResult()
    result.values["reason"] = required_text(
        result, "reason", reason, label=gettext_("原因"), max_length=REASON_MAX_LENGTH
    )
    return result
