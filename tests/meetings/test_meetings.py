"""Meetings core services: eligibility, quorum from check-ins, notice, lifecycle."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.permissions import Role
from app.registry.models import GroupMembership, Sex
from app.templating import CHINA_TIME
from meetings import presence, services
from meetings.exceptions import InvalidMeetingInput, MeetingStateError
from meetings.models import (
    AgendaItem,
    ItemKind,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Motion,
    VoteMethod,
)
from minutes.models import Minutes
from tests import factories
from tests.meetings.meetings_support import actions, adults, arrive, leave, meeting, place, values

# --- who is eligible ------------------------------------------------------------------


def test_villagers_assembly_is_active_adults_of_the_village(db: Session) -> None:
    where = place()
    grown = adults(where.village, 2)
    today = date.today()
    adults(where.village, 1, birth_year=today.year - 10)  # a child
    adults(where.village, 1, active=False)  # moved away / deceased
    adults(factories.VillageFactory(), 1)  # another village
    m = meeting(db, where)
    assert {p.id for p in presence.eligible_people(db, m)} == {p.id for p in grown}


def test_each_kind_draws_its_own_people(db: Session) -> None:
    where = place()
    rep, cadre, household, member, plain = adults(where.village, 5)
    rep.is_villager_representative = True
    cadre.is_cadre = True
    cadre.is_association_member = True
    household.is_household_representative = True
    member.is_association_member = True
    group = factories.GroupFactory(village_id=where.village.id)
    db.add(GroupMembership(person_id=plain.id, group_id=group.id, kind=group.kind))
    db.flush()

    def ids(kind: MeetingKind, **kwargs: object) -> set[int]:
        return {p.id for p in presence.eligible_people(db, meeting(db, where, kind=kind, **kwargs))}

    assert ids(MeetingKind.HOUSEHOLD_ASSEMBLY) == {household.id}
    assert ids(MeetingKind.REPRESENTATIVES_ASSEMBLY) == {rep.id, cadre.id}
    assert ids(MeetingKind.GROUP_MEETING, group_id=group.id) == {plain.id}
    assert ids(MeetingKind.ASSOCIATION_CONGRESS) == {cadre.id, member.id}
    assert ids(MeetingKind.ASSOCIATION_COUNCIL) == {cadre.id}


# --- quorum from the check-ins ----------------------------------------------------------


def test_quorum_reached_at_more_than_half_and_lost_as_people_leave(db: Session) -> None:
    where = place()
    people = adults(where.village, 6)
    m = meeting(db, where)
    for person in people[:3]:
        arrive(db, m, person)
    state = presence.quorum_figures(db, m)
    assert (state.eligible, state.present, state.holds) == (6, 3, False)  # exactly half
    assert "未达到法定人数" in state.reason
    arrive(db, m, people[3])
    state = presence.quorum_figures(db, m)
    assert (state.present, state.holds) == (4, True)
    assert "到会人数超过应到人数的一半" in state.rule
    leave(db, m, people[0])
    assert presence.quorum_figures(db, m).holds is False


def test_quorum_by_two_thirds_of_households(db: Session) -> None:
    where = place()
    people = adults(where.village, 9)  # nine households of one adult
    m = meeting(db, where)
    # Four people present: not more than half of nine adults...
    for person in people[:4]:
        arrive(db, m, person, for_household=True)
    assert presence.quorum_figures(db, m).holds is False
    # ...but six of nine households' representatives is exactly two thirds.
    for person in people[4:6]:
        arrive(db, m, person, for_household=True)
    state = presence.quorum_figures(db, m)
    assert (state.households, state.households_present, state.holds) == (9, 6, True)


def test_someone_not_eligible_is_not_counted_present(db: Session) -> None:
    where = place()
    people = adults(where.village, 2)
    outsider = adults(factories.VillageFactory(), 1)[0]
    m = meeting(db, where)
    arrive(db, m, people[0])
    arrive(db, m, outsider)
    assert presence.quorum_figures(db, m).present == 1


def test_art_29_warning_for_a_representatives_body(db: Session) -> None:
    where = place()
    body = adults(where.village, 5, sex=Sex.MALE)
    for person in body[:3]:
        person.is_villager_representative = True
    for person in body[3:]:
        person.is_cadre = True
    db.flush()
    m = meeting(db, where, kind=MeetingKind.REPRESENTATIVES_ASSEMBLY)
    warnings = services.composition_warnings(db, m)
    assert any("村民代表只有 3 人" in w for w in warnings)
    assert any("妇女只有 0 人" in w for w in warnings)
    assert services.composition_warnings(db, meeting(db, where)) == []


# --- creating and editing -------------------------------------------------------------------


def test_create_writes_meeting_and_audit(db: Session) -> None:
    where = place()
    m = meeting(db, where)
    assert m.status is MeetingStatus.DRAFT
    assert actions(db, "meeting", m.id) == ["meeting.create"]
    # The minutes create themselves on their first write (minutes.services.ensure_minutes).
    assert db.scalar(select(Minutes).where(Minutes.meeting_id == m.id)) is None


def test_host_from_another_village_or_missing_group_is_refused(db: Session) -> None:
    where = place()
    stranger = factories.staff(Role.ORGANIZER, factories.VillageFactory())
    bad = values(where, kind=MeetingKind.GROUP_MEETING)
    bad = services.MeetingInput(**{**bad.__dict__, "host_id": stranger.id})
    with pytest.raises(InvalidMeetingInput) as caught:
        services.create_meeting(db, where.actor, where.village, bad)
    assert "主持人" in caught.value.errors["host_id"]
    assert "村民小组" in caught.value.errors["group_id"]
    assert db.scalar(select(Meeting).where(Meeting.village_id == where.village.id)) is None


def test_only_a_draft_can_be_edited(db: Session) -> None:
    where = place()
    m = meeting(db, where)
    changed = services.MeetingInput(**{**values(where).__dict__, "place": "小学操场"})
    services.update_meeting(db, where.actor, m, where.village, changed)
    assert m.place == "小学操场"
    services.publish_notice(db, where.actor, m, "", date.today())
    with pytest.raises(MeetingStateError, match="通知已经发布"):
        services.update_meeting(db, where.actor, m, where.village, values(where))


# --- notice ------------------------------------------------------------------------------


def _starting_in(days: int) -> tuple[date, object]:
    today = utcnow().astimezone(CHINA_TIME).date()
    return today, utcnow() + timedelta(days=days)


def test_ten_days_notice_needs_no_reason(db: Session) -> None:
    where = place()
    today, starts = _starting_in(10)
    m = meeting(db, where, starts_at=starts)
    services.publish_notice(db, where.actor, m, "", today)
    assert m.status is MeetingStatus.NOTIFIED
    assert m.notice_published_at is not None
    assert "meeting.notice" in actions(db, "meeting", m.id)


def test_short_notice_needs_a_recorded_reason(db: Session) -> None:
    where = place()
    today, starts = _starting_in(9)
    m = meeting(db, where, starts_at=starts)
    with pytest.raises(InvalidMeetingInput) as caught:
        services.publish_notice(db, where.actor, m, "", today)
    assert "只有 9 天" in caught.value.errors["short_notice_reason"]
    assert "提前 10 天" in caught.value.errors["short_notice_reason"]
    assert m.status is MeetingStatus.DRAFT
    services.publish_notice(db, where.actor, m, "防汛抢险，需要马上决定", today)
    assert m.short_notice_reason == "防汛抢险，需要马上决定"


def test_representatives_assembly_needs_five_days(db: Session) -> None:
    where = place()
    today, starts = _starting_in(5)
    m = meeting(db, where, starts_at=starts, kind=MeetingKind.REPRESENTATIVES_ASSEMBLY)
    services.publish_notice(db, where.actor, m, "", today)
    assert m.short_notice_reason == ""


def test_notice_without_text_is_refused(db: Session) -> None:
    where = place()
    m = meeting(db, where, notice_text="")
    with pytest.raises(InvalidMeetingInput, match="通知内容"):
        services.publish_notice(db, where.actor, m, "", date.today())


# --- open and close ------------------------------------------------------------------------


EARLY = "村民都在家，提前召开"  # these meetings are noticed for a later day


def test_open_only_after_notice_and_close_only_when_votes_are_over(db: Session) -> None:
    where = place()
    m = meeting(db, where)
    with pytest.raises(MeetingStateError, match="通知发布后"):
        services.open_meeting(db, where.actor, m)
    services.publish_notice(db, where.actor, m, "", date.today())
    services.open_meeting(db, where.actor, m, EARLY)
    assert m.status is MeetingStatus.OPEN
    item = AgendaItem(meeting_id=m.id, position=1, title="修路", kind=ItemKind.MOTION)
    db.add(item)
    db.flush()
    motion = Motion(item_id=item.id, text="同意修路", method=VoteMethod.HANDS, opened_at=utcnow())
    db.add(motion)
    db.flush()
    with pytest.raises(MeetingStateError, match="还有表决没有结束"):
        services.close_meeting(db, where.actor, m)
    motion.closed_at = utcnow()
    db.flush()
    services.close_meeting(db, where.actor, m)
    assert m.status is MeetingStatus.CLOSED and m.ends_at is not None
    assert actions(db, "meeting", m.id)[-2:] == ["meeting.open", "meeting.close"]
