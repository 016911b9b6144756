"""Parsing the election set-up forms into values and per-field messages (Chinese)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from app import drill
from app.forms import FormResult, required_text, whole_number
from app.i18n import gettext_
from ballots.models import Electorate, Office
from ballots.rules import PROFILES
from ballots.setup import rules as setup_rules

ELECTION_FIELDS = (
    "title",
    "office",
    "office_label",
    "electorate",
    "group_id",
    "seats",
    "profile_name",
    "election_day",
    "write_ins",
    *setup_rules.OVERRIDABLE_NUMBERS,
)
MAX_SEATS = 50
MAX_DAYS = 365
TEXT_LIMIT = 1000


def _day(result: FormResult, name: str, value: str, today: date) -> date | None:
    result.raw[name] = value
    if not value:
        result.error(name, gettext_("请填写选举日，格式如 2026-05-01。"))
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        result.error(name, gettext_("日期格式不对，请写成 2026-05-01 这样的年-月-日。"))
        return None
    if day < today:
        result.error(name, gettext_("选举日不能早于今天（%(today)s）。", today=today.isoformat()))
    return day


def _overrides(result: FormResult, fields: Mapping[str, str]) -> dict[str, Any]:
    """Only the parameters the organizer filled in; empty means the profile's default."""
    overrides: dict[str, Any] = {}
    for name, label in setup_rules.OVERRIDABLE_NUMBERS.items():
        value = fields.get(name, "")
        result.raw[name] = value
        if not value:
            continue
        number = whole_number(value)
        least = 0 if name == "roll_publication_days" else 1
        if number is None or not least <= number <= MAX_DAYS:
            result.error(
                name,
                gettext_(
                    "%(label)s请填 %(least)s 到 %(most)s 之间的整数，或留空使用规则的默认值。",
                    label=label,
                    least=least,
                    most=MAX_DAYS,
                ),
            )
        else:
            overrides[name] = number
    write_ins = fields.get("write_ins", "")
    result.raw["write_ins"] = write_ins
    if write_ins in ("yes", "no"):
        overrides["write_ins_allowed"] = write_ins == "yes"
    return overrides


def parse_election(
    fields: Mapping[str, str], today: date, drill_default_seconds: int | None = None
) -> FormResult:
    """The election form; with `drill_default_seconds` (creating) also its 这是演练 fields."""
    result = FormResult()
    if drill_default_seconds is not None:
        drill.parse_drill(result, fields, drill_default_seconds)
    result.values["title"] = required_text(
        result, "title", fields.get("title", ""), label=gettext_("选举名称"), max_length=200
    )
    office_raw = fields.get("office", "")
    result.raw["office"] = office_raw
    office = Office(office_raw) if office_raw in {o.value for o in Office} else None
    if office is None:
        result.error("office", gettext_("请选择要选的职务。"))
    result.values["office"] = office
    label = fields.get("office_label", "")
    result.raw["office_label"] = label
    if len(label) > 100:
        result.error("office_label", gettext_("职务名称最多 100 个字。"))
    result.values["office_label"] = label
    electorate_raw = fields.get("electorate", "")
    result.raw["electorate"] = electorate_raw
    electorate = (
        Electorate(electorate_raw) if electorate_raw in {e.value for e in Electorate} else None
    )
    if electorate is None:
        result.error("electorate", gettext_("请选择由哪些选民投票。"))
    result.values["electorate"] = electorate
    group_raw = fields.get("group_id", "")
    result.raw["group_id"] = group_raw
    result.values["group_id"] = whole_number(group_raw) if group_raw else None
    if group_raw and result.values["group_id"] is None:
        result.error("group_id", gettext_("请从列表里选择小组。"))
    seats_raw = fields.get("seats", "")
    result.raw["seats"] = seats_raw
    seats = whole_number(seats_raw)
    if seats is None or not 1 <= seats <= MAX_SEATS:
        result.error("seats", gettext_("应选人数请填 1 到 %(most)s 之间的整数。", most=MAX_SEATS))
    result.values["seats"] = seats
    profile = fields.get("profile_name", "")
    result.raw["profile_name"] = profile
    if profile and profile not in PROFILES:
        result.error("profile_name", gettext_("请从列表里选择选举规则。"))
    if not profile and office is not None:
        profile = setup_rules.default_profile_name(office)
    result.values["profile_name"] = profile
    result.values["election_day"] = _day(
        result, "election_day", fields.get("election_day", ""), today
    )
    result.values["overrides"] = _overrides(result, fields)
    return result


def parse_objection(filed_by: str, text: str) -> FormResult:
    result = FormResult()
    result.values["filed_by"] = required_text(
        result, "filed_by", filed_by, label=gettext_("提出人"), max_length=100
    )
    result.raw["text"] = text
    if not text:
        result.error("text", gettext_("请写明异议的内容，例如：谁漏登了、谁不应登记、为什么。"))
    elif len(text) > TEXT_LIMIT:
        result.error("text", gettext_("异议内容最多 %(n)s 个字。", n=TEXT_LIMIT))
    result.values["text"] = text
    return result


def parse_decision(upheld: str, reason: str) -> FormResult:
    result = FormResult()
    result.raw["upheld"] = upheld
    if upheld not in ("yes", "no"):
        result.error("upheld", gettext_("请选择异议是否成立。"))
    result.values["upheld"] = upheld == "yes"
    result.values["reason"] = required_text(
        result, "reason", reason, label=gettext_("答复理由"), max_length=TEXT_LIMIT
    )
    return result


def parse_paper_nomination(nominator: str, paper_number: str) -> FormResult:
    """Who nominated, on paper: the Party organization or a numbered nomination form."""
    result = FormResult()
    result.raw["nominator"] = nominator
    result.raw["paper_number"] = paper_number
    if nominator == "party":
        result.values["nominator_key"] = "party"
    elif nominator == "paper":
        if not paper_number:
            result.error("paper_number", gettext_("请填写提名表上的编号。"))
        elif len(paper_number) > 20:
            result.error("paper_number", gettext_("提名表编号最多 20 个字。"))
        result.values["nominator_key"] = f"paper:{paper_number}"
    else:
        result.error("nominator", gettext_("请选择提名人：村党组织，或选民的纸质提名表。"))
    return result


def parse_candidate_count(count: str, picked: Sequence[str]) -> FormResult:
    result = FormResult()
    result.raw["count"] = count
    number = whole_number(count)
    if number is None or number < 1:
        result.error("count", gettext_("候选人人数请填整数。"))
    result.values["count"] = number or 0
    result.values["picked"] = [p for p in picked if p]
    return result


def parse_withdrawal(reason: str, replacement: str) -> FormResult:
    result = FormResult()
    result.values["reason"] = required_text(
        result, "reason", reason, label=gettext_("退出原因"), max_length=TEXT_LIMIT
    )
    result.raw["replacement"] = replacement
    result.values["replacement"] = replacement or None
    return result


def villager_names(names: Sequence[str], seats: int) -> FormResult:
    """The names a villager typed (one box per seat); empty boxes are skipped."""
    result = FormResult()
    filled = [(index, name) for index, name in enumerate(names[:seats]) if name]
    for index, name in enumerate(names[:seats]):
        result.raw[f"name_{index}"] = name
    if not filled:
        result.error("name_0", gettext_("请至少写一个您提名的人的名字。"))
    result.values["names"] = filled
    return result
