"""The audit log page: scoped to the reader, filterable, and the chain check."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from app.actors import SYSTEM, Actor
from app.audit.services import record
from app.drill import mark_session
from app.permissions import ROLE_PERMISSIONS, Permission, Role
from tests import factories
from tests.app.helpers import append_entry, drop_audit_triggers
from tests.conftest import sign_in
from tests.html import soup


def shown(response) -> set[int]:
    """The seq numbers of the entries listed on the page."""
    assert response.status_code == 200, response.text
    return {int(cell.get_text()) for cell in soup(response.text).select("table.audit td.seq")}


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


def test_an_entry_reads_in_words_with_the_raw_record_one_click_away(client, db):
    village = factories.VillageFactory()
    auditor = factories.staff(Role.AUDITOR, township=village.township)
    digest = "3f2a" * 16
    summary = {
        "ballots_cast": 99,
        "valid": True,
        "elected": ["朱淑珍"],
        "election_id": 4,
        "round": 1,
        "export_sha256": digest,
    }
    entry = record(
        db, SYSTEM, "election.announce", "election_round", 3, summary, village_id=village.id
    )
    sign_in(client, auditor.username)
    page = soup(client.get("/audit").text)
    row = page.select_one(f"tr#seq-{entry.seq}")
    assert row is not None

    action = row.select_one("td.action span")
    assert action.get_text() == "计票并当场公布结果"
    assert action["title"] == "election.announce"
    obj = row.select_one("td.object")
    assert obj.get_text(" ", strip=True).startswith("选举轮次 #3")
    assert obj.select_one("a")["href"] == "/audit?object=election_round%3A3"

    fields = row.select("td.summary > dl.audit-summary > dt")
    values = row.select("td.summary > dl.audit-summary > dd")
    assert {dt.get_text(): dd.get_text() for dt, dd in zip(fields, values, strict=True)} == {
        "投出的选票": "99",
        "当选人": "朱淑珍",
        "选举": "#4",
        "计票数据校验码": "-".join(["3f2a"] * 16),
        "第几轮": "1",
        "本轮有效": "是",
    }
    assert {dt["title"] for dt in fields} == set(summary)
    # No raw JSON in the table itself: the stored record is under 原始记录.
    assert "{" not in row.select_one("td.summary > dl").get_text()
    raw = row.select_one("td.summary details.audit-raw")
    assert raw.select_one("summary").get_text() == "原始记录"
    codes = [code.get_text() for code in raw.select("code")]
    assert codes[:2] == ["election.announce", "election_round:3"]
    assert codes[2] == entry.summary
    assert json.loads(codes[2]) == summary


def test_the_action_filter_offers_names_and_keeps_raw_values(client, db, two_townships):
    east, *_ = two_townships
    auditor = factories.staff(Role.AUDITOR, township=east.township)
    record(db, SYSTEM, "test.step", "test", 1, village_id=east.id)
    sign_in(client, auditor.username)
    page = soup(client.get("/audit", params={"action": "person.create"}).text)
    options = {o["value"]: o.get_text() for o in page.select("#f-action option")}
    # Both actions in the reader's scope; one nobody named shows its raw name.
    assert options == {"": "全部", "person.create": "登记村民", "test.step": "test.step"}
    assert page.select_one("#f-action option[selected]")["value"] == "person.create"
    assert {span.get_text() for span in page.select("td.action span")} == {"登记村民"}
    # An object without a name is shown by its raw type:id, once.
    page = soup(client.get("/audit", params={"action": "test.step"}).text)
    assert page.select_one("td.object").get_text(strip=True) == "test:1"


def test_the_drill_filter_shows_only_drills_or_none_of_them(client, db):
    village = factories.VillageFactory()
    db.flush()
    real = record(db, SYSTEM, "person.create", "person", 1, village_id=village.id).seq
    # A value that quotes the mark is not a drill's entry.
    quoted = record(
        db, SYSTEM, "person.update", "person", 1, {"note": '"drill":true'}, village_id=village.id
    ).seq
    mark_session(db)  # what the request layer does on a drill's page (app.drill)
    rehearsed = record(db, SYSTEM, "meeting.open", "meeting", 2, village_id=village.id).seq
    auditor = factories.staff(Role.AUDITOR, township=village.township)
    sign_in(client, auditor.username)
    assert shown(client.get("/audit?drill=only")) == {rehearsed}
    assert shown(client.get("/audit?drill=none")) == {real, quoted}
    assert shown(client.get("/audit")) == {real, quoted, rehearsed}
    assert shown(client.get("/audit?drill=nonsense")) == {real, quoted, rehearsed}
    form = soup(client.get("/audit?drill=none").text)
    chosen = form.select_one("select#f-drill option[selected]")
    assert chosen is not None and chosen.get_text() == "不看演练"
    assert form.select_one("label[for=f-drill]").get_text() == "演练"
