"""The audit log page: scoped to the reader, filterable, and the chain check."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from app.actors import SYSTEM, Actor
from app.audit.services import record
from app.permissions import ROLE_PERMISSIONS, Permission, Role
from tests import factories
from tests.app.helpers import append_entry, drop_audit_triggers
from tests.conftest import sign_in

ROW = re.compile(r"<tr><td>(\d+)</td>")


def shown(response) -> set[int]:
    """The seq numbers of the entries listed on the page."""
    assert response.status_code == 200, response.text
    return {int(seq) for seq in ROW.findall(response.text)}


@pytest.fixture
def two_townships(db):
    """Entries in two villages of one township and one village of another township."""
    east, west = factories.VillageFactory(), factories.VillageFactory()
    west.township = east.township
    elsewhere = factories.VillageFactory()
    db.flush()
    seqs = {}
    for label, village in (("east", east), ("west", west), ("elsewhere", elsewhere)):
        seqs[label] = record(db, SYSTEM, "person.create", "person", 1, village_id=village.id).seq
    return east, west, elsewhere, seqs


def test_auditor_sees_entries_of_their_township_only(client, db, two_townships):
    east, _west, _elsewhere, seqs = two_townships
    auditor = factories.staff(Role.AUDITOR, township=east.township)
    sign_in(client, auditor.username)
    assert shown(client.get("/audit")) == {seqs["east"], seqs["west"]}


VILLAGE_BOUND = [role for role in Role if role is not Role.TOWNSHIP_ADMIN]


@pytest.mark.parametrize("role", VILLAGE_BOUND)
def test_village_bound_readers_see_only_their_village(client, db, two_townships, role):
    """Whoever may read the log from one village (today: a village's supervision
    committee, i.e. a village-bound auditor) sees that village's entries and no more."""
    east, west, _elsewhere, seqs = two_townships
    reader = factories.staff(role, village=east)
    sign_in(client, reader.username)
    response = client.get("/audit")
    if Permission.AUDIT_READ not in ROLE_PERMISSIONS[role]:
        assert response.status_code == 403
        return
    assert shown(response) == {seqs["east"]}
    # The village filter offers only the reader's own village.
    assert east.name in response.text
    assert west.name not in response.text


def test_filters_by_action_actor_and_village(client, db, two_townships):
    east, west, _elsewhere, seqs = two_townships
    auditor = factories.staff(Role.AUDITOR, township=east.township)
    clerk = Actor(label="王会计 (wang)", township_id=east.township_id, village_id=west.id)
    moved = record(db, clerk, "person.move", "person", 2, village_id=west.id).seq
    sign_in(client, auditor.username)
    assert shown(client.get("/audit", params={"action": "person.move"})) == {moved}
    assert shown(client.get("/audit", params={"actor": "王会计"})) == {moved}
    assert shown(client.get("/audit", params={"actor": "WANG"})) == {moved}
    assert shown(client.get("/audit", params={"actor": "%"})) == set()
    by_village = shown(client.get("/audit", params={"village_id": str(west.id)}))
    assert by_village == {moved, seqs["west"]}


def test_date_filter_uses_china_time(client, db):
    village = factories.VillageFactory()
    auditor = factories.staff(Role.AUDITOR, township=village.township)
    scope = {"township_id": village.township_id, "village_id": village.id}
    # 23:30 and 00:30 China time on either side of midnight, 1 March → 2 March.
    late = append_entry(db, action="a", at=datetime(2026, 3, 1, 15, 30, tzinfo=UTC), **scope)
    early = append_entry(db, action="b", at=datetime(2026, 3, 1, 16, 30, tzinfo=UTC), **scope)
    sign_in(client, auditor.username)
    assert shown(client.get("/audit", params={"since": "2026-03-02"})) == {early.seq}
    assert shown(client.get("/audit", params={"until": "2026-03-01"})) == {late.seq}
    both = {"since": "2026-03-01", "until": "2026-03-02"}
    assert shown(client.get("/audit", params=both)) == {late.seq, early.seq}
    page = client.get("/audit", params={"since": "2026-03-02"}).text
    assert "2026-03-02 00:30" in page


def test_bad_filter_values_are_ignored_not_errors(client, db, two_townships):
    east, *_ = two_townships
    auditor = factories.staff(Role.AUDITOR, township=east.township)
    sign_in(client, auditor.username)
    response = client.get("/audit", params={"since": "yesterday", "page": "x", "village_id": "a"})
    assert len(shown(response)) == 2


def test_verify_page_shows_intact_then_broken(client, db, connection):
    village = factories.VillageFactory()
    auditor = factories.staff(Role.AUDITOR, township=village.township)
    for n in range(3):
        record(db, SYSTEM, "test.step", "test", n, village_id=village.id)
    sign_in(client, auditor.username)
    intact = client.get("/audit/verify")
    assert intact.status_code == 200
    assert "审计链完整：3 条记录全部核对无误" in intact.text
    drop_audit_triggers(connection)
    connection.execute(text("DELETE FROM audit_entry WHERE seq = 2"))
    broken = client.get("/audit/verify")
    assert broken.status_code == 200
    assert "审计链被破坏：从第 2 条记录起不可信" in broken.text
    assert "第 2 条记录不见了，被删除了" in broken.text
