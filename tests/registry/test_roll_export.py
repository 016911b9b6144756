"""The export writes the import's columns, so export → import changes nothing."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from app.registry.models import GroupKind, Residence, Sex
from app.registry.roll.diff import (
    GroupState,
    HouseholdState,
    PersonState,
    VillageState,
    compute_diff,
)
from app.registry.roll.export import roll_rows, to_csv, to_xlsx
from app.registry.roll.format import COLUMNS
from app.registry.roll.read import read_table
from app.registry.roll.validate import validate

TODAY = date(2026, 11, 28)


def flags(**on: bool) -> dict[str, bool]:
    names = ("household_representative", "villager_representative", "cadre", "association_member")
    return {f"is_{name}": on.get(name, False) for name in names}


def state() -> VillageState:
    return VillageState(
        village_id=1,
        people=[
            PersonState(
                2,
                "P002",
                "李秀英",
                Sex.FEMALE,
                1970,
                5,
                10,
                Residence.REGISTERED_AWAY,
                True,
                flags(association_member=True),
                groups={GroupKind.WOMEN: 51, GroupKind.VILLAGERS: 50},
            ),
            PersonState(
                1,
                "P001",
                "张三",
                Sex.MALE,
                1968,
                3,
                10,
                Residence.REGISTERED_RESIDENT,
                True,
                flags(household_representative=True, cadre=True),
                groups={GroupKind.VILLAGERS: 50},
            ),
            PersonState(
                3,
                "0007",
                "=王五",
                Sex.MALE,
                1955,
                12,
                11,
                Residence.RESIDENT_ADMITTED,
                True,
                flags(villager_representative=True),
            ),
            PersonState(
                4,
                "P004",
                "已注销",
                Sex.MALE,
                1950,
                1,
                11,
                Residence.REGISTERED_RESIDENT,
                False,
                flags(),
            ),
        ],
        households={10: HouseholdState(10, "012", "山前路1号"), 11: HouseholdState(11, "013", "")},
        groups={
            50: GroupState(50, GroupKind.VILLAGERS, "第一村民小组"),
            51: GroupState(51, GroupKind.WOMEN, "一组育龄妇女小组"),
        },
    )


def test_rows_are_the_import_columns_household_by_household() -> None:
    rows = roll_rows(state())
    assert rows[0] == [c.header for c in COLUMNS]
    assert rows[1:] == [
        [
            "P001",
            "张三",
            "男",
            "1968-03",
            "012",
            "是",
            "第一村民小组",
            "",
            "",
            "否",
            "是",
            "否",
            "户籍在本村居住",
            "山前路1号",
        ],
        [
            "P002",
            "李秀英",
            "女",
            "1970-05",
            "012",
            "否",
            "第一村民小组",
            "一组育龄妇女小组",
            "",
            "否",
            "否",
            "是",
            "户籍在本村外出",
            "山前路1号",
        ],
        [
            "0007",
            "=王五",
            "男",
            "1955-12",
            "013",
            "否",
            "",
            "",
            "",
            "是",
            "否",
            "否",
            "非户籍居住满一年",
            "",
        ],
    ]  # the person no longer on the roll is not exported


def test_csv_has_a_bom_crlf_and_no_formulas() -> None:
    content = to_csv(roll_rows(state()))
    assert content.startswith(b"\xef\xbb\xbf\xe7\xbc\x96\xe5\x8f\xb7,")  # BOM then 编号
    assert b"\r\n" in content
    assert "'=王五" in content.decode("utf-8-sig")


def test_xlsx_cells_are_text_never_formulas() -> None:
    sheet = load_workbook(io.BytesIO(to_xlsx(roll_rows(state()), "测试村村民名册"))).active
    assert sheet.title == "测试村村民名册"
    assert sheet["A4"].value == "0007" and sheet["A4"].data_type == "s"
    assert sheet["B4"].value == "=王五" and sheet["B4"].data_type == "s"
    assert sheet["E2"].value == "012"


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_then_import_changes_nothing(file_format: str) -> None:
    rows = roll_rows(state())
    content = to_csv(rows) if file_format == "csv" else to_xlsx(rows, "名册")
    validation = validate(read_table(f"roll.{file_format}", content), TODAY)
    assert validation.ok and validation.warnings == []
    diff = compute_diff(validation, state())
    assert diff.changed == [] and diff.added == [] and diff.problems == []
    assert not diff.changes_anything
    assert [c.person.name for c in diff.unchanged] == ["张三", "李秀英", "=王五"]
    assert diff.kept_columns == []
