"""The registry's business rules, as plain functions: no database needed."""

from __future__ import annotations

from datetime import date

import pytest

from app.registry import rules
from app.registry.models import GroupKind
from app.registry.rules import GroupRef, Holder

TODAY = date(2026, 5, 20)


MONTH = ("birth_month", "月份请填 1 到 12 之间的数字。")
YEAR = ("birth_year", "出生年份要在 1900 到 2026 之间，请检查后重新填写。")
FUTURE = ("birth_month", "出生年月不能晚于本月，请检查后重新填写。")


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (1968, 3, []),
        (1900, 1, []),
        (2026, 5, []),
        (1968, 0, [MONTH]),
        (1968, 13, [MONTH]),
        (None, 13, [MONTH]),
        (1899, 12, [YEAR]),
        (2027, 1, [YEAR]),
        (1899, None, [YEAR]),
        (1899, 13, [MONTH, YEAR]),
        (2026, 6, [FUTURE]),
        (None, None, []),
    ],
)
def test_birth_problems(year, month, expected):
    assert rules.birth_problems(year, month, TODAY) == expected


@pytest.mark.parametrize(
    ("birth", "expected"), [((2008, 5), 18), ((2008, 6), 17), ((1968, 1), 58), ((1968, 12), 57)]
)
def test_age_counts_whole_years_from_the_birth_month(birth, expected):
    assert rules.age(*birth, TODAY) == expected


def test_household_choice_needs_exactly_one_of_existing_or_new():
    assert rules.household_choice_problem(3, "") is None
    assert rules.household_choice_problem(None, "088") is None
    field, message = rules.household_choice_problem(None, "")
    assert field == "household_id" and "请选择所在的户" in message
    field, message = rules.household_choice_problem(3, "088")
    assert field == "household_number" and "“新户号”请留空" in message


def test_roll_number_problem_names_the_holder_but_not_oneself():
    holder = Holder(person_id=7, name="李桂兰", roll_number="A-1")
    assert rules.roll_number_problem("A-1", None, None) is None
    assert rules.roll_number_problem("A-1", holder, 7) is None
    message = rules.roll_number_problem("A-1", holder, None)
    assert message == "编号 A-1 已经是 李桂兰 的编号，同一个村的编号不能重复，请换一个。"


def test_representative_problem_names_who_already_represents():
    current = Holder(person_id=4, name="张建国", roll_number="001-0001")
    assert rules.representative_problem("001", None, None) is None
    assert rules.representative_problem("001", current, 4) is None
    message = rules.representative_problem("001", current, 9)
    assert message is not None
    assert message.startswith("001 户已经有户代表：张建国（编号 001-0001）。")


def test_inactive_person_cannot_represent():
    assert rules.inactive_representative_problem(active=True, wants_representative=True) is None
    assert rules.inactive_representative_problem(active=False, wants_representative=False) is None
    assert "已注销" in (rules.inactive_representative_problem(False, True) or "")


def test_group_problem():
    kind = GroupKind.VILLAGERS
    assert rules.group_problem(GroupRef(1, kind), 1, kind, "村民小组") is None
    assert "不属于本村" in (rules.group_problem(GroupRef(2, kind), 1, kind, "村民小组") or "")
    assert "不属于本村" in (rules.group_problem(None, 1, kind, "村民小组") or "")
    wrong_kind = rules.group_problem(GroupRef(1, GroupKind.WOMEN), 1, kind, "村民小组")
    assert wrong_kind == "所选的小组不是村民小组，请从列表里重新选择。"


def test_group_name_problem():
    assert rules.group_name_problem("一组", False, "村民小组") is None
    assert rules.group_name_problem("一组", True, "村民小组") == (
        "本村已经有叫“一组”的村民小组了，请换一个名字。"
    )


def test_representative_choice_must_be_an_active_member():
    assert rules.representative_choice_problem(None, set()) is None
    assert rules.representative_choice_problem(3, {3, 4}) is None
    assert rules.representative_choice_problem(5, {3, 4}) == "请从本户在册的成员中选择户代表。"


def test_deactivation_and_reactivation_reasons():
    assert rules.deactivation_problem("moved_away", "") is None
    assert rules.deactivation_problem("deceased", "2026年3月") is None
    assert rules.deactivation_problem("", "")[0] == "reason"
    assert rules.deactivation_problem("fined", "")[0] == "reason"
    assert rules.deactivation_problem("other", "") == ("note", "选择“其他原因”时，请写明具体原因。")
    assert rules.deactivation_problem("moved_away", "长" * 201)[0] == "note"
    assert rules.reactivation_problem("迁回本村") is None
    assert rules.reactivation_problem("")[0] == "note"


def test_changes_lists_only_what_differs_as_old_new_pairs():
    old = {"name": "张建国", "birth": "1960-01", "group": None}
    new = {"name": "张建华", "birth": "1960-01", "group": "一组"}
    assert rules.changes(old, new) == {"group": [None, "一组"], "name": ["张建国", "张建华"]}
    assert rules.changes(old, dict(old)) == {}


def test_move_changes_drops_the_representative_seat_when_leaving_the_household():
    old = {"household": "001", "group_villagers": "一组"}
    moved = {"household": "002", "group_villagers": "一组"}
    assert rules.move_changes(old, moved, is_representative=True) == {
        "household": ["001", "002"],
        "is_household_representative": [True, False],
    }
    assert rules.move_changes(old, moved, is_representative=False) == {"household": ["001", "002"]}
    regrouped = {"household": "001", "group_villagers": "二组"}
    assert "is_household_representative" not in rules.move_changes(old, regrouped, True)


@pytest.mark.parametrize(
    ("total", "requested", "page", "pages", "offset"),
    [
        (0, 1, 1, 1, 0),
        (50, 1, 1, 1, 0),
        (51, 2, 2, 2, 50),
        (120, 3, 3, 3, 100),
        (120, 9, 3, 3, 100),
        (120, -4, 1, 3, 0),
    ],
)
def test_paging(total, requested, page, pages, offset):
    result = rules.paging(total, requested)
    assert (result.page, result.pages, result.offset, result.size) == (page, pages, offset, 50)
