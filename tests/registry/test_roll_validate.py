"""Checking every row of a roll: all problems at once, each with row, column and reason."""

from __future__ import annotations

from datetime import date

from app.registry.models import GroupKind, Residence, Sex
from app.registry.roll.read import RawTable
from app.registry.roll.validate import Problem, code_key, validate

TODAY = date(2026, 11, 28)
HEADER = ["编号", "姓名", "性别", "出生年月", "户号", "户代表", "村民小组", "村干部", "住址"]


def table(*rows: list[object], headers: list[str] = HEADER) -> RawTable:
    return RawTable(1, headers, [(number, list(row)) for number, row in enumerate(rows, start=2)])


def test_a_good_row_becomes_a_person() -> None:
    result = validate(
        table(["P001", "张三", "男", "1968-03", "012", "是", "第一村民小组", "", "山前路1号"]),
        TODAY,
    )
    assert result.ok and result.warnings == []
    (row,) = result.rows
    assert (row.row, row.roll_number, row.name, row.sex) == (2, "P001", "张三", Sex.MALE)
    assert (row.birth_year, row.birth_month, row.household) == (1968, 3, "012")
    assert row.household_representative is True
    assert row.groups == {GroupKind.VILLAGERS: "第一村民小组"}
    assert row.flags == {"is_cadre": False}
    assert row.address == "山前路1号"
    assert row.residence is None  # no 登记类别 column: left as it is


def test_every_problem_is_reported_at_once() -> None:
    result = validate(
        table(
            ["P001", "张三", "男", "1968-03", "012", "是", "", "", ""],
            ["P002", "", "未知", "68年", "012", "", "", "也许", ""],  # four bad cells
            ["P003", "王五", "男", "1970-01", "", "", "", "", ""],
        ),
        TODAY,
    )
    assert not result.ok
    assert result.rows == []  # nothing is imported while any row is bad
    assert [(p.row, p.column) for p in result.problems] == [
        (3, "姓名"),
        (3, "性别"),
        (3, "出生年月"),
        (3, "村干部"),
        (4, "户号"),
    ]
    assert "户号不能空着" in result.problems[-1].message


def test_duplicate_roll_numbers_name_the_first_row() -> None:
    result = validate(
        table(
            ["P001", "张三", "男", "1968-03", "012"],
            ["P002", "李四", "男", "1968-03", "013"],
            ["P001", "王五", "男", "1968-03", "014"],
        ),
        TODAY,
    )
    assert result.problems == [
        Problem(4, "编号", "编号 P001 在第 2 行已经出现过，每人的编号不能重复。")
    ]


def test_numeric_codes_match_whatever_leading_zeros_excel_left() -> None:
    assert code_key("012") == code_key("12") == "12"
    assert code_key("P012") != code_key("P12")
    result = validate(
        table(["0012", "张三", "男", "1968-03", "1"], ["12", "李四", "男", "1968-03", "1"]), TODAY
    )
    assert [p.message for p in result.problems] == [
        "编号 12 在第 2 行已经出现过，每人的编号不能重复。"
    ]


def test_a_household_has_one_representative_even_if_a_row_is_bad() -> None:
    result = validate(
        table(
            [
                "P001",
                "张三",
                "男",
                "1968-13",
                "012",
                "是",
            ],  # bad birth month, still the representative
            ["P002", "李四", "男", "1968-03", "12", "是"],
        ),
        TODAY,
    )
    assert [(p.row, p.column, p.message) for p in result.problems] == [
        (2, "出生年月", "月份要在 1 到 12 之间，出生年月请写成 1968-03 这样。"),
        (3, "户代表", "户 12 已有户代表 张三（第 2 行），一户只能有一位户代表。"),
    ]


def test_one_address_per_household() -> None:
    result = validate(
        table(
            ["P001", "张三", "男", "1968-03", "012", "", "", "", "山前路1号"],
            ["P002", "李四", "男", "1968-03", "012", "", "", "", ""],
            ["P003", "王五", "男", "1968-03", "012", "", "", "", "山后路"],
        ),
        TODAY,
    )
    assert [(p.row, p.column) for p in result.problems] == [(4, "住址")]
    assert "和第 2 行写的不一样" in result.problems[0].message


def test_columns_are_named_as_the_file_writes_them() -> None:
    headers = ["roll_number", "name", "sex", "birth", "household", "residence"]
    result = validate(table(["P1", "张三", "x", "1968-03", "1", "外地"], headers=headers), TODAY)
    assert [(p.column) for p in result.problems] == ["sex", "residence"]


def test_missing_columns_are_one_problem_naming_them() -> None:
    result = validate(table(["张三", "男"], headers=["姓名", "性别", "备注"]), TODAY)
    assert [(p.row, p.column) for p in result.problems] == [(1, "")]
    assert "缺少必填的列：编号、出生年月、户号" in result.problems[0].message
    assert result.warnings == ["这些列认不出来，不会导入：备注。"]


def test_unknown_columns_and_stray_cells_are_warnings() -> None:
    headers = ["编号", "姓名", "性别", "出生年月", "户号", "电话"]
    result = validate(
        table(
            ["P1", "张三", "男", "1968-03", "1", "138"],
            ["P2", "李四", "男", "1968-03", "1", "", "多出来的"],
            headers=headers,
        ),
        TODAY,
    )
    assert result.ok
    assert result.warnings == [
        "这些列认不出来，不会导入：电话。",
        "第 3 行（可能还有别的行）在没有列名的列里填了内容，这些内容不会导入。",
    ]


def test_optional_values_default_sensibly() -> None:
    headers = [*HEADER, "登记类别", "协会联户组"]
    result = validate(
        table(["P1", "张三", "女", "1968-03", "1", "", "", "", "", "", ""], headers=headers), TODAY
    )
    (row,) = result.rows
    assert row.household_representative is False
    assert row.residence is Residence.REGISTERED_RESIDENT
    assert row.groups == {GroupKind.VILLAGERS: "", GroupKind.ASSOCIATION: ""}
    assert row.address == ""
