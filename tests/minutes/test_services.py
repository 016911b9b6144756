"""Minutes filled in from the records, notes, signing, locking, addenda and posting."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.actors import SYSTEM
from app.audit.models import AuditEntry
from app.permissions import Role
from meetings.models import ItemKind, MeetingStatus
from minutes import rules, services, signing
from minutes.exceptions import Conflict, MinutesError, MinutesLocked, NotSignatory, WrongPassword
from minutes.models import Addendum, Minutes, Posting, Signature
from tests import factories
from tests.minutes import support

PASSWORD = factories.PASSWORD


@pytest.fixture
def setting(db):
    village = factories.VillageFactory()
    host, recorder = support.staff_pair(village)
    meeting = support.meeting(db, village, host, recorder)
    road = support.item(db, meeting, "修建村道", position=1)
    support.item(db, meeting, "听取村务报告", ItemKind.DISCUSSION, position=2)
    people = support.villagers(db, village, 10)
    support.arrive(db, meeting, people[:7])
    support.closed_motion(db, road, members=10, present=7, yes=4, no=2, abstain=1)
    return meeting, host, recorder, road


def count(db, model):
    return db.scalar(select(func.count()).select_from(model))


def lock(db, meeting, host, recorder):
    signing.sign(db, host, meeting, PASSWORD)
    assert signing.sign(db, recorder, meeting, PASSWORD) is True


def test_draft_takes_figures_from_the_records(db, setting):
    meeting, host, recorder, _road = setting
    doc = services.draft_document(db, meeting, None)
    assert doc["meeting"]["host"] == host.display_name
    assert doc["meeting"]["recorder"] == recorder.display_name
    assert doc["meeting"]["starts_at"] == "2026-12-01T09:30+08:00"
    assert doc["attendance"]["eligible"] == 10
    assert doc["attendance"]["attended"] == 7
    assert "超过应到人数的一半" in doc["attendance"]["quorum_rule"]
    motion = doc["items"][0]["motions"][0]
    assert (motion["members"], motion["present"]) == (10, 7)
    assert (motion["yes"], motion["no"], motion["abstain"]) == (4, 2, 1)
    # 4 of 7 present is more than half: passed, and the reason says so.
    assert motion["passed"] is True and motion["quorum"] is True
    assert [i["title"] for i in doc["items"]] == ["修建村道", "听取村务报告"]


def test_only_the_recorder_writes_notes(db, setting):
    meeting, host, recorder, road = setting
    with pytest.raises(NotSignatory):
        services.save_notes(db, SYSTEM, host, meeting, {road.id: "主持人写的"})
    services.save_notes(db, SYSTEM, recorder, meeting, {road.id: "多数人同意先修东段"})
    minutes = services.find_minutes(db, meeting)
    doc = services.draft_document(db, meeting, minutes)
    assert doc["items"][0]["notes"] == "多数人同意先修东段"
    assert json.loads(minutes.draft_json)["items"][0]["notes"] == "多数人同意先修东段"


def test_wrong_password_or_wrong_person_writes_nothing(db, setting):
    meeting, host, _recorder, _road = setting
    stranger = factories.staff(Role.ORGANIZER, factories.VillageFactory())
    with pytest.raises(WrongPassword):
        signing.sign(db, host, meeting, "not the password")
    with pytest.raises(NotSignatory):
        signing.sign(db, stranger, meeting, PASSWORD)
    assert count(db, Signature) == 0
    assert count(db, Minutes) == 0


def test_signing_waits_for_the_meeting_to_close(db, setting):
    meeting, host, _recorder, _road = setting
    meeting.status = MeetingStatus.OPEN
    with pytest.raises(MinutesError, match="会议结束以后"):
        signing.sign(db, host, meeting, PASSWORD)


def test_both_signatures_lock_with_the_hash_in_the_audit_log(db, setting):
    meeting, host, recorder, road = setting
    assert signing.sign(db, host, meeting, PASSWORD) is False
    assert signing.sign(db, recorder, meeting, PASSWORD) is True
    minutes = services.find_minutes(db, meeting)
    assert minutes.locked_at is not None
    assert minutes.locked_sha256 == rules.digest(minutes.locked_json)
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "minutes.lock"))
    assert json.loads(entry.summary)["sha256"] == minutes.locked_sha256
    with pytest.raises(MinutesLocked):
        services.save_notes(db, SYSTEM, recorder, meeting, {road.id: "改一下"})


def test_the_database_refuses_to_change_locked_minutes(db, setting, connection):
    meeting, host, recorder, _road = setting
    lock(db, meeting, host, recorder)
    minutes = services.find_minutes(db, meeting)
    with pytest.raises(DBAPIError), connection.begin_nested():
        connection.execute(
            text("UPDATE minutes SET locked_json = '{}' WHERE id = :id"), {"id": minutes.id}
        )


def test_a_signature_counts_only_for_the_text_it_signed(db, setting):
    meeting, host, recorder, road = setting
    signing.sign(db, host, meeting, PASSWORD)
    services.save_notes(db, SYSTEM, recorder, meeting, {road.id: "签名后补的记录"})
    # The host signed the older text: the recorder's signature alone does not lock.
    assert signing.sign(db, recorder, meeting, PASSWORD) is False
    assert signing.sign(db, host, meeting, PASSWORD) is True
    minutes = services.find_minutes(db, meeting)
    assert "签名后补的记录" in minutes.locked_json


def test_addendum_corrects_without_touching_the_original(db, setting):
    meeting, host, recorder, _road = setting
    with pytest.raises(MinutesError, match="还没有签名锁定"):
        signing.add_addendum(db, recorder, meeting, "太早")
    lock(db, meeting, host, recorder)
    minutes = services.find_minutes(db, meeting)
    original = minutes.locked_json
    addendum = signing.add_addendum(db, recorder, meeting, "第一项弃权应为 2 票")
    assert addendum.number == 1
    assert signing.sign_addendum(db, host, meeting, addendum, PASSWORD) is False
    assert signing.sign_addendum(db, recorder, meeting, addendum, PASSWORD) is True
    assert addendum.locked_at is not None
    assert addendum.sha256 == rules.addendum_digest(minutes.locked_sha256, 1, addendum.text)
    db.refresh(minutes)
    assert minutes.locked_json == original
    with pytest.raises(Conflict, match="已经签名锁定"):
        signing.sign_addendum(db, host, meeting, addendum, PASSWORD)


def test_posting_keeps_fifteen_days_and_hides_notes(db, setting):
    meeting, host, recorder, road = setting
    services.save_notes(db, SYSTEM, recorder, meeting, {road.id: "张大爷反对占他家的地"})
    lock(db, meeting, host, recorder)
    with pytest.raises(MinutesError, match="至少 15 天"):
        signing.post(db, SYSTEM, recorder, meeting, date(2026, 12, 2), date(2026, 12, 15))
    assert count(db, Posting) == 0
    posting = signing.post(db, SYSTEM, recorder, meeting, date(2026, 12, 2), date(2026, 12, 16))
    assert "张大爷" not in posting.public_json
    public = json.loads(posting.public_json)
    assert public["items"][0]["motions"][0]["yes"] == 4
    assert count(db, Addendum) == 0
