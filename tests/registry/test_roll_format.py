"""Roll file columns, header names and cell parsing: pure functions, no database."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from app.registry.models import Residence, Sex
from app.registry.roll.format import (
    COLUMNS,
    CellError,
    cell_text,
    column_letter,
    map_headers,
    parse_birth,
    parse_flag,
    parse_residence,
    parse_sex,
    parse_text,
    xlsx_number,
)

TODAY = date(2026, 11, 28)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("1968-03", (1968, 3)),
        ("1968/3", (1968, 3)),
        ("1968.03", (1968, 3)),
        ("1968年3月", (1968, 3)),
        ("1968年03月15日", (1968, 3)),
        ("1968-3-15", (1968, 3)),
        ("1968/03/15", (1968, 3)),
        ("196803", (1968, 3)),
        ("19680315", (1968, 3)),
        ("１９６８－０３", (1968, 3)),  # typed with a Chinese input method
        (" 1968 - 12 ", (1968, 12)),
        ("2026-11", (2026, 11)),
        (datetime(1968, 3, 1), (1968, 3)),  # what Excel makes of 1968-03
        (date(1968, 3, 1), (1968, 3)),
        ("1968-03-01 00:00:00", (1968, 3)),
    ],
)
def test_birth_month_in_the_ways_villages_write_it(
    written: object, expected: tuple[int, int]
) -> None:
    assert parse_birth(written, TODAY) == expected


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("", "出生年月不能空着"),
        ("68年3月", "出生年月请写成 1968-03 这样"),
        ("1968", "出生年月请写成 1968-03 这样"),
        ("三月", "出生年月请写成 1968-03 这样"),
        ("1968-13", "月份要在 1 到 12 之间"),
        ("1968-00", "月份要在 1 到 12 之间"),
        ("1968-03-40", "出生年月请写成 1968-03 这样"),
        ("1850-01", "年份要在 1900 年到今年之间"),
        ("2026-12", "年份要在 1900 年到今年之间"),  # next month: not born yet
    ],
)
def test_bad_birth_month_says_how_to_write_it(written: str, message: str) -> None:
    with pytest.raises(CellError) as caught:
        parse_birth(written, TODAY)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("written", "sex"),
    [
        ("男", Sex.MALE),
        (" 女 ", Sex.FEMALE),
        ("女性", Sex.FEMALE),
        ("M", Sex.MALE),
        ("f", Sex.FEMALE),
    ],
)
def test_sex(written: str, sex: Sex) -> None:
    assert parse_sex(written) is sex


@pytest.mark.parametrize("written", ["", "男的", "1", "未知"])
def test_bad_sex(written: str) -> None:
    with pytest.raises(CellError, match="性别只能填“男”或“女”"):
        parse_sex(written)


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("是", True),
        ("否", False),
        ("", False),
        (None, False),
        ("√", True),
        ("Y", True),
        ("no", False),
        (True, True),
        (1, True),
        (0, False),
    ],
)
def test_yes_no_flags(written: object, value: bool) -> None:
    assert parse_flag(written, "村干部") is value


def test_bad_flag_names_its_column() -> None:
    with pytest.raises(CellError, match="村干部只能填“是”或“否”"):
        parse_flag("也许", "村干部")


@pytest.mark.parametrize(
    ("written", "residence"),
    [
        ("", Residence.REGISTERED_RESIDENT),
        ("户籍在本村居住", Residence.REGISTERED_RESIDENT),
        ("户籍在本村外出", Residence.REGISTERED_AWAY),
        ("户籍在本村、外出", Residence.REGISTERED_AWAY),
        ("非户籍居住满一年", Residence.RESIDENT_ADMITTED),
        ("registered_away", Residence.REGISTERED_AWAY),
    ],
)
def test_residence(written: str, residence: Residence) -> None:
    assert parse_residence(written) is residence


def test_bad_residence_lists_the_choices() -> None:
    with pytest.raises(CellError) as caught:
        parse_residence("外地")
    assert "户籍在本村居住" in str(caught.value) and "非户籍居住满一年" in str(caught.value)


def test_required_and_too_long_text() -> None:
    with pytest.raises(CellError, match="姓名不能空着"):
        parse_text("  ", "name", "姓名", required=True)
    with pytest.raises(CellError, match="姓名最多 50 个字"):
        parse_text("长" * 51, "name", "姓名", required=True)
    assert parse_text("", "address", "住址", required=False) == ""


def test_codes_are_normalised_but_names_are_not() -> None:
    assert parse_text("Ｐ００１", "roll_number", "编号", required=True) == "P001"
    assert parse_text(12.0, "household", "户号", required=True) == "12"
    assert parse_text("\u3000张三 ", "name", "姓名", required=True) == "张三"


def test_cell_text_undoes_the_exports_formula_guard() -> None:
    assert cell_text("'=SUM(A1)") == "=SUM(A1)"
    assert cell_text("'-3") == "-3"
    assert cell_text("O'Brien") == "O'Brien"
    assert cell_text(None) == ""
    assert cell_text(True) == "是"


def test_xlsx_number_keeps_the_decimals_the_cell_shows() -> None:
    assert xlsx_number(1968.1, "0.00") == "1968.10"
    assert parse_birth(xlsx_number(1968.1, "0.00"), TODAY) == (1968, 10)
    assert parse_birth(xlsx_number(1968.1, "General"), TODAY) == (1968, 1)


def test_headers_in_chinese_or_english_in_any_order() -> None:
    headers = ["sex", "姓名", " 编号 ", "Birth", "户号*", "村民小组", "备注", "电话"]
    mapped = map_headers(headers)
    assert mapped.positions["roll_number"] == 2
    assert mapped.positions["birth"] == 3
    assert mapped.positions["household"] == 4
    assert mapped.label("sex") == "sex"  # messages name the header as written
    assert mapped.label("cadre") == "村干部"
    assert mapped.missing == []
    assert mapped.unknown == ["备注", "电话"]


def test_missing_required_columns_are_named() -> None:
    mapped = map_headers(["姓名", "性别", "住址"])
    assert mapped.missing == ["编号", "出生年月", "户号"]


def test_a_column_given_twice_is_reported() -> None:
    mapped = map_headers(["编号", "姓名", "name", "性别", "出生年月", "户号"])
    assert len(mapped.duplicates) == 1
    assert "B 列和 C 列" in mapped.duplicates[0]


def test_every_column_has_distinct_names() -> None:
    names = [c.header for c in COLUMNS] + [c.alias for c in COLUMNS]
    assert len(names) == len(set(names))
    assert map_headers(names[: len(COLUMNS)]).positions == {c.key: i for i, c in enumerate(COLUMNS)}


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 1, 25, 26, 27, 51, 52)] == [
        "A",
        "B",
        "Z",
        "AA",
        "AB",
        "AZ",
        "BA",
    ]
