"""Tables of figures: the HTML, the CSV and the .xlsx show the same numbers."""

from __future__ import annotations

import csv
import io
from datetime import date
from fractions import Fraction

from jinja2 import Environment
from openpyxl import load_workbook

from app.tables import Column, Table, export_response, format_cell, to_csv, to_xlsx
from app.templating import build_environment

COLUMNS = [
    Column("village", "村", "text"),
    Column("answers", "回答数", "int"),
    Column("rate", "满意率", "percent"),
    Column("day", "日期", "date"),
]
TABLE = Table(
    title="满意度",
    columns=COLUMNS,
    rows=[
        {"village": "东山村", "answers": 20, "rate": Fraction(17, 20), "day": date(2026, 5, 1)},
        {"village": "西河村", "answers": 3, "rate": Fraction(2, 3), "day": None},
        {"village": "=HYPERLINK(1)", "answers": None, "rate": None, "day": None},
    ],
    note="满意 = 4 分或 5 分。",
)


def test_format_cell_rounds_exact_fractions_half_up_and_says_no_data() -> None:
    rate = COLUMNS[2]
    assert format_cell(rate, Fraction(17, 20)) == "85.0%"
    assert format_cell(rate, Fraction(2, 3)) == "66.7%"
    assert format_cell(rate, Fraction(1701, 2000)) == "85.1%"  # 85.05 rounds up
    assert format_cell(rate, Fraction(0)) == "0.0%"
    assert format_cell(rate, None) == "无数据"
    assert format_cell(COLUMNS[1], None) == "无数据"
    assert format_cell(COLUMNS[1], 0) == "0"
    assert format_cell(COLUMNS[3], date(2026, 5, 1)) == "2026-05-01"


def test_csv_has_a_bom_and_parses_back_to_the_same_figures() -> None:
    content = to_csv(TABLE)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == ["村", "回答数", "满意率", "日期"]
    assert rows[1] == ["东山村", "20", "85.0%", "2026-05-01"]
    assert rows[2] == ["西河村", "3", "66.7%", ""]
    # A cell that a spreadsheet would run as a formula is kept as text.
    assert rows[3] == ["'=HYPERLINK(1)", "无数据", "无数据", ""]


def test_xlsx_keeps_percent_cells_as_numbers_with_a_percent_format() -> None:
    workbook = load_workbook(io.BytesIO(to_xlsx([TABLE, TABLE])))
    assert workbook.sheetnames == ["满意度", "满意度 (2)"]
    sheet = workbook["满意度"]
    assert [c.value for c in sheet[1]] == ["村", "回答数", "满意率", "日期"]
    assert sheet["B2"].value == 20
    assert sheet["C2"].value == 0.85
    assert sheet["C2"].number_format == "0.0%"
    assert abs(sheet["C3"].value - 2 / 3) < 1e-12
    assert sheet["B4"].value is None and sheet["C4"].value is None
    assert sheet["A4"].data_type == "s"
    assert sheet["A6"].value == "满意 = 4 分或 5 分。"
    # The number the sheet shows is the number the CSV says.
    csv_rows = list(csv.reader(io.StringIO(to_csv(TABLE).decode("utf-8-sig"))))
    for row_number in (2, 3):
        shown = f"{sheet[f'C{row_number}'].value * 100:.1f}%"
        assert shown == csv_rows[row_number - 1][2]


def test_export_response_sends_several_tables_each_under_its_title() -> None:
    other = Table(title="参选率", columns=[Column("n", "人数", "int")], rows=[{"n": 5}])
    response = export_response([TABLE, other], "csv", "东山村 2026")
    assert response.media_type.startswith("text/csv")
    disposition = response.headers["content-disposition"]
    assert "filename*=UTF-8''" in disposition and disposition.isascii()
    text = bytes(response.body).decode("utf-8-sig")
    blocks = text.split("\r\n\r\n")
    assert blocks[0].startswith("满意度\r\n村,回答数,满意率,日期")
    assert blocks[1] == "参选率\r\n人数\r\n5\r\n"
    xlsx = export_response([TABLE], "xlsx", "report")
    assert xlsx.media_type.endswith("spreadsheetml.sheet")
    assert load_workbook(io.BytesIO(bytes(xlsx.body)))["满意度"]["C2"].value == 0.85


def _render(table: Table) -> str:
    env: Environment = build_environment()
    template = env.from_string(
        '{% from "partials/table.html" import render_table %}{{ render_table(table) }}'
    )
    return template.render(table=table)


def test_render_table_shows_the_same_text_and_escapes() -> None:
    html = _render(TABLE)
    assert "<caption>满意度</caption>" in html
    assert "85.0%" in html and "66.7%" in html and "无数据" in html
    assert "满意 = 4 分或 5 分。" in html
    hostile = Table(title="<script>x</script>", columns=COLUMNS[:1], rows=[{"village": "<b>"}])
    html = _render(hostile)
    assert "<script>" not in html and "&lt;b&gt;" in html
    empty = _render(Table(title="空", columns=COLUMNS, rows=[]))
    assert "没有数据。" in empty


def test_number_cells_are_numbers_in_the_xlsx_and_read_the_same_everywhere() -> None:
    """答复用时中位数 and 答卷数: numbers in the .xlsx (summable), "5.5" and "3" on the page
    and in the CSV; an empty figure reads 无数据, or blank where it does not apply."""
    table = Table(
        "答复",
        [
            Column("round", "轮次", "text"),
            Column("median", "答复用时中位数（天）", "number"),
            Column("respondents", "答卷数", "int", blank_when_empty=True),
        ],
        [
            {"round": "第一轮", "median": Fraction(11, 2), "respondents": 12},
            {"round": "第二轮", "median": Fraction(3), "respondents": None},
            {"round": "第三轮", "median": None, "respondents": 0},
        ],
    )
    assert [[c.text for c in cells] for cells in table.display_rows()] == [
        ["第一轮", "5.5", "12"],
        ["第二轮", "3", ""],
        ["第三轮", "无数据", "0"],
    ]
    assert [(c.missing) for c in table.display_rows()[1]] == [False, False, False]
    sheet = load_workbook(io.BytesIO(to_xlsx([table]))).worksheets[0]
    rows = list(sheet.iter_rows(min_row=2))
    assert [(r[1].value, r[1].data_type) for r in rows[:2]] == [(5.5, "n"), (3.0, "n")]
    assert (rows[0][2].value, rows[0][2].data_type) == (12, "n")
    assert rows[1][2].value is None and rows[2][1].value is None
    csv_rows = list(csv.reader(io.StringIO(to_csv(table).decode("utf-8-sig"))))
    assert csv_rows[1:] == [["第一轮", "5.5", "12"], ["第二轮", "3", ""], ["第三轮", "无数据", "0"]]
