"""The import and export pages: permissions, scope, limits and apply-time checks."""

from __future__ import annotations

import json
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.audit.models import AuditEntry
from app.permissions import Role
from app.registry.models import Person, RollImport, Village
from tests import factories
from tests.conftest import csrf_from, post_form, sign_in

HEADER = "编号,姓名,性别,出生年月,户号,户代表"
ROLL = f"{HEADER}\nP001,张三,男,1968-03,012,是\nP002,李四,女,1970-05,012,否\n".encode()


def signed_in_as(client: TestClient, role: Role, village: Village) -> None:
    user = (
        factories.staff(role, village)
        if role is not Role.AUDITOR
        else factories.staff(role, township=village.township)
    )
    sign_in(client, user.username)


def count(db: Session, model: type) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_the_upload_page_explains_the_columns(client: TestClient, db: Session) -> None:
    village = factories.VillageFactory()
    signed_in_as(client, Role.ORGANIZER, village)
    page = client.get(f"/villages/{village.id}/import")
    assert page.status_code == 200
    assert re.search(r'<input[^>]*name="roll_file"[^>]*type="file"', page.text)
    for header in ("编号", "出生年月", "household_representative", "登记类别"):
        assert header in page.text
    assert f"/villages/{village.id}/export.xlsx" in page.text


def test_uploading_nothing_says_choose_a_file(client: TestClient, db: Session) -> None:
    village = factories.VillageFactory()
    signed_in_as(client, Role.ORGANIZER, village)
    response = post_form(client, f"/villages/{village.id}/import", {})
    assert response.status_code == 422
    assert "请先选择要导入的名单文件" in response.text
    assert count(db, RollImport) == 0


def test_an_oversized_upload_is_refused_with_the_limit(client: TestClient, db: Session) -> None:
    village = factories.VillageFactory()
    signed_in_as(client, Role.ORGANIZER, village)
    big = ROLL + b" " * (10 * 1024 * 1024)
    response = post_form(
        client,
        f"/villages/{village.id}/import",
        {},
        files={"roll_file": ("big.csv", big, "text/csv")},
    )
    assert response.status_code == 422
    assert "一次最多 10 MB" in response.text
    assert count(db, RollImport) == 0


def test_group_leaders_and_auditors_cannot_import(app: Starlette, db: Session) -> None:
    village = factories.VillageFactory()
    for role in (Role.GROUP_LEADER, Role.AUDITOR):
        client = TestClient(app, follow_redirects=False)
        signed_in_as(client, role, village)
        assert client.get(f"/villages/{village.id}/import").status_code == 403
        token = csrf_from(client, "/")
        response = client.post(
            f"/villages/{village.id}/import",
            data={"csrf_token": token},
            files={"roll_file": ("roll.csv", ROLL, "text/csv")},
        )
        assert response.status_code == 403
    assert count(db, RollImport) == 0


def test_auditor_exports_and_the_export_is_audited(client: TestClient, db: Session) -> None:
    village = factories.VillageFactory()
    factories.PersonFactory(
        household=factories.HouseholdFactory(village_id=village.id), name="=HYPERLINK(1)"
    )
    signed_in_as(client, Role.AUDITOR, village)
    response = client.get(f"/villages/{village.id}/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["cache-control"] == "no-store"
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    # A name a spreadsheet would run as a formula is written as text.
    assert "'=HYPERLINK(1)" in response.content.decode("utf-8-sig")
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "roll.export"))
    assert entry is not None and json.loads(entry.summary) == {"format": "csv", "people": 1}
    assert entry.village_id == village.id


def test_another_villages_import_is_out_of_reach(
    app: Starlette, client: TestClient, db: Session
) -> None:
    village = factories.VillageFactory()
    other = factories.VillageFactory(township=village.township)
    signed_in_as(client, Role.ORGANIZER, village)
    response = post_form(
        client,
        f"/villages/{village.id}/import",
        {},
        files={"roll_file": ("r.csv", ROLL, "text/csv")},
    )
    preview = response.headers["location"]
    import_id = preview.rsplit("/", 1)[1]
    # Same import id under a village the organizer may not see, and under a wrong village.
    assert client.get(f"/villages/{other.id}/import/{import_id}").status_code == 403
    assert client.get(f"/villages/{other.id}/export.csv").status_code == 403
    client = TestClient(app, follow_redirects=False)
    signed_in_as(client, Role.ORGANIZER, other)
    assert client.get(f"/villages/{other.id}/import/{import_id}").status_code == 404


def test_apply_rechecks_and_writes_nothing_when_the_village_changed(
    client: TestClient, db: Session
) -> None:
    village = factories.VillageFactory()
    signed_in_as(client, Role.ORGANIZER, village)
    response = post_form(
        client,
        f"/villages/{village.id}/import",
        {},
        files={"roll_file": ("r.csv", ROLL, "text/csv")},
    )
    preview = response.headers["location"]
    assert 'id="confirm-import"' in client.get(preview).text
    # Meanwhile someone registers 王五 as the representative of household 012.
    household = factories.HouseholdFactory(village_id=village.id, number="012")
    factories.PersonFactory(household=household, name="王五", is_household_representative=True)
    people_before = count(db, Person)
    audit_before = count(db, AuditEntry)

    response = post_form(client, f"{preview}/apply", {}, page=preview)
    assert response.status_code == 409
    assert "在预览之后有了变化" in response.text
    assert "户 012 已有户代表 王五" in response.text
    assert 'id="confirm-import"' not in response.text
    assert count(db, Person) == people_before
    assert count(db, AuditEntry) == audit_before
    assert db.scalar(select(RollImport.applied_at)) is None  # can still be applied later


def test_a_file_wrong_everywhere_lists_the_first_thousand_problems(
    client: TestClient, db: Session
) -> None:
    village = factories.VillageFactory()
    signed_in_as(client, Role.ORGANIZER, village)
    rows = "".join(f"P{n},张三,未知,1968-13,012,否\n" for n in range(600))
    response = post_form(
        client,
        f"/villages/{village.id}/import",
        {},
        files={"roll_file": ("r.csv", f"{HEADER}\n{rows}".encode(), "text/csv")},
    )
    assert response.status_code == 422
    assert "有 1200 处要修改" in response.text
    assert "共 1200 处，下面列出前 1000 处。" in response.text
    assert response.text.count('<tr class="bad">') == 1000


def test_export_file_names_survive_a_chinese_village_code(client: TestClient, db: Session) -> None:
    village = factories.VillageFactory(code="桃源", name="桃源村")
    signed_in_as(client, Role.ORGANIZER, village)
    response = client.get(f"/villages/{village.id}/export.xlsx")
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert 'filename="roll-__.xlsx"' in disposition
    assert "filename*=UTF-8''%E6%A1%83%E6%BA%90%E6%9D%91" in disposition  # 桃源村
