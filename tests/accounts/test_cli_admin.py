"""`cunyi create-admin`, run as its own process against a fresh database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import StaffUser
from app.accounts.services import verify_password
from app.audit.models import AuditEntry
from app.db import Database, make_engine
from app.permissions import Role
from app.registry.models import Township
from tests.app.helpers import fresh_migrated_database, run_cli

PASSWORD = "admin long password"


@pytest.fixture
def url(tmp_path):
    with fresh_migrated_database(tmp_path, "admin") as database_url:
        yield database_url


def read(url, stmt):
    database = Database(make_engine(url))
    try:
        with database.transaction(write=False) as session:
            return list(session.scalars(stmt))
    finally:
        database.dispose()


def create_admin(url, tmp_path, *extra):
    return run_cli(url, tmp_path, "create-admin", "zhang", "--township-code", "T1", *extra)


def test_creates_the_township_and_its_first_admin(url, tmp_path):
    result = create_admin(url, tmp_path, "--township-name", "测试镇", "--password", PASSWORD)
    assert result.returncode == 0, result.stderr
    assert "Created township admin zhang" in result.stdout
    (admin,) = read(url, select(StaffUser))
    assert (admin.username, admin.role, admin.village_id) == ("zhang", Role.TOWNSHIP_ADMIN, None)
    assert verify_password(admin.password_hash, PASSWORD)
    (township,) = read(url, select(Township))
    assert (township.code, township.name, admin.township_id) == ("T1", "测试镇", township.id)
    (entry,) = read(url, select(AuditEntry))
    assert (entry.action, entry.actor_label, entry.township_id) == (
        "staff.create",
        "system",
        township.id,
    )


def test_refuses_a_short_password_and_writes_nothing(url, tmp_path):
    result = create_admin(url, tmp_path, "--township-name", "测试镇", "--password", "short")
    assert result.returncode == 2
    assert "密码至少 10 位" in result.stderr
    assert read(url, select(StaffUser)) == []
    assert read(url, select(Township)) == []


def test_unknown_township_needs_a_name(url, tmp_path):
    result = create_admin(url, tmp_path, "--password", PASSWORD)
    assert result.returncode == 2
    assert "--township-name" in result.stderr
    assert read(url, select(StaffUser)) == []


def test_refuses_a_taken_username(url, tmp_path):
    first = create_admin(url, tmp_path, "--township-name", "测试镇", "--password", PASSWORD)
    assert first.returncode == 0, first.stderr
    second = run_cli(
        url, tmp_path, "create-admin", "ZHANG", "--township-code", "T1", "--password", PASSWORD
    )
    assert second.returncode == 2
    assert "已被使用" in second.stderr
    assert len(read(url, select(StaffUser))) == 1
