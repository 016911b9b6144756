"""The audit chain: written on every change, refused by the database, tamper-evident."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.actors import SYSTEM
from app.audit.models import AuditEntry
from app.audit.services import entry_hash, iter_entries, record, verify_chain
from app.permissions import Role
from tests import factories
from tests.app.helpers import drop_audit_triggers
from tests.conftest import post_form, sign_in


def entries(db):
    return list(db.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def verify(db):
    db.expire_all()
    return verify_chain(iter_entries(db))


@pytest.fixture
def chain(db):
    """Five entries written the normal way."""
    village = factories.VillageFactory()
    for n in range(5):
        record(db, SYSTEM, "test.step", "test", n, {"n": n, "名字": "张三"}, village_id=village.id)
    assert verify(db) == (5, None)
    return entries(db)


def test_staff_changes_are_recorded(client, db):
    admin = factories.staff(Role.TOWNSHIP_ADMIN)
    sign_in(client, admin.username)
    data = {
        "display_name": "李会计",
        "username": "li",
        "role": "recorder",
        "village_id": str(factories.VillageFactory(township=admin.township).id),
        "password": "a long enough password",
        "confirm": "a long enough password",
    }
    assert post_form(client, "/staff/new", data).status_code == 303
    created = entries(db)[-1]
    assert created.action == "staff.create"
    assert created.actor_id == admin.id
    assert '"username":"li"' in created.summary
    post_form(client, f"/staff/{created.object_id}/toggle", {}, page="/staff")
    assert [e.action for e in entries(db)] == ["staff.create", "staff.deactivate"]
    assert verify(db) == (2, None)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_entry SET summary = '{}'", "DELETE FROM audit_entry"],
)
def test_database_refuses_update_and_delete(chain, db, connection, statement):
    with pytest.raises(DBAPIError, match="append-only"), connection.begin_nested():
        connection.execute(text(statement))
    assert len(entries(db)) == 5


def test_postgres_refuses_truncate(chain, db, connection):
    if connection.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(DBAPIError, match="append-only"), connection.begin_nested():
        connection.execute(text("TRUNCATE audit_entry"))
    assert len(entries(db)) == 5


def test_changed_entry_is_named(chain, db, connection):
    drop_audit_triggers(connection)
    connection.execute(text("UPDATE audit_entry SET summary = :s WHERE seq = 3"), {"s": '{"n":99}'})
    checked, problem = verify(db)
    assert (checked, problem.seq, problem.reason) == (2, 3, "changed")


def test_changed_and_rehashed_entry_is_named(chain, db, connection):
    """Recomputing the changed entry's own hash only moves the break to the next link."""
    drop_audit_triggers(connection)
    target = chain[2]
    forged = entry_hash(
        seq=target.seq,
        at=target.at,
        actor_label=target.actor_label,
        actor_id=target.actor_id,
        action="test.forged",
        object_type=target.object_type,
        object_id=target.object_id,
        summary=target.summary,
        prev_hash=target.prev_hash,
    )
    connection.execute(
        text("UPDATE audit_entry SET action = 'test.forged', hash = :h WHERE seq = 3"),
        {"h": forged},
    )
    checked, problem = verify(db)
    assert (checked, problem.seq, problem.reason) == (2, 3, "rehashed")


def test_deleted_entry_is_named(chain, db, connection):
    drop_audit_triggers(connection)
    connection.execute(text("DELETE FROM audit_entry WHERE seq = 2"))
    checked, problem = verify(db)
    assert (checked, problem.seq, problem.reason) == (1, 2, "removed")
    assert problem.entry_id is None


def test_deleted_second_to_last_entry_is_named(chain, db, connection):
    drop_audit_triggers(connection)
    connection.execute(text("DELETE FROM audit_entry WHERE seq = 4"))
    _checked, problem = verify(db)
    assert (problem.seq, problem.reason) == (4, "removed")


def test_reordered_entries_are_named(chain, db, connection):
    """Swap the storage places of entries 2 and 3 (their ids), keeping their contents."""
    drop_audit_triggers(connection)
    second, third = chain[1].id, chain[2].id
    for old, new in ((second, -1), (third, second), (-1, third)):
        connection.execute(
            text("UPDATE audit_entry SET id = :new WHERE id = :old"), {"new": new, "old": old}
        )
    checked, problem = verify(db)
    assert (checked, problem.seq, problem.reason) == (1, 2, "reordered")


def test_tampering_is_undone_by_the_test_rollback(db, connection):
    """The savepoint rollback restores the triggers the tampering tests dropped."""
    record(db, SYSTEM, "test.step", "test", 1)
    with pytest.raises(DBAPIError, match="append-only"), connection.begin_nested():
        connection.execute(text("DELETE FROM audit_entry"))
