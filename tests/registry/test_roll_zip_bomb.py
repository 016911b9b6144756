"""A zip-bomb .xlsx is refused from the archive's directory, before openpyxl opens it.

The bombs are real workbooks (openpyxl opens them) whose sheet holds one huge cell of
zeros: a few hundred KB on the wire, hundreds of MB inflated. Before the check, reading
one took the server's memory up by more than the cell's size.
"""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from collections.abc import Iterator

import openpyxl
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.audit.models import AuditEntry
from app.permissions import Role
from app.registry.models import Person, RollImport, Village
from app.registry.roll.read import MAX_XLSX_ENTRIES, MAX_XLSX_INFLATED
from tests import factories
from tests.conftest import csrf_from, sign_in

MiB = 1024 * 1024
# What the server may allocate while refusing a bomb: the upload, the page, the test
# client; nowhere near the inflated size.
MEMORY_BOUND = 200 * MiB
SHEET = "xl/worksheets/sheet1.xml"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def small_workbook() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["编号", "姓名", "性别", "出生年月", "户号"])
    sheet.append(["P001", "张三", "男", "1968-03", "012"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _zeros(size: int) -> Iterator[bytes]:
    chunk = b"0" * MiB
    for _ in range(size // MiB):
        yield chunk


def bomb(cell_size: int, extra_entries: int = 0) -> bytes:
    """A valid workbook whose sheet's second row holds one cell of `cell_size` zeros."""
    source = zipfile.ZipFile(io.BytesIO(small_workbook()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for entry in source.infolist():
            if entry.filename != SHEET:
                archive.writestr(entry.filename, source.read(entry.filename))
        # Written in chunks: the test never holds the inflated sheet in memory.
        with archive.open(SHEET, "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>\xe7\xbc\x96\xe5\x8f\xb7'
                b'</t></is></c><c r="B1" t="inlineStr"><is><t>\xe5\xa7\x93\xe5\x90\x8d</t></is>'
                b'</c></row><row r="2"><c r="A2" t="inlineStr"><is><t>'
            )
            for chunk in _zeros(cell_size):
                sheet.write(chunk)
            sheet.write(b"</t></is></c></row></sheetData></worksheet>")
        for number in range(extra_entries):
            archive.writestr(f"xl/media/padding{number}.bin", b"")
    return out.getvalue()


@pytest.fixture(scope="module")
def big_bomb() -> bytes:
    # 256 MiB inflated, far past the limit.
    content = bomb(256 * MiB)
    assert len(content) < 10 * MiB
    return content


@pytest.fixture
def no_openpyxl(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Records any attempt to open a workbook (the bound is that none is made)."""
    calls: list[object] = []
    real = openpyxl.load_workbook

    def spy(*args: object, **kwargs: object) -> object:
        calls.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(openpyxl, "load_workbook", spy)
    return calls


def count(db: Session, model: type) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model)) or 0


def upload(client: TestClient, village: Village, content: bytes) -> tuple[object, float, int]:
    """POST the file; the response, the seconds it took and the peak memory allocated."""
    path = f"/villages/{village.id}/import"
    token = csrf_from(client, path)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        response = client.post(
            path,
            data={"csrf_token": token},
            files={"roll_file": ("名册.xlsx", content, XLSX_TYPE)},
        )
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return response, elapsed, peak


def test_an_xlsx_inflating_past_the_limit_is_refused_without_opening_it(
    client: TestClient, db: Session, big_bomb: bytes, no_openpyxl: list[object]
) -> None:
    village = factories.VillageFactory()
    sign_in(client, factories.staff(Role.ORGANIZER, village).username)
    audit_before = count(db, AuditEntry)
    response, elapsed, peak = upload(client, village, big_bomb)
    assert response.status_code == 422  # type: ignore[attr-defined]
    text = response.text  # type: ignore[attr-defined]
    assert "这个 Excel 文件解压后太大了（约 256 MB，最多 64 MB）" in text
    assert "另存为 .xlsx 或 CSV 格式后再上传" in text
    assert no_openpyxl == []
    assert peak < MEMORY_BOUND, f"peak {peak / MiB:.0f} MiB"
    assert elapsed < 5  # loose: the point is that nothing is inflated
    assert count(db, RollImport) == 0
    assert count(db, Person) == 0
    assert count(db, AuditEntry) == audit_before


def test_a_bomb_under_the_size_limit_is_refused_for_its_ratio(
    client: TestClient, db: Session, no_openpyxl: list[object]
) -> None:
    content = bomb(MAX_XLSX_INFLATED // 2)
    village = factories.VillageFactory()
    sign_in(client, factories.staff(Role.ORGANIZER, village).username)
    response, _, peak = upload(client, village, content)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "这个 Excel 文件压缩得异常厉害" in response.text  # type: ignore[attr-defined]
    assert no_openpyxl == []
    assert peak < MEMORY_BOUND
    assert count(db, RollImport) == 0


def test_an_xlsx_of_too_many_parts_is_refused(
    client: TestClient, db: Session, no_openpyxl: list[object]
) -> None:
    content = bomb(MiB, extra_entries=MAX_XLSX_ENTRIES)
    village = factories.VillageFactory()
    sign_in(client, factories.staff(Role.ORGANIZER, village).username)
    response, _, _ = upload(client, village, content)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert f"最多 {MAX_XLSX_ENTRIES} 个" in response.text  # type: ignore[attr-defined]
    assert no_openpyxl == []
    assert count(db, RollImport) == 0


def test_an_ordinary_xlsx_roll_still_goes_to_the_preview(
    client: TestClient, db: Session, no_openpyxl: list[object]
) -> None:
    village = factories.VillageFactory()
    sign_in(client, factories.staff(Role.ORGANIZER, village).username)
    response, _, _ = upload(client, village, small_workbook())
    assert response.status_code == 303, response.text  # type: ignore[attr-defined]
    assert len(no_openpyxl) == 1
    assert count(db, RollImport) == 1
