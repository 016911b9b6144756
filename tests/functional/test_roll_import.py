"""Done-when scenario of issue 2, end to end over HTTP with a real database, no mocks.

An organizer uploads a roll with five different faults: all five come back with row,
column and reason, and nothing at all is written. The same roll fixed imports and the
people are listed; importing it again changes nothing; export → import is a no-op.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
from collections.abc import Callable

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.audit.models import AuditEntry
from app.permissions import Role
from app.registry.models import (
    Group,
    GroupKind,
    GroupMembership,
    Household,
    Person,
    RollImport,
    Sex,
    Village,
)
from tests import factories
from tests.conftest import post_form, sign_in

HEADER = "编号,姓名,性别,出生年月,户号,户代表,村民小组,育龄妇女小组,协会联户组,村民代表,村干部,协会会员,登记类别,住址"
GOOD_ROWS = [
    "P001,张三,男,1968-03,012,是,第一村民小组,,协会联户组1,是,否,是,,山前路1号",
    "P002,李秀英,女,1970/5,012,否,第一村民小组,一组育龄妇女小组,协会联户组1,否,否,是,,山前路1号",
    "P003,张小明,男,1995年11月,012,否,第一村民小组,,,否,否,否,户籍在本村外出,山前路1号",
    "P004,王建国,男,1955.07,013,是,第二村民小组,,,否,是,否,,山后路2号",
    "P005,赵桂兰,女,1958-12,013,否,第二村民小组,二组育龄妇女小组,,否,否,否,,山后路2号",
    "P006,刘春花,女,1981-01,014,是,第二村民小组,二组育龄妇女小组,协会联户组2,是,否,是,非户籍居住满一年,",
]
NAMES = ["张三", "李秀英", "张小明", "王建国", "赵桂兰", "刘春花"]

# Five different faults, one per row (spreadsheet rows 3 to 7; the header is row 1).
FAULTY_ROWS = [
    GOOD_ROWS[0],
    GOOD_ROWS[1].replace(",女,", ",女的,"),  # row 3: bad sex
    GOOD_ROWS[2].replace("1995年11月", "95年"),  # row 4: bad birth month
    GOOD_ROWS[3].replace("P004", "P001"),  # row 5: 编号 already used on row 2
    GOOD_ROWS[4].replace("赵桂兰", ""),  # row 6: 姓名 missing
    GOOD_ROWS[5].replace(",014,是,", ",012,是,"),  # row 7: second 户代表 of household 012
]
EXPECTED_FAULTS = [
    ("第 3 行", "性别", "性别只能填“男”或“女”"),
    ("第 4 行", "出生年月", "出生年月请写成 1968-03 这样"),
    ("第 5 行", "编号", "编号 P001 在第 2 行已经出现过"),
    ("第 6 行", "姓名", "姓名不能空着"),
    ("第 7 行", "户代表", "户 012 已有户代表 张三（第 2 行）"),
]


def csv_utf8(rows: list[str]) -> tuple[str, bytes, str]:
    return ("花名册.csv", ("\n".join([HEADER, *rows]) + "\n").encode("utf-8"), "text/csv")


def csv_gb18030(rows: list[str]) -> tuple[str, bytes, str]:
    # What Chinese Excel saves; semicolons as some regional settings write them.
    text = "\r\n".join([HEADER, *rows]).replace(",", ";") + "\r\n"
    return ("花名册.csv", text.encode("gb18030"), "text/csv")


def xlsx(rows: list[str]) -> tuple[str, bytes, str]:
    workbook = Workbook()
    sheet = workbook.active
    for line in [HEADER, *rows]:
        sheet.append(line.split(","))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return ("花名册.xlsx", buffer.getvalue(), "application/octet-stream")


FORMATS: dict[str, Callable[[list[str]], tuple[str, bytes, str]]] = {
    "csv": csv_utf8,
    "csv-gb18030": csv_gb18030,
    "xlsx": xlsx,
}


def table_counts(db: Session) -> dict[str, int]:
    models = (Person, Household, Group, GroupMembership, RollImport, AuditEntry)
    db.expire_all()
    return {m.__tablename__: db.scalar(select(func.count()).select_from(m)) or 0 for m in models}


def people_snapshot(db: Session, village_id: int) -> list[tuple[object, ...]]:
    db.expire_all()
    people = db.execute(
        select(Person.__table__).where(Person.village_id == village_id).order_by(Person.id)
    ).all()
    memberships = db.execute(select(GroupMembership.__table__).order_by(GroupMembership.id)).all()
    households = db.execute(
        select(Household.__table__).where(Household.village_id == village_id)
    ).all()
    return [tuple(r) for r in [*people, *memberships, *households]]


def problem_rows(page: str) -> list[tuple[str, str, str]]:
    cells = re.findall(
        r'<tr class="bad">\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>', page, re.S
    )
    return [tuple(html.unescape(c).strip() for c in row) for row in cells]  # type: ignore[misc]


def upload(client: TestClient, village_id: int, file: tuple[str, bytes, str]):  # type: ignore[no-untyped-def]
    path = f"/villages/{village_id}/import"
    return post_form(client, path, {}, files={"roll_file": file})


def confirm(client: TestClient, preview_path: str):  # type: ignore[no-untyped-def]
    return post_form(client, f"{preview_path}/apply", {}, page=preview_path)


@pytest.fixture
def organizer_village(client: TestClient, db: Session) -> Village:
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    sign_in(client, organizer.username)
    return village


@pytest.mark.parametrize("kind", list(FORMATS))
def test_faulty_roll_reports_all_five_then_fixed_roll_imports_once(
    kind: str, client: TestClient, db: Session, organizer_village: Village
) -> None:
    village = organizer_village
    make = FORMATS[kind]
    before = table_counts(db)

    response = upload(client, village.id, make(FAULTY_ROWS))
    assert response.status_code == 422
    reported = problem_rows(response.text)
    assert len(reported) == 5, reported
    for (row, column, reason), (got_row, got_column, got_reason) in zip(
        EXPECTED_FAULTS, reported, strict=True
    ):
        assert (got_row, got_column) == (row, column)
        assert reason in got_reason
    assert "什么都没有导入" in response.text
    assert table_counts(db) == before

    fixed = make(GOOD_ROWS)
    response = upload(client, village.id, fixed)
    assert response.status_code == 303, response.text
    preview_path = response.headers["location"]
    assert re.fullmatch(rf"/villages/{village.id}/import/\d+", preview_path)
    preview = client.get(preview_path)
    assert preview.status_code == 200
    assert "新增村民 6 人" in preview.text
    assert "新建户 3 户" in preview.text
    for name in NAMES:
        assert name in preview.text
    assert table_counts(db)["person"] == before["person"]  # previewing writes no people

    response = confirm(client, preview_path)
    assert response.status_code == 303
    assert response.headers["location"] == f"/villages/{village.id}/people"
    people_page = client.get(response.headers["location"])
    assert "新增 6 人" in people_page.text  # the flash message
    listed = re.findall(
        r"<tr[^>]*>(.*?)</tr>", people_page.text.split('class="table people"')[1], re.S
    )
    for name in NAMES:
        assert any(name in row for row in listed), f"{name} not on the people page"

    db.expire_all()
    zhang = db.scalar(
        select(Person).where(Person.village_id == village.id, Person.roll_number == "P001")
    )
    assert zhang is not None
    assert (zhang.name, zhang.sex, zhang.birth_year, zhang.birth_month) == (
        "张三",
        Sex.MALE,
        1968,
        3,
    )
    assert zhang.is_household_representative and zhang.is_villager_representative
    assert zhang.household.number == "012" and zhang.household.address == "山前路1号"
    assert zhang.group_of(GroupKind.VILLAGERS).name == "第一村民小组"  # type: ignore[union-attr]
    assert zhang.group_of(GroupKind.WOMEN) is None
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "roll.import"))
    assert entry is not None
    summary = json.loads(entry.summary)
    assert summary["added"] == 6 and summary["changed"] == 0
    assert summary["sha256"] == hashlib.sha256(fixed[1]).hexdigest()

    # The same import cannot be applied a second time.
    again = confirm(client, preview_path)
    assert again.status_code == 409
    assert "已经导入过了" in again.text
    applied = client.get(preview_path)
    assert "这份名单已于" in applied.text and 'id="confirm-import"' not in applied.text

    # Importing the same file again changes nothing.
    snapshot = people_snapshot(db, village.id)
    response = upload(client, village.id, fixed)
    assert response.status_code == 303
    preview = client.get(response.headers["location"])
    assert "新增村民 0 人" in preview.text and "修改村民 0 人" in preview.text
    assert "没有变化 6 人" in preview.text
    assert "完全一样" in preview.text
    assert confirm(client, response.headers["location"]).status_code == 303
    assert people_snapshot(db, village.id) == snapshot


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_then_import_is_a_no_op(
    file_format: str, client: TestClient, db: Session, organizer_village: Village
) -> None:
    village = organizer_village
    response = upload(client, village.id, csv_utf8(GOOD_ROWS))
    assert confirm(client, response.headers["location"]).status_code == 303
    snapshot = people_snapshot(db, village.id)

    exported = client.get(f"/villages/{village.id}/export.{file_format}")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    if file_format == "csv":
        assert exported.content.startswith(b"\xef\xbb\xbf" + HEADER.encode("utf-8"))
    else:
        sheet = load_workbook(io.BytesIO(exported.content)).active
        assert [c.value for c in sheet[1]] == HEADER.split(",")
        assert sheet["E2"].value == "012"  # household numbers stay text
    response = upload(
        client, village.id, (f"export.{file_format}", exported.content, "application/octet-stream")
    )
    assert response.status_code == 303
    preview = client.get(response.headers["location"])
    assert "新增村民 0 人" in preview.text
    assert "修改村民 0 人" in preview.text
    assert "没有变化 6 人" in preview.text
    assert confirm(client, response.headers["location"]).status_code == 303
    assert people_snapshot(db, village.id) == snapshot
    db.expire_all()
    exports = db.scalars(select(AuditEntry).where(AuditEntry.action == "roll.export")).all()
    assert [json.loads(e.summary)["format"] for e in exports] == [file_format]
