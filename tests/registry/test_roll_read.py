"""Reading uploaded roll files: encodings, delimiters, .xlsx, blank rows and limits."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import Workbook

from app.registry.exceptions import RollFileError
from app.registry.roll import read as roll_read
from app.registry.roll.read import decode_text, read_table, sniff_delimiter

HEADER = ["编号", "姓名", "性别", "出生年月", "户号"]
ROWS = [["P001", "张三", "男", "1968-03", "012"], ["P002", "李秀英", "女", "1970-05", "012"]]


def csv_bytes(rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    return "\r\n".join(delimiter.join(r) for r in rows).encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_csv_in_every_encoding_excel_and_wps_save(encoding: str) -> None:
    table = read_table("名册.csv", csv_bytes([HEADER, *ROWS], encoding=encoding))
    assert table.headers == HEADER
    assert table.rows == [(2, ROWS[0]), (3, ROWS[1])]


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_delimiter_is_sniffed(delimiter: str) -> None:
    content = csv_bytes([HEADER, *ROWS], delimiter=delimiter)
    assert sniff_delimiter(content.decode()) == delimiter
    assert read_table("roll.txt", content).rows[1] == (3, ROWS[1])


def test_quoted_cells_with_commas_and_line_breaks_keep_row_numbers() -> None:
    content = '编号,姓名,性别,出生年月,户号,住址\nP001,张三,男,1968-03,012,"山前路1号,\n东头"\nP002,李四,男,1970-01,013,x\n'
    table = read_table("roll.csv", content.encode())
    assert table.rows[0] == (2, ["P001", "张三", "男", "1968-03", "012", "山前路1号,\n东头"])
    assert table.rows[1][0] == 3  # one spreadsheet row per record


def test_blank_rows_are_skipped_and_numbers_are_the_spreadsheets() -> None:
    content = csv_bytes([HEADER, ROWS[0], ["", "", "", "", ""], [], ROWS[1], [",,"]])
    table = read_table("roll.csv", content)
    assert [number for number, _cells in table.rows] == [2, 5]


def test_a_title_line_above_the_header_is_allowed() -> None:
    content = csv_bytes([["桃源村村民名册"], [], HEADER, ROWS[0]])
    table = read_table("roll.csv", content)
    assert table.header_row == 3
    assert table.rows == [(4, ROWS[0])]


def test_xlsx_values_and_row_numbers() -> None:
    content = xlsx_bytes(
        [
            HEADER,
            [None] * 5,
            ["P001", "张三", "男", datetime(1968, 3, 1), 12],
            ["P002", "李秀英", "女", "1970-05", "012"],
        ]
    )
    table = read_table("名册.xlsx", content)
    assert table.headers == HEADER
    assert table.rows[0] == (3, ["P001", "张三", "男", datetime(1968, 3, 1), 12])
    assert table.rows[1] == (4, ROWS[1])


def test_xlsx_is_recognised_by_its_content_not_its_name() -> None:
    assert read_table("roll.csv", xlsx_bytes([HEADER, ROWS[0]])).rows == [(2, ROWS[0])]


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("roll.csv", b"", "文件是空的"),
        ("roll.csv", b"  \r\n ", "文件是空的"),
        ("roll.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "旧版 Excel"),
        ("roll.xlsx", b"not a spreadsheet", "已损坏"),
        ("roll.xlsx", b"PK\x03\x04garbage", "打不开"),
        ("roll.csv", "名字,年龄\n张三,50\n".encode(), "没有找到表头"),
        ("roll.csv", csv_bytes([HEADER]), "表头下面没有村民"),
        ("roll.csv", b"\x00\x01\x02\x03" * 10, "认不出文件的文字编码"),
    ],
)
def test_unreadable_files_say_what_to_do(filename: str, content: bytes, message: str) -> None:
    with pytest.raises(RollFileError) as caught:
        read_table(filename, content)
    assert message in caught.value.render_message()


def test_more_than_the_row_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(roll_read, "MAX_ROWS", 3)
    rows = [[f"P{n}", "张三", "男", "1968-03", "012"] for n in range(3)]
    assert len(read_table("roll.csv", csv_bytes([HEADER, *rows])).rows) == 3
    with pytest.raises(RollFileError) as caught:
        read_table("roll.csv", csv_bytes([HEADER, *rows, rows[0]]))
    assert "一次最多导入 3 人" in caught.value.render_message()


def test_the_real_row_limit_is_twenty_thousand() -> None:
    rows = [[f"P{n}", "张三", "男", "1968-03", "012"] for n in range(20_001)]
    with pytest.raises(RollFileError) as caught:
        read_table("roll.csv", csv_bytes([HEADER, *rows]))
    assert "一次最多导入 20000 人" in caught.value.render_message()
    assert len(read_table("roll.csv", csv_bytes([HEADER, *rows[:20_000]])).rows) == 20_000


def test_more_than_ten_megabytes_is_refused() -> None:
    content = csv_bytes([HEADER, *ROWS]) + b" " * (10 * 1024 * 1024)
    with pytest.raises(RollFileError) as caught:
        read_table("roll.csv", content)
    assert "一次最多 10 MB" in caught.value.render_message()


def test_gb18030_is_the_fallback_for_non_utf8() -> None:
    assert decode_text("张三".encode("gb18030")) == "张三"
    assert decode_text("\ufeff张三".encode()) == "张三"
