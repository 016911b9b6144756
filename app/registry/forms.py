"""Parsing the registry forms and list filters into values and per-field messages."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date
from typing import TypeVar

from app.forms import FormResult, required_text, whole_number
from app.i18n import gettext_
from app.registry import rules
from app.registry.models import GroupKind, Residence, Sex
from app.registry.services import GROUP_FIELDS, STATUSES, PeopleFilter

E = TypeVar("E", bound=enum.Enum)

FLAG_FIELDS = (
    "is_household_representative",
    "is_villager_representative",
    "is_cadre",
    "is_association_member",
)
PLACEMENT_FIELDS = ("household_id", "household_number", *GROUP_FIELDS.values())
PERSON_FIELDS = (
    "roll_number",
    "name",
    "sex",
    "birth_year",
    "birth_month",
    "residence",
    *PLACEMENT_FIELDS,
    *FLAG_FIELDS,
)


def parse_people_filter(params: Mapping[str, str]) -> PeopleFilter:
    """List filters from the query string; anything unreadable is simply ignored."""
    group = whole_number(params.get("group", "").strip())
    flag = params.get("flag", "").strip()
    status = params.get("status", "").strip()
    return PeopleFilter(
        q=params.get("q", "").strip()[:50],
        group_id=group,
        flag=flag if flag in rules.FLAG_LABELS else "",
        status=status if status in STATUSES else "active",
        page=whole_number(params.get("page", "1").strip()) or 1,
    )


def page_number(params: Mapping[str, str]) -> int:
    return max(1, whole_number(params.get("page", "1").strip()) or 1)


def _optional_id(result: FormResult, name: str, value: str, message: str) -> int | None:
    result.raw[name] = value
    if not value:
        return None
    number = whole_number(value)
    if number is None:
        result.error(name, message)
    return number


def _choice(
    result: FormResult, name: str, value: str, enum_type: type[E], message: str
) -> E | None:
    result.raw[name] = value
    try:
        return enum_type(value)
    except ValueError:
        result.error(name, message)
        return None


def _birth(result: FormResult, raw: Mapping[str, str], today: date) -> tuple[int, int]:
    year_text, month_text = raw.get("birth_year", ""), raw.get("birth_month", "")
    result.raw.update(birth_year=year_text, birth_month=month_text)
    year, month = whole_number(year_text), whole_number(month_text)
    if year is None:
        result.error("birth_year", gettext_("请填写出生年份（4 位数字），例如 1968。"))
    if month is None:
        result.error("birth_month", gettext_("月份请填 1 到 12 之间的数字。"))
    for field, message in rules.birth_problems(year, month, today):
        result.error(field, message)
    return year or 0, month or 0


def parse_placement(result: FormResult, raw: Mapping[str, str]) -> rules.Placement:
    wrong_choice = gettext_("请从列表里重新选择。")
    household_id = _optional_id(result, "household_id", raw.get("household_id", ""), wrong_choice)
    number = raw.get("household_number", "")
    result.raw["household_number"] = number
    if len(number) > 32:
        result.error("household_number", gettext_("户号最多 32 个字。"))
    problem = rules.household_choice_problem(household_id, number)
    if problem:
        result.error(*problem)
    groups = {
        kind: _optional_id(result, field, raw.get(field, ""), wrong_choice)
        for kind, field in GROUP_FIELDS.items()
    }
    return rules.Placement(household_id, number, groups)


def parse_person(raw: Mapping[str, str], today: date) -> FormResult:
    """All fields of a person; on success `values["person"]` is a `PersonData`."""
    result = FormResult()
    roll = required_text(
        result, "roll_number", raw.get("roll_number", ""), label=gettext_("编号"), max_length=32
    )
    name = required_text(result, "name", raw.get("name", ""), label=gettext_("姓名"), max_length=50)
    sex = _choice(result, "sex", raw.get("sex", ""), Sex, gettext_("请选择性别。"))
    year, month = _birth(result, raw, today)
    residence = _choice(
        result,
        "residence",
        raw.get("residence", "") or Residence.REGISTERED_RESIDENT.value,
        Residence,
        gettext_("请从列表里选择登记类别。"),
    )
    placement = parse_placement(result, raw)
    flags = {flag: raw.get(flag, "") == "1" for flag in FLAG_FIELDS}
    result.raw.update({flag: "1" for flag, on in flags.items() if on})
    if result.ok and sex is not None and residence is not None:
        result.values["person"] = rules.PersonData(
            roll_number=roll,
            name=name,
            sex=sex,
            birth_year=year,
            birth_month=month,
            residence=residence,
            placement=placement,
            **flags,
        )
    return result


def parse_move(raw: Mapping[str, str]) -> FormResult:
    result = FormResult()
    result.values["placement"] = parse_placement(result, raw)
    return result


def parse_deactivation(reason: str, note: str) -> FormResult:
    result = FormResult(raw={"reason": reason, "note": note})
    problem = rules.deactivation_problem(reason, note)
    if problem:
        result.error(*problem)
    result.values.update(reason=reason, note=note)
    return result


def parse_reactivation(note: str) -> FormResult:
    result = FormResult(raw={"note": note})
    problem = rules.reactivation_problem(note)
    if problem:
        result.error(*problem)
    result.values["note"] = note
    return result


def parse_group(kind: str | None, name: str) -> FormResult:
    """A new group (kind and name) or a rename (kind None: the group keeps its kind)."""
    result = FormResult()
    if kind is not None:
        result.values["kind"] = _choice(
            result, "kind", kind, GroupKind, gettext_("请选择小组的类别。")
        )
    result.values["name"] = required_text(
        result, "name", name, label=gettext_("小组名称"), max_length=100
    )
    return result


def parse_representative(person_id: str) -> FormResult:
    result = FormResult()
    result.values["person_id"] = _optional_id(
        result, "person_id", person_id, gettext_("请从本户在册的成员中选择户代表。")
    )
    return result
