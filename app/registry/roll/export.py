"""Exporting a village's roll as CSV or .xlsx, in exactly the columns the import reads.

Exporting and importing the file again changes nothing. The CSV is UTF-8 with a BOM
(without it Chinese Excel shows the names garbled) and CRLF line ends.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from app.actors import Actor
from app.audit.services import record
from app.registry.models import Village
from app.registry.roll.diff import FLAG_KEY, KIND_COLUMN, PersonState, VillageState, load_state
from app.registry.roll.format import (
    COLUMNS,
    FORMULA_START,
    NO,
    RESIDENCE_TEXT,
    SEX_TEXT,
    YES,
    birth_text,
)
from app.registry.rules import today_in_china

ExportFormat = Literal["csv", "xlsx"]
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Widths (in characters) that fit each column's header and usual content.
_XLSX_WIDTHS = (10, 10, 6, 10, 8, 8, 14, 16, 14, 8, 8, 8, 18, 24)


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content: bytes
    media_type: str
    people: int


def roll_rows(state: VillageState) -> list[list[str]]:
    """The header row, then one row per person on the roll, household by household."""
    households = state.households
    people = sorted(
        (p for p in state.people if p.active),
        key=lambda p: (
            households[p.household_id].number,
            not p.flags["is_household_representative"],
            p.roll_number,
        ),
    )
    return [[column.header for column in COLUMNS], *(_person_row(p, state) for p in people)]


def _yes_no(value: bool) -> str:
    return YES if value else NO


def _person_row(person: PersonState, state: VillageState) -> list[str]:
    household = state.households[person.household_id]
    values: dict[str, str] = {
        "roll_number": person.roll_number,
        "name": person.name,
        "sex": SEX_TEXT[person.sex],
        "birth": birth_text(person.birth_year, person.birth_month),
        "household": household.number,
        "household_representative": _yes_no(person.flags["is_household_representative"]),
        "residence": RESIDENCE_TEXT[person.residence],
        "address": household.address,
    }
    for kind, key in KIND_COLUMN.items():
        group = state.groups.get(person.groups.get(kind, 0))
        values[key] = group.name if group else ""
    for attribute, key in FLAG_KEY.items():
        values[key] = _yes_no(person.flags[attribute])
    return [values[column.key] for column in COLUMNS]


def _csv_safe(value: str) -> str:
    # The import takes the apostrophe off again (see app.registry.roll.format.cell_text).
    return "'" + value if value.startswith(FORMULA_START) else value


def to_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_csv_safe(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(rows: list[list[str]], sheet_title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    # Excel refuses \ / ? * [ ] : in sheet names (a village may well be named "东/西村").
    title = re.sub(r"[\\/?*\[\]:]", "_", sheet_title)[:31] or "Sheet1"
    sheet = workbook.create_sheet(title=title)
    for index, width in enumerate(_XLSX_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    for number, row in enumerate(rows):
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            # Always text: keeps 012 as 012 and never turns "=..." into a formula.
            cell.data_type = "s"
            if number == 0:
                cell.font = bold
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_roll(
    session: Session, actor: Actor, village: Village, file_format: ExportFormat
) -> ExportFile:
    rows = roll_rows(load_state(session, village.id))
    title = f"{village.name}村民名册"
    content = to_csv(rows) if file_format == "csv" else to_xlsx(rows, title)
    people = len(rows) - 1
    record(
        session,
        actor,
        "roll.export",
        "village",
        village.id,
        {"format": file_format, "people": people},
        village_id=village.id,
        township_id=village.township_id,
    )
    filename = f"{title}-{today_in_china().isoformat()}.{file_format}"
    return ExportFile(filename, content, MEDIA_TYPES[file_format], people)
