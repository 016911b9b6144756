"""Reading an uploaded roll file (CSV or .xlsx) into rows of cells.

Row numbers are the ones the spreadsheet shows (the header is normally row 1), so a
message such as "第 5 行" points the organizer at the right line. A file that cannot
be read at all raises `RollFileError` with a message saying what to do.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from app.i18n import gettext_, lazy
from app.registry.exceptions import RollFileError
from app.registry.roll.format import count_known_headers, xlsx_number

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
# A title line ("桃源村村民名册") may sit above the header; look this far for it.
HEADER_SEARCH_ROWS = 10
# A sheet formatted far beyond its data would take minutes to walk: refuse it.
MAX_SCANNED_ROWS = MAX_ROWS * 5
DELIMITERS = (",", "\t", ";")
# An .xlsx is a zip archive: 10 MB of it can inflate to gigabytes (a "zip bomb"), and
# openpyxl would hold a huge cell or string table in memory. The archive's directory
# says how big each part is; Python's zipfile never inflates a part past its declared
# size, so refusing on the declared sizes bounds what openpyxl can read. A 20,000-person
# roll is about 10 MB inflated, a sheet formatted far beyond its data about 30 MB.
MAX_XLSX_ENTRIES = 1000
MAX_XLSX_INFLATED = 64 * 1024 * 1024
# Real sheets compress about 15:1; zeros compress 1000:1. Small parts may compress well.
MAX_XLSX_RATIO = 200
RATIO_CHECKED_FROM = 1024 * 1024

_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and .et) format


@dataclass
class RawTable:
    header_row: int  # spreadsheet row number of the header
    headers: list[str]
    rows: list[tuple[int, list[object]]]  # (spreadsheet row number, cells), no blank rows


def read_table(filename: str, content: bytes) -> RawTable:
    if len(content) > MAX_BYTES:
        raise RollFileError(
            lazy(
                "文件太大了（%(size)s MB），一次最多 10 MB。请删掉多余的工作表和图片，或把名单分成几份上传。"
            ),
            size=f"{len(content) / 1024 / 1024:.1f}",
        )
    if not content.strip():
        raise RollFileError(lazy("文件是空的，请检查是不是选错了文件。"))
    if content.startswith(_XLSX_MAGIC):
        check_xlsx_archive(content)
        return _table_from_rows(_xlsx_rows(content))
    if content.startswith(_OLE_MAGIC) or filename.lower().endswith((".xls", ".et")):
        raise RollFileError(
            lazy("这是旧版 Excel（.xls）文件。请在 Excel 里“另存为” .xlsx 或 CSV 格式后再上传。")
        )
    if filename.lower().endswith(".xlsx"):
        raise RollFileError(lazy("这个 .xlsx 文件已损坏，打不开。请在 Excel 里重新保存后再上传。"))
    return _table_from_rows(_csv_rows(decode_text(content)))


def decode_text(content: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text"), or GB18030/GBK."""
    if content.startswith(b"\xef\xbb\xbf"):
        text = _decode(content, "utf-8-sig")
    elif content.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = _decode(content, "utf-16")
    else:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            # What Chinese Excel and WPS save as "CSV"; GB18030 is a superset of GBK.
            text = _decode(content, "gb18030")
    if "\x00" in text:
        # No text file holds NUL characters: this is a picture, a PDF, a Word file...
        raise _unreadable()
    return text


def _decode(content: bytes, encoding: str) -> str:
    try:
        return content.decode(encoding)
    except UnicodeDecodeError as error:
        raise _unreadable() from error


def _unreadable() -> RollFileError:
    return RollFileError(
        lazy(
            "认不出文件的文字编码，可能不是名单文件。请在 Excel 里“另存为” CSV（UTF-8）或 .xlsx 格式后再上传。"
        )
    )


def sniff_delimiter(text: str) -> str:
    """The separator used on the first non-blank line: comma, tab or semicolon."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: first.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(text: str) -> Iterator[tuple[int, list[object]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    try:
        # One record per spreadsheet row, even when a quoted cell holds a line break.
        for number, record in enumerate(reader, start=1):
            yield number, list(record)
    except csv.Error as error:
        raise RollFileError(
            lazy("第 %(row)s 行的格式不对（%(detail)s），请在 Excel 里重新保存后再上传。"),
            row=reader.line_num,
            detail=str(error),
        ) from error


def check_xlsx_archive(content: bytes) -> None:
    """Refuse an .xlsx whose parts would inflate past the limits, before openpyxl opens it."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as error:
        raise _damaged_xlsx() from error
    if len(entries) > MAX_XLSX_ENTRIES:
        raise RollFileError(
            lazy(
                "这个 Excel 文件里的部件太多（%(count)s 个，最多 %(max)s 个），不像是一份名单。请把名单复制到一个新建的 Excel 文件里，另存为 .xlsx 或 CSV 格式后再上传。"
            ),
            count=len(entries),
            max=MAX_XLSX_ENTRIES,
        )
    inflated = sum(entry.file_size for entry in entries)
    if inflated > MAX_XLSX_INFLATED:
        raise RollFileError(
            lazy(
                "这个 Excel 文件解压后太大了（约 %(size)s MB，最多 %(max)s MB），不像是一份名单。请删掉多余的工作表、图片和名单下面的空行，或把名单复制到一个新建的 Excel 文件里，另存为 .xlsx 或 CSV 格式后再上传。"
            ),
            size=f"{inflated / 1024 / 1024:.0f}",
            max=MAX_XLSX_INFLATED // (1024 * 1024),
        )
    for entry in entries:
        if entry.file_size > RATIO_CHECKED_FROM and entry.file_size > MAX_XLSX_RATIO * max(
            entry.compress_size, 1
        ):
            raise RollFileError(
                lazy(
                    "这个 Excel 文件压缩得异常厉害，解压后会占用太多内存，不像是一份名单。请把名单复制到一个新建的 Excel 文件里，另存为 .xlsx 或 CSV 格式后再上传。"
                )
            )


def _damaged_xlsx() -> RollFileError:
    return RollFileError(
        lazy("这个 Excel 文件打不开，可能已损坏。请在 Excel 里重新保存为 .xlsx 后再上传。")
    )


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list[object]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:
        # openpyxl raises many kinds of errors on a damaged file; all mean the same.
        raise _damaged_xlsx() from error
    try:
        sheet = workbook.active or workbook.worksheets[0]
        # Some programs write a wrong sheet size; without it openpyxl reads every row.
        sheet.reset_dimensions()
        for number, cells in enumerate(sheet.iter_rows(min_row=1, min_col=1), start=1):
            yield number, [_xlsx_value(cell) for cell in cells]
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise RollFileError(
            lazy("这个 Excel 文件有一部分读不出来。请在 Excel 里重新保存为 .xlsx 后再上传。")
        ) from error
    finally:
        workbook.close()


def _xlsx_value(cell: object) -> object:
    value = getattr(cell, "value", None)
    if isinstance(value, float):
        return xlsx_number(value, getattr(cell, "number_format", None))
    return value


def _is_blank(cells: list[object]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _trim(cells: list[object]) -> list[object]:
    end = len(cells)
    while end and (cells[end - 1] is None or str(cells[end - 1]).strip() == ""):
        end -= 1
    return cells[:end]


def _table_from_rows(source: Iterable[tuple[int, list[object]]]) -> RawTable:
    header_row, headers = 0, []
    rows: list[tuple[int, list[object]]] = []
    seen_before_header = 0
    for number, cells in source:
        if number > MAX_SCANNED_ROWS:
            raise RollFileError(
                lazy(
                    "表格超过了 %(max)s 行（连空行一起算）。请删掉名单下面多余的空行，或把名单分成几份上传。"
                ),
                max=MAX_SCANNED_ROWS,
            )
        if _is_blank(cells):
            continue
        if not header_row:
            seen_before_header += 1
            if count_known_headers(cells) >= 2:
                header_row = number
                headers = [_header_text(cell) for cell in _trim(cells)]
            elif seen_before_header >= HEADER_SEARCH_ROWS:
                break
            continue
        if len(rows) >= MAX_ROWS:
            raise RollFileError(
                lazy(
                    "名单超过了 %(max)s 行，一次最多导入 %(max)s 人。请把名单分成几份，分几次上传。"
                ),
                max=MAX_ROWS,
            )
        rows.append((number, _trim(cells)))
    if not header_row:
        raise RollFileError(
            lazy(
                "没有找到表头。第一行应当是列名：编号、姓名、性别、出生年月、户号……请对照导入说明修改。"
            )
        )
    if not rows:
        raise RollFileError(lazy("表头下面没有村民，请检查是不是选错了文件或工作表。"))
    return RawTable(header_row=header_row, headers=headers, rows=rows)


def _header_text(cell: object) -> str:
    return "" if cell is None else str(cell).strip()


def describe_limits() -> str:
    return gettext_("CSV 或 Excel（.xlsx）文件，最大 10 MB，最多 %(rows)s 人。", rows=MAX_ROWS)
