"""Tables of figures: one description, shown as HTML, CSV and .xlsx with the same numbers.

A `Table` holds raw values (percent cells an exact `Fraction` or None, int cells an int
or None, number cells a Fraction/int/float or None, date cells a date or None, text cells
str). `format_cell` is the one place that turns a value into what a reader sees: "85.0%",
"12", "5.5", "2026-05-01", or "无数据" for a figure that could not be measured (a 0
denominator) — never "0.0%". A column whose empty cells mean "does not apply" rather than
"no data" says so (`Column.blank_when_empty`), or names what it means instead
(`Column.empty_text`, "未填写"). In the .xlsx every figure is a number.

The CSV is UTF-8 with a BOM (without it Chinese Excel shows garbled text) and CRLF line
ends; its percent cells read "85.0%", which Excel opens as the number 0.85. The .xlsx
keeps percent cells as numbers (0.85) formatted "0.0%", so both files show the same
figures and the .xlsx can still be summed.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from typing import Any, Literal
from urllib.parse import quote

from starlette.responses import Response

from app.i18n import gettext_

ColumnKind = Literal["text", "int", "number", "percent", "date"]
FIGURE_KINDS = ("int", "number", "percent")
ExportFormat = Literal["csv", "xlsx"]

MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"
# Spreadsheet programs run a cell starting with these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: ColumnKind
    # An empty figure reads blank (the figure does not apply to the row), not "无数据".
    blank_when_empty: bool = False
    # What an empty figure reads instead, where empty says something else ("未填写": not
    # entered yet). The .xlsx cell stays empty, so the column still sums.
    empty_text: str = ""


@dataclass(frozen=True)
class Cell:
    """One formatted cell, for templates: the text, its kind, whether it is no data, and its
    column's key (for a class: a verdict column never wraps)."""

    text: str
    kind: ColumnKind
    missing: bool
    key: str = ""


@dataclass(frozen=True)
class Table:
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""

    def display_rows(self) -> list[list[Cell]]:
        """Every row as formatted cells, in column order (what render_table shows)."""
        return [
            [
                Cell(
                    format_cell(column, row.get(column.key)),
                    column.kind,
                    _missing(column, row),
                    column.key,
                )
                for column in self.columns
            ]
            for row in self.rows
        ]


def _missing(column: Column, row: dict[str, Any]) -> bool:
    return (
        column.kind in FIGURE_KINDS and not column.blank_when_empty and row.get(column.key) is None
    )


def no_data() -> str:
    return gettext_("无数据")


def percent_text(value: Fraction | None) -> str:
    """One decimal, rounded half up from the exact fraction: 17/20 -> "85.0%"."""
    if value is None:
        return no_data()
    tenths = math.floor(Fraction(value) * 1000 + Fraction(1, 2))
    sign = "-" if tenths < 0 else ""
    tenths = abs(tenths)
    return f"{sign}{tenths // 10}.{tenths % 10}%"


def number_text(value: Fraction | float | int) -> str:
    """A whole number as "3", anything else with one decimal: "5.5"."""
    exact = Fraction(value)
    if exact.denominator == 1:
        return str(exact.numerator)
    return f"{float(exact):.1f}"


def format_cell(column: Column, value: Any) -> str:
    if value is None and column.kind in FIGURE_KINDS:
        if column.empty_text:
            return column.empty_text
        return "" if column.blank_when_empty else no_data()
    if column.kind == "percent":
        return percent_text(value)
    if column.kind == "int":
        return str(int(value))
    if column.kind == "number":
        return number_text(value)
    if value is None:
        return ""
    if column.kind == "date":
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
    return str(value)


def _csv_safe(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_rows(table: Table) -> list[list[str]]:
    rows = [[_csv_safe(str(column.label)) for column in table.columns]]
    for row in table.rows:
        cells = []
        for column in table.columns:
            text = format_cell(column, row.get(column.key))
            cells.append(_csv_safe(text) if column.kind == "text" else text)
        rows.append(cells)
    return rows


def _write_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def to_csv(table: Table) -> bytes:
    """The header row, then one row per table row: what `render_table` shows."""
    return _write_csv(_csv_rows(table))


def tables_to_csv(tables: Sequence[Table]) -> bytes:
    """Several tables one after another, each preceded by its title, a blank line between."""
    if len(tables) == 1:
        return to_csv(tables[0])
    rows: list[list[str]] = []
    for index, table in enumerate(tables):
        if index:
            rows.append([])
        rows.append([_csv_safe(str(table.title))])
        rows.extend(_csv_rows(table))
        if table.note:
            rows.append([_csv_safe(str(table.note))])
    return _write_csv(rows)


def _sheet_title(title: str, used: set[str]) -> str:
    base = _SHEET_FORBIDDEN.sub("_", str(title)).strip("'") or "Sheet"
    base = base[:31]
    name, number = base, 2
    while name.lower() in used:
        suffix = f" ({number})"
        name = base[: 31 - len(suffix)] + suffix
        number += 1
    used.add(name.lower())
    return name


def _xlsx_value(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.kind == "percent":
        return float(Fraction(value))
    if column.kind == "int":
        return int(value)
    if column.kind == "number":
        return float(Fraction(value))
    if column.kind == "date" and isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    return str(value)


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """One sheet per table: the header row, the rows, and the table's note below them."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    used: set[str] = set()
    for table in tables:
        sheet = workbook.create_sheet(title=_sheet_title(table.title, used))
        for index, column in enumerate(table.columns, start=1):
            width = max(10, min(40, 2 * len(str(column.label)) + 2))
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        header = []
        for column in table.columns:
            cell = WriteOnlyCell(sheet, value=str(column.label))
            cell.data_type = "s"
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in table.rows:
            cells = []
            for column in table.columns:
                cell = WriteOnlyCell(sheet, value=_xlsx_value(column, row.get(column.key)))
                if column.kind == "percent":
                    cell.number_format = PERCENT_FORMAT
                elif column.kind == "date":
                    cell.number_format = DATE_FORMAT
                elif column.kind == "text" and cell.value is not None:
                    # Always text: never turns "=..." into a formula.
                    cell.data_type = "s"
                cells.append(cell)
            sheet.append(cells)
        if table.note:
            sheet.append([])
            note = WriteOnlyCell(sheet, value=str(table.note))
            note.data_type = "s"
            sheet.append([note])
    if not tables:
        workbook.create_sheet(title="Sheet")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_response(tables: Sequence[Table], fmt: ExportFormat, filename: str) -> Response:
    """A download of the tables; `filename` without extension, Chinese allowed."""
    if fmt == "csv":
        content = tables_to_csv(tables)
    elif fmt == "xlsx":
        content = to_xlsx(tables)
    else:  # pragma: no cover - typed as a Literal; a view passes only the two
        raise ValueError(fmt)
    full_name = f"{filename}.{fmt}"
    # Header values must be ASCII; the Chinese name travels in filename*.
    fallback = re.sub(r"[^A-Za-z0-9_-]", "_", filename) or "export"
    disposition = f"attachment; filename=\"{fallback}.{fmt}\"; filename*=UTF-8''{quote(full_name)}"
    return Response(
        content,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )
