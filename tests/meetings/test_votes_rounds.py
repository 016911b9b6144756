"""Election rounds as agenda items: linking a round, and a group-meeting round taking
its attendance figures from the check-ins at the close of voting."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.actors import Actor
from app.audit.models import AuditEntry
from app.errors import NotFound
from ballots.models import RoundStatus
from meetings import votes_rounds
from meetings.exceptions import VoteRefused
from meetings.models import ItemKind, MeetingKind
from tests import factories
from tests.ballots import factories_elections as fe
from tests.meetings.votes_support import arrive, hall, leave

ACTOR = Actor(label="测试")


def test_a_group_meeting_round_takes_members_and_present_from_check_ins(db):
    h = hall(db, 6, kind=ItemKind.ELECTION)
    group = factories.GroupFactory(village_id=h.village.id)
    for person in h.people[:5]:  # the sixth adult belongs to another group
        factories.MembershipFactory(person_id=person.id, group_id=group.id)
    h.meeting.kind, h.meeting.group_id = MeetingKind.GROUP_MEETING, group.id
    election = fe.election(db, h.village, organizer=h.organizer, profile_name="group-meeting")
    round_ = fe.round_(db, election)
    votes_rounds.link_round(db, ACTOR, h.item, round_.id)
    arrive(db, h.meeting, *h.people[:5])
    leave(db, h.meeting, h.people[0])
    votes_rounds.record_round_attendance(db, ACTOR, h.item)
    assert (round_.members, round_.present, round_.households) == (5, 4, 5)
    actions = set(db.scalars(select(AuditEntry.action)))
    assert {"agenda_item.link_round", "round.attendance"} <= actions


def test_only_group_meeting_rounds_being_voted_take_attendance(db):
    h = hall(db, 3, kind=ItemKind.ELECTION)
    with pytest.raises(VoteRefused, match="还没有关联"):
        votes_rounds.record_round_attendance(db, ACTOR, h.item)
    village_round = fe.round_(db, fe.election(db, h.village, organizer=h.organizer))
    votes_rounds.link_round(db, ACTOR, h.item, village_round.id)
    with pytest.raises(VoteRefused, match="村民小组会议"):
        votes_rounds.record_round_attendance(db, ACTOR, h.item)
    group_election = fe.election(db, h.village, organizer=h.organizer, profile_name="group-meeting")
    pending = fe.round_(db, group_election, status=RoundStatus.PENDING)
    votes_rounds.link_round(db, ACTOR, h.item, pending.id)
    with pytest.raises(VoteRefused, match="没有在投票"):
        votes_rounds.record_round_attendance(db, ACTOR, h.item)
    assert pending.members is None


def test_a_round_of_another_village_or_a_non_election_item_is_refused(db):
    h = hall(db, 2, kind=ItemKind.ELECTION)
    elsewhere = fe.round_(db, fe.election(db, factories.VillageFactory()))
    with pytest.raises(NotFound):
        votes_rounds.link_round(db, ACTOR, h.item, elsewhere.id)
    assert h.item.round_id is None
    h.item.kind = ItemKind.MOTION
    mine = fe.round_(db, fe.election(db, h.village, organizer=h.organizer))
    with pytest.raises(VoteRefused, match="选举"):
        votes_rounds.link_round(db, ACTOR, h.item, mine.id)
