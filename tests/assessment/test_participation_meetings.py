"""Attendance, quorum and minutes figures, counted by hand from the meetings built here."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from sqlalchemy.orm import Session

from app.db import utcnow
from app.registry.rules import today_in_china
from assessment.participation import ParticipationFigure, Ratio, participation
from assessment.participation.meetings import eligible_ids, meeting_facts
from meetings import attendance, presence, rules, services
from meetings.models import CheckInMethod, Meeting, MeetingKind, MeetingStatus
from minutes.models import Addendum, SignerRole
from tests import factories
from tests.meetings.meetings_support import Place, adults, place


def figure(db: Session, village_id: int, year: int, code: str) -> ParticipationFigure:
    return next(f for f in participation(db, village_id, year) if f.code == code)


def held(
    db: Session,
    where: Place,
    people: list,
    *,
    starts_at: datetime,
    kind: MeetingKind = MeetingKind.VILLAGERS_ASSEMBLY,
    group_id: int | None = None,
    leaves: tuple = (),
) -> Meeting:
    """A meeting opened, attended by `people` (checked in by a teller), then closed."""
    meeting = factories.MeetingFactory(
        village_id=where.village.id,
        kind=kind,
        group_id=group_id,
        host_id=where.organizer.id,
        recorder_id=where.recorder.id,
        created_by_id=where.organizer.id,
        starts_at=starts_at,
        status=MeetingStatus.OPEN,
    )
    for person in people:
        attendance.check_in(db, where.actor, meeting, person, CheckInMethod.TICK)
    for person in leaves:
        attendance.check_out(db, where.actor, meeting, person)
    services.close_meeting(db, where.actor, meeting)
    return meeting


def test_attendance_and_quorum_per_closed_meeting(db, app):
    where = place()
    village = where.village
    people = adults(village, 6)
    factories.PersonFactory(  # a child: not on a villagers' assembly's list
        household=factories.HouseholdFactory(village_id=village.id), birth_year=2020
    )
    for person in people[:2]:
        person.is_villager_representative = True
    people[2].is_cadre = True
    group = factories.GroupFactory(village_id=village.id)
    for person in people[3:6]:
        factories.MembershipFactory(person_id=person.id, group_id=group.id)
    db.flush()

    # 4 of 6 came (one left early: still came); more than half: quorum.
    assembly = held(
        db,
        where,
        people[:4],
        starts_at=datetime(2026, 3, 10, 1, 30, tzinfo=UTC),
        leaves=(people[0],),
    )
    # Representatives and cadres: 1 of 3; two thirds needed.
    reps = held(
        db,
        where,
        [people[0]],
        starts_at=datetime(2026, 4, 10, 1, 30, tzinfo=UTC),
        kind=MeetingKind.REPRESENTATIVES_ASSEMBLY,
    )
    # The group's meeting: 2 of 3, exactly two thirds: quorum.
    grouped = held(
        db,
        where,
        people[3:5],
        starts_at=datetime(2026, 5, 10, 1, 30, tzinfo=UTC),
        kind=MeetingKind.GROUP_MEETING,
        group_id=group.id,
    )
    # 00:30 on 1 January 2026 in China (still 2025 in UTC): a 2026 meeting.
    new_year = held(db, where, people[:2], starts_at=datetime(2025, 12, 31, 16, 30, tzinfo=UTC))
    # 00:30 on 1 January 2027 in China: not 2026.
    held(db, where, people, starts_at=datetime(2026, 12, 31, 16, 30, tzinfo=UTC))
    # Not closed; another village.
    factories.MeetingFactory(
        village_id=village.id,
        host_id=where.organizer.id,
        recorder_id=where.recorder.id,
        created_by_id=where.organizer.id,
        status=MeetingStatus.NOTIFIED,
    )
    elsewhere = place()
    held(
        db,
        elsewhere,
        adults(elsewhere.village, 2),
        starts_at=datetime(2026, 3, 10, 1, 30, tzinfo=UTC),
    )

    found = figure(db, village.id, 2026, "attendance")

    assert found.overall == Ratio(4 + 1 + 2 + 2, 6 + 3 + 3 + 6)
    (table,) = found.tables
    rows = [(r["day"], r["eligible"], r["present"], r["share"], r["quorum"]) for r in table.rows]
    assert rows == [
        (date(2026, 1, 1), 6, 2, Fraction(1, 3), "否"),
        (date(2026, 3, 10), 6, 4, Fraction(2, 3), "是"),
        (date(2026, 4, 10), 3, 1, Fraction(1, 3), "否"),
        (date(2026, 5, 10), 3, 2, Fraction(2, 3), "是"),
    ]
    assert table.rows[1]["rule"] == "到会人数超过应到人数的一半，或到会户代表不少于总户数的三分之二"
    assert [e.params["meeting_id"] for e in found.evidence] == [
        new_year.id,
        assembly.id,
        reps.id,
        grouped.id,
    ]
    for evidence in found.evidence:
        assert evidence.route == "meetings:meeting"
        assert app.url_path_for(evidence.route, **evidence.params)


@pytest.mark.parametrize("kind", list(MeetingKind))
def test_eligible_list_is_the_meetings_own(db, kind):
    where = place()
    people = adults(where.village, 6)
    factories.PersonFactory(
        household=factories.HouseholdFactory(village_id=where.village.id), birth_year=2015
    )
    factories.PersonFactory(
        household=factories.HouseholdFactory(village_id=where.village.id), active=False
    )
    people[0].is_household_representative = True
    people[1].is_villager_representative = True
    people[2].is_cadre = people[2].is_association_member = True
    people[3].is_association_member = True
    group = factories.GroupFactory(village_id=where.village.id)
    for person in people[4:]:
        factories.MembershipFactory(person_id=person.id, group_id=group.id)
    db.flush()
    meeting = factories.MeetingFactory(
        village_id=where.village.id,
        kind=kind,
        group_id=group.id if kind is MeetingKind.GROUP_MEETING else None,
        host_id=where.organizer.id,
        recorder_id=where.recorder.id,
        created_by_id=where.organizer.id,
    )

    (facts,) = meeting_facts(db, where.village.id, 2026)

    expected = {p.id for p in presence.eligible_people(db, meeting)}
    assert facts.eligible == expected
    assert expected  # every kind has someone here
    assert eligible_ids(meeting, [], set()) == set()


def closed(db: Session, where: Place, *, ends_at: datetime, overrides: str = "{}") -> Meeting:
    return factories.MeetingFactory(
        village_id=where.village.id,
        host_id=where.organizer.id,
        recorder_id=where.recorder.id,
        created_by_id=where.organizer.id,
        starts_at=ends_at.replace(hour=1),
        ends_at=ends_at,
        profile_overrides=overrides,
    )


def signed(db: Session, where: Place, meeting: Meeting, host_at: datetime, recorder_at=None):
    minutes = factories.MinutesFactory(meeting_id=meeting.id)
    factories.SignatureFactory(
        minutes_id=minutes.id, role=SignerRole.HOST, signer_id=where.organizer.id, at=host_at
    )
    if recorder_at is not None:
        factories.SignatureFactory(
            minutes_id=minutes.id,
            role=SignerRole.RECORDER,
            signer_id=where.recorder.id,
            at=recorder_at,
        )
    return minutes


def posted(where: Place, minutes, posted_on: date, until: date) -> None:
    factories.PostingFactory(
        minutes_id=minutes.id, posted_on=posted_on, until=until, posted_by_id=where.organizer.id
    )


def test_minutes_signed_within_the_deadline_and_posted_for_15_days(db, app):
    where = place()
    # Ended 12:00 China time on 10 March; both signed at 23:59 on 17 March: day 7, on time.
    first = closed(db, where, ends_at=datetime(2026, 3, 10, 4, 0, tzinfo=UTC))
    on_day_7 = signed(
        db,
        where,
        first,
        datetime(2026, 3, 11, 2, 0, tzinfo=UTC),
        datetime(2026, 3, 17, 15, 59, tzinfo=UTC),
    )
    posted(where, on_day_7, date(2026, 3, 18), date(2026, 4, 1))  # 15 days
    # The recorder signed at 00:30 on 18 April China time (17 April in UTC): day 8, late.
    second = closed(db, where, ends_at=datetime(2026, 4, 10, 4, 0, tzinfo=UTC))
    on_day_8 = signed(
        db,
        where,
        second,
        datetime(2026, 4, 10, 5, 0, tzinfo=UTC),
        datetime(2026, 4, 17, 16, 30, tzinfo=UTC),
    )
    posted(where, on_day_8, date(2026, 4, 20), date(2026, 5, 3))  # 14 days: not enough
    # Only the host signed the minutes (the recorder signed a correction only).
    third = closed(db, where, ends_at=datetime(2026, 5, 10, 4, 0, tzinfo=UTC))
    half = signed(db, where, third, datetime(2026, 5, 10, 5, 0, tzinfo=UTC))
    addendum = Addendum(
        minutes_id=half.id, number=1, text="更正", sha256="1" * 64, created_by_id=where.recorder.id
    )
    db.add(addendum)
    db.flush()
    factories.SignatureFactory(
        minutes_id=half.id,
        addendum_id=addendum.id,
        role=SignerRole.RECORDER,
        signer_id=where.recorder.id,
        at=datetime(2026, 5, 11, 5, 0, tzinfo=UTC),
    )
    # No minutes at all.
    closed(db, where, ends_at=datetime(2026, 6, 1, 4, 0, tzinfo=UTC))
    # The meeting's rule allows 10 days; signed on day 10.
    tenth = closed(
        db,
        where,
        ends_at=datetime(2026, 7, 1, 4, 0, tzinfo=UTC),
        overrides='{"minutes_sign_days": 10}',
    )
    day_10 = datetime(2026, 7, 11, 4, 0, tzinfo=UTC)
    signed(db, where, tenth, day_10, day_10)
    # A 2025 meeting signed in 2026 belongs to 2025.
    old = closed(db, where, ends_at=datetime(2025, 12, 20, 4, 0, tzinfo=UTC))
    signed(
        db,
        where,
        old,
        datetime(2026, 1, 2, 4, 0, tzinfo=UTC),
        datetime(2026, 1, 2, 4, 0, tzinfo=UTC),
    )

    on_time = figure(db, where.village.id, 2026, "minutes_on_time")
    shown = figure(db, where.village.id, 2026, "minutes_posted")

    assert on_time.overall == Ratio(2, 5)
    assert on_time.overall.value == Fraction(2, 5)
    (table,) = on_time.tables
    assert [(r["ended"], r["days"], r["signed"], r["on_time"]) for r in table.rows] == [
        (date(2026, 3, 10), 7, date(2026, 3, 17), "是"),
        (date(2026, 4, 10), 7, date(2026, 4, 18), "否"),
        (date(2026, 5, 10), 7, None, "否"),
        (date(2026, 6, 1), 7, None, "否"),
        (date(2026, 7, 1), 10, date(2026, 7, 11), "是"),
    ]
    assert shown.overall == Ratio(1, 3)
    (table,) = shown.tables
    assert [(r["posted"], r["days"], r["ok"]) for r in table.rows] == [
        (date(2026, 3, 18), 15, "是"),
        (date(2026, 4, 20), 14, "否"),
        (None, None, "否"),
    ]
    assert [e.params["meeting_id"] for e in shown.evidence] == [first.id, second.id, tenth.id]
    for evidence in [*on_time.evidence, *shown.evidence]:
        assert evidence.route == "minutes:minutes"
        assert app.url_path_for(evidence.route, **evidence.params)
    assert figure(db, where.village.id, 2025, "minutes_on_time").overall == Ratio(0, 1)
    assert figure(db, where.village.id, 2024, "minutes_posted").overall.value is None


def test_minutes_still_inside_their_signing_window_are_pending_not_late(db):
    """A meeting closed minutes ago has 7 days to be signed: until they pass it is neither
    on time nor late, and stays out of the figure (issue 14)."""
    where = place()
    just_now = utcnow() - timedelta(minutes=5)
    closed(db, where, ends_at=just_now)
    signed_day = utcnow() - timedelta(days=20)
    earlier = closed(db, where, ends_at=signed_day)
    signed(db, where, earlier, signed_day, signed_day)
    on_time = figure(db, where.village.id, today_in_china().year, "minutes_on_time")
    rows = [(r["signed"] is None, r["on_time"]) for r in on_time.tables[0].rows]
    assert sorted(rows) == [(False, "是"), (True, "签名期内，还没到期")]
    assert on_time.overall == Ratio(1, 1)


def test_the_minutes_deadline_is_a_rule_parameter_a_meeting_may_override():
    assert rules.VILLAGERS_ASSEMBLY.minutes_sign_days == 7
    assert rules.GROUP_MEETING.with_overrides({"minutes_sign_days": 3}).minutes_sign_days == 3
    for bad in (-1, True, "7"):
        with pytest.raises(ValueError, match="minutes_sign_days"):
            rules.GROUP_MEETING.with_overrides({"minutes_sign_days": bad})
