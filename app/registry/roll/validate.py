"""Checking every row of a roll file, without touching the database.

All problems are collected, not just the first, so the organizer can fix the whole
file in one go. Each problem names the spreadsheet row, the column header as the file
writes it, and what to change.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from app.i18n import gettext_, join_list
from app.registry.models import GroupKind, Residence, Sex
from app.registry.roll.format import (
    COLUMN_BY_KEY,
    FLAG_COLUMNS,
    GROUP_COLUMNS,
    CellError,
    HeaderMap,
    cell_text,
    map_headers,
    parse_birth,
    parse_flag,
    parse_residence,
    parse_sex,
    parse_text,
)
from app.registry.roll.read import RawTable

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    row: int | None  # spreadsheet row; None for the file as a whole
    column: str  # the header as the file writes it; "" when not about one column
    message: str
    # Where the column sits, so a row's problems read left to right as in the file.
    position: int = field(default=0, compare=False)


@dataclass
class RollRow:
    """One valid person row. Optional fields are None when the file has no such column:
    the person's current value is then kept."""

    row: int
    roll_number: str
    name: str
    sex: Sex
    birth_year: int
    birth_month: int
    household: str
    household_representative: bool | None = None
    residence: Residence | None = None
    address: str | None = None
    groups: dict[GroupKind, str] = field(default_factory=dict)  # "" = in no group of that kind
    flags: dict[str, bool] = field(default_factory=dict)  # Person attribute -> value


@dataclass
class Validation:
    headers: HeaderMap
    rows: list[RollRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def code_key(code: str) -> str:
    """How codes are matched: Excel drops leading zeros (012 becomes 12), so a purely
    numeric code matches the same number however many zeros it starts with."""
    if code.isascii() and code.isdigit():
        return code.lstrip("0") or "0"
    return code


def name_key(name: str) -> str:
    """Group names match regardless of spaces and full-width forms."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))


def validate(table: RawTable, today: date) -> Validation:
    headers = map_headers(table.headers)
    result = Validation(headers=headers)
    if headers.missing:
        result.problems.append(
            Problem(
                table.header_row,
                "",
                gettext_(
                    "缺少必填的列：%(columns)s。请在表头（第 %(row)s 行）加上这些列名。",
                    columns=join_list(headers.missing),
                    row=table.header_row,
                ),
            )
        )
    for message in headers.duplicates:
        result.problems.append(Problem(table.header_row, "", message))
    if headers.unknown:
        result.warnings.append(
            gettext_(
                "这些列认不出来，不会导入：%(columns)s。",
                columns=join_list(headers.unknown),
            )
        )
    if not result.ok:
        # Without the right columns every row would be wrong: fix the header first.
        return result
    parsed: list[tuple[RollRow, bool]] = []
    stray_row: int | None = None
    for number, cells in table.rows:
        found = len(result.problems)
        row = _parse_row(headers, number, cells, today, result.problems)
        parsed.append((row, len(result.problems) == found))
        if stray_row is None and any(cell_text(c) for c in cells[len(table.headers) :]):
            stray_row = number
    if stray_row is not None:
        result.warnings.append(
            gettext_(
                "第 %(row)s 行（可能还有别的行）在没有列名的列里填了内容，这些内容不会导入。",
                row=stray_row,
            )
        )
    # Rows with a bad cell still take part in the checks across rows, so that every
    # problem shows up in the first report.
    duplicates = _check_duplicates(result, [row for row, _ok in parsed])
    _check_households(result, [row for row, _ok in parsed if row.row not in duplicates])
    if result.ok:
        result.rows = [row for row, _ok in parsed]
    result.problems.sort(key=lambda p: (p.row or 0, p.position))
    return result


def _parse_row(
    headers: HeaderMap, number: int, cells: list[object], today: date, problems: list[Problem]
) -> RollRow:
    """The row as far as it can be read; its problems are appended to `problems`."""

    def cell(key: str) -> object:
        index = headers.positions[key]
        return cells[index] if index < len(cells) else None

    def read(key: str, parse: Callable[[object], T]) -> T | None:
        if not headers.has(key):
            return None
        try:
            return parse(cell(key))
        except CellError as error:
            problems.append(Problem(number, headers.label(key), str(error), headers.positions[key]))
            return None

    def text(key: str, *, required: bool) -> str | None:
        label = COLUMN_BY_KEY[key].header
        return read(key, lambda v: parse_text(v, key, label, required=required))

    def flag(key: str) -> bool | None:
        label = COLUMN_BY_KEY[key].header
        return read(key, lambda v: parse_flag(v, label))

    birth = read("birth", lambda v: parse_birth(v, today))
    row = RollRow(
        row=number,
        roll_number=text("roll_number", required=True) or "",
        name=text("name", required=True) or "",
        sex=read("sex", parse_sex) or Sex.MALE,
        birth_year=birth[0] if birth else 0,
        birth_month=birth[1] if birth else 0,
        household=text("household", required=True) or "",
        household_representative=flag("household_representative"),
        residence=read("residence", parse_residence),
        address=text("address", required=False),
    )
    for key, kind in GROUP_COLUMNS.items():
        group = text(key, required=False)
        if group is not None:
            row.groups[kind] = group
    for key, attribute in FLAG_COLUMNS.items():
        value = flag(key)
        if value is not None:
            row.flags[attribute] = value
    return row


def _problem(result: Validation, row: RollRow, key: str, message: str) -> None:
    headers = result.headers
    result.problems.append(Problem(row.row, headers.label(key), message, headers.positions[key]))


def _check_duplicates(result: Validation, rows: list[RollRow]) -> set[int]:
    """Report each repeated 编号; return the row numbers of the repeats."""
    first_row: dict[str, int] = {}
    repeats: set[int] = set()
    for row in rows:
        if not row.roll_number:
            continue
        key = code_key(row.roll_number)
        if key not in first_row:
            first_row[key] = row.row
            continue
        repeats.add(row.row)
        message = gettext_(
            "编号 %(number)s 在第 %(first)s 行已经出现过，每人的编号不能重复。",
            number=row.roll_number,
            first=first_row[key],
        )
        _problem(result, row, "roll_number", message)
    return repeats


def _check_households(result: Validation, rows: list[RollRow]) -> None:
    """At most one representative per household; one address per household."""
    representative: dict[str, RollRow] = {}
    address: dict[str, RollRow] = {}
    for row in rows:
        if not row.household:
            continue
        key = code_key(row.household)
        if row.household_representative:
            first = representative.setdefault(key, row)
            if first is not row:
                message = gettext_(
                    "户 %(household)s 已有户代表 %(name)s（第 %(first)s 行），一户只能有一位户代表。",
                    household=row.household,
                    name=first.name or first.roll_number,
                    first=first.row,
                )
                _problem(result, row, "household_representative", message)
        if row.address:
            seen = address.setdefault(key, row)
            if seen.address != row.address:
                message = gettext_(
                    "户 %(household)s 的住址和第 %(first)s 行写的不一样，同一户请写同一个住址。",
                    household=row.household,
                    first=seen.row,
                )
                _problem(result, row, "address", message)
