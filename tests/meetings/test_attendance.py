"""Attendance services: arrivals and departures, who is present, households present,
and finding an attendee from a slip's short code or link."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.actors import Actor
from app.db import utcnow
from app.errors import Conflict, Forbidden, NotFound
from meetings import attendance, presence
from meetings.exceptions import NotOpen
from meetings.models import CheckInMethod, MeetingStatus
from tests import factories
from tests.meetings.attendance_support import (
    audit_actions,
    events,
    hall,
    short_code,
    slip_token,
)

TELLER = Actor(label="测试计票员")


def test_check_in_makes_a_person_present_and_is_audited(db):
    h = hall(db)
    first = h.people[0]
    attendance.check_in(db, TELLER, h.meeting, first, CheckInMethod.TICK)
    assert [p.id for p in presence.present_people(db, h.meeting)] == [first.id]
    assert audit_actions(db) == ["meeting.check_in"]


def test_a_second_check_in_says_already_and_writes_nothing(db):
    h = hall(db)
    attendance.check_in(db, None, h.meeting, h.people[0], CheckInMethod.QR)
    with pytest.raises(Conflict) as error:
        attendance.check_in(db, TELLER, h.meeting, h.people[0], CheckInMethod.TICK)
    assert "已签到" in error.value.render_message()
    assert len(events(db, h.meeting)) == 1


def test_departure_and_return_are_recorded_in_order(db):
    h = hall(db)
    person = h.people[0]
    attendance.check_in(db, TELLER, h.meeting, person, CheckInMethod.TICK)
    attendance.check_out(db, TELLER, h.meeting, person)
    assert presence.present_people(db, h.meeting) == []
    row = next(r for r in attendance.roster(db, h.meeting) if r.person.id == person.id)
    assert row.left and not row.present
    with pytest.raises(Conflict) as error:
        attendance.check_out(db, TELLER, h.meeting, person)
    assert "不在会场" in error.value.render_message()
    attendance.check_in(db, TELLER, h.meeting, person, CheckInMethod.TICK)
    assert [p.id for p in presence.present_people(db, h.meeting)] == [person.id]
    assert [e.arrived for e in events(db, h.meeting)] == [True, False, True]
    assert audit_actions(db) == ["meeting.check_in", "meeting.check_out", "meeting.check_in"]


def test_arrival_after_the_start_is_late(db):
    h = hall(db, starts_at=utcnow() - timedelta(minutes=20))
    attendance.check_in(db, TELLER, h.meeting, h.people[0], CheckInMethod.TICK)
    rows = {r.person.id: r for r in attendance.roster(db, h.meeting)}
    assert rows[h.people[0].id].late
    assert not rows[h.people[1].id].present


def test_arrival_before_the_start_is_not_late(db):
    h = hall(db, starts_at=utcnow() + timedelta(minutes=20))
    attendance.check_in(db, TELLER, h.meeting, h.people[0], CheckInMethod.TICK)
    (row,) = [r for r in attendance.roster(db, h.meeting) if r.person.id == h.people[0].id]
    assert row.present and not row.late


@pytest.mark.parametrize(
    ("status", "words"),
    [(MeetingStatus.NOTIFIED, "还没有开始"), (MeetingStatus.CLOSED, "已经结束")],
)
def test_check_in_only_while_the_meeting_is_open(db, status, words):
    h = hall(db, status=status)
    with pytest.raises(NotOpen) as error:
        attendance.check_in(db, TELLER, h.meeting, h.people[0], CheckInMethod.TICK)
    assert words in error.value.render_message()
    assert events(db, h.meeting) == []


def test_only_eligible_people_check_in(db):
    h = hall(db)
    child = factories.PersonFactory(
        household=h.people[0].household, birth_year=utcnow().year - 10, name="小明"
    )
    stranger = factories.PersonFactory(name="外村人")
    for person in (child, stranger):
        with pytest.raises(Forbidden) as error:
            attendance.check_in(db, TELLER, h.meeting, person, CheckInMethod.TICK)
        assert f"{person.name} 不在这次会议的应到名单上" in error.value.render_message()
    assert events(db, h.meeting) == []


def test_households_present_counts_one_representative_per_household(db):
    h = hall(db)
    first = h.people[0]
    relative = factories.PersonFactory(household=first.household, name="亲属")
    h.people[1].is_household_representative = True
    db.flush()
    attendance.check_in(db, TELLER, h.meeting, first, CheckInMethod.TICK, for_household=True)
    attendance.check_in(db, TELLER, h.meeting, h.people[1], CheckInMethod.TICK)
    attendance.check_in(db, TELLER, h.meeting, h.people[2], CheckInMethod.TICK)
    # people[2] is neither the registry's representative nor marked as one.
    assert presence.households_present(db, h.meeting) == 2
    with pytest.raises(Conflict) as error:
        attendance.check_in(db, TELLER, h.meeting, relative, CheckInMethod.TICK, True)
    assert f"已经由 {first.name} 作为户代表签到" in error.value.render_message()
    attendance.check_out(db, TELLER, h.meeting, first)
    assert presence.households_present(db, h.meeting) == 1
    attendance.check_in(db, TELLER, h.meeting, relative, CheckInMethod.TICK, True)
    assert presence.households_present(db, h.meeting) == 2


def test_quorum_is_reached_and_lost_as_people_come_and_go(db):
    h = hall(db, people=4)
    for person in h.people[:2]:
        attendance.check_in(db, TELLER, h.meeting, person, CheckInMethod.TICK)
    quorum = presence.quorum_figures(db, h.meeting)
    assert (quorum.present, quorum.eligible, quorum.holds) == (2, 4, False)
    attendance.check_in(db, TELLER, h.meeting, h.people[2], CheckInMethod.TICK)
    assert presence.quorum_figures(db, h.meeting).holds
    attendance.check_out(db, TELLER, h.meeting, h.people[0])
    lost = presence.quorum_figures(db, h.meeting)
    assert not lost.holds and "实到 2 人" in lost.reason


def test_a_teller_finds_the_attendee_by_short_code_or_link(db, settings):
    h = hall(db)
    code = short_code(db, settings, h, h.people[0])
    token = slip_token(db, settings, h, h.people[1])
    found = attendance.person_from_scan(db, settings, h.meeting, code.lower().replace("-", " "))
    assert found.id == h.people[0].id
    link = f"https://cunyi.example/s/{token}"
    assert attendance.person_from_scan(db, settings, h.meeting, link).id == h.people[1].id


def test_a_slip_of_another_assembly_or_a_wrong_code_is_refused(db, settings):
    h = hall(db)
    other = hall(db)
    code = short_code(db, settings, other, other.people[0])
    with pytest.raises(Forbidden) as error:
        attendance.person_from_scan(db, settings, h.meeting, code)
    assert "不是这次会议发的" in error.value.render_message()
    with pytest.raises(NotFound) as wrong:
        attendance.person_from_scan(db, settings, h.meeting, "0000-0000")
    assert "号码或链接不对" in wrong.value.render_message()
