"""The comparison of a valid roll with the village, on hand-built state (no database)."""

from __future__ import annotations

from datetime import date

from app.registry.models import GroupKind, Residence, Sex
from app.registry.roll.diff import (
    FieldChange,
    GroupState,
    HouseholdState,
    PersonState,
    VillageState,
    compute_diff,
)
from app.registry.roll.read import RawTable
from app.registry.roll.validate import validate

TODAY = date(2026, 11, 28)
HEADER = ["编号", "姓名", "性别", "出生年月", "户号", "户代表", "村民小组", "村干部", "住址"]


def person(
    pid: int, roll_number: str, name: str, household_id: int, **kwargs: object
) -> PersonState:
    flags = {
        "is_household_representative": False,
        "is_villager_representative": False,
        "is_cadre": False,
        "is_association_member": False,
    }
    flags.update(kwargs.pop("flags", {}))  # type: ignore[arg-type]
    defaults: dict[str, object] = {
        "sex": Sex.MALE,
        "birth_year": 1968,
        "birth_month": 3,
        "residence": Residence.REGISTERED_RESIDENT,
        "active": True,
    }
    defaults.update(kwargs)
    groups = defaults.pop("groups", {})
    return PersonState(
        id=pid,
        roll_number=roll_number,
        name=name,
        household_id=household_id,
        flags=flags,
        groups=groups,  # type: ignore[arg-type]
        memberships={kind: 100 + pid for kind in groups},  # type: ignore[attr-defined]
        **defaults,  # type: ignore[arg-type]
    )


def village() -> VillageState:
    return VillageState(
        village_id=1,
        people=[
            person(
                1,
                "P001",
                "张三",
                10,
                flags={"is_household_representative": True},
                groups={GroupKind.VILLAGERS: 50},
            ),
            person(2, "P002", "李秀英", 10, sex=Sex.FEMALE, birth_year=1970, birth_month=5),
            person(3, "P003", "王五", 11, flags={"is_household_representative": True}),
            person(4, "P004", "赵六", 11, active=False),
        ],
        households={10: HouseholdState(10, "012", "山前路1号"), 11: HouseholdState(11, "013", "")},
        groups={50: GroupState(50, GroupKind.VILLAGERS, "第一村民小组")},
    )


def diff_of(*rows: list[str], headers: list[str] = HEADER):  # type: ignore[no-untyped-def]
    table = RawTable(1, headers, [(n, list(r)) for n, r in enumerate(rows, start=2)])
    validation = validate(table, TODAY)
    assert validation.ok, validation.problems
    return compute_diff(validation, village())


SAME_P001 = ["P001", "张三", "男", "1968-03", "012", "是", "第一村民小组", "否", "山前路1号"]
SAME_P002 = ["P002", "李秀英", "女", "1970-05", "012", "否", "", "否", "山前路1号"]


def test_the_same_people_change_nothing() -> None:
    diff = diff_of(SAME_P001, SAME_P002)
    assert diff.added == [] and diff.changed == []
    assert [c.person.roll_number for c in diff.unchanged] == ["P001", "P002"]
    assert not diff.changes_anything
    # Listed so the organizer notices; the inactive P004 is not on the roll.
    assert [p.roll_number for p in diff.not_in_file] == ["P003"]


def test_each_changed_field_old_and_new_as_the_file_writes_them() -> None:
    diff = diff_of(
        ["P001", "张叁", "男", "1968-04", "12", "否", "第二村民小组", "是", "山前路1号"],
        ["P002", "李秀英", "女", "1970-05", "012", "是", "", "否", "山前路1号"],
    )
    by_number = {c.person.roll_number: c.changes for c in diff.changed}
    assert by_number["P001"] == [
        FieldChange("name", "张三", "张叁"),
        FieldChange("birth", "1968-03", "1968-04"),
        FieldChange("household_representative", "是", "否"),
        FieldChange("villagers_group", "第一村民小组", "第二村民小组"),
        FieldChange("cadre", "否", "是"),
    ]
    assert by_number["P002"] == [FieldChange("household_representative", "否", "是")]
    assert diff.new_groups == [(GroupKind.VILLAGERS, "第二村民小组")]
    assert diff.new_households == []  # "12" is household 012: Excel dropped the zero


def test_a_blank_group_cell_means_no_group() -> None:
    row = [*SAME_P001[:6], "", *SAME_P001[7:]]
    (change,) = diff_of(row).changed
    assert change.changes == [FieldChange("villagers_group", "第一村民小组", "")]


def test_a_missing_column_keeps_what_the_village_has() -> None:
    headers = ["编号", "姓名", "性别", "出生年月", "户号"]
    diff = diff_of(["P001", "张三", "男", "1968-03", "012"], headers=headers)
    assert diff.changed == [] and len(diff.unchanged) == 1
    assert diff.kept_columns == [
        "村民小组",
        "育龄妇女小组",
        "协会联户组",
        "村民代表",
        "村干部",
        "协会会员",
        "户代表",
        "登记类别",
    ]


def test_new_people_households_and_groups() -> None:
    diff = diff_of(
        ["P009", "新人", "女", "2000-01", "099", "是", "第三村民小组", "否", "新村路"],
        ["P010", "新人二", "男", "2001-01", "099", "否", "第三村民小组", "否", ""],
    )
    assert [r.roll_number for r in diff.added] == ["P009", "P010"]
    assert [(h.number, h.address) for h in diff.new_households] == [("099", "新村路")]
    assert diff.new_groups == [(GroupKind.VILLAGERS, "第三村民小组")]


def test_an_address_change_is_a_household_change() -> None:
    row = [*SAME_P001[:8], "山前路9号"]
    diff = diff_of(row)
    assert diff.changed == []
    assert [(h.number, h.address) for h in diff.address_changes] == [("012", "山前路9号")]
    assert diff.changes_anything


def test_listing_someone_who_left_the_roll_brings_them_back() -> None:
    (change,) = diff_of(["P004", "赵六", "男", "1968-03", "013", "否", "", "否", ""]).changed
    assert FieldChange("active", "否", "是") in change.changes


def test_a_representative_not_in_the_file_still_counts() -> None:
    # 王五 (P003) represents household 013 and is not in the file.
    diff = diff_of(["P009", "新人", "女", "2000-01", "013", "是", "", "否", ""])
    (problem,) = diff.problems
    assert (problem.row, problem.column) == (2, "户代表")
    assert "户 013 已有户代表 王五（编号 P003，不在这份名单里）" in problem.message


def test_moving_the_representative_into_the_file_is_fine() -> None:
    diff = diff_of(
        ["P009", "新人", "女", "2000-01", "013", "是", "", "否", ""],
        ["P003", "王五", "男", "1968-03", "013", "否", "", "否", ""],
    )
    assert diff.problems == []
