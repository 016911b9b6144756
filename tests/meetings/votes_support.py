"""Rows for the vote tests, made directly with the models: an open villagers' assembly
with adults of the village, an agenda item and its motion; arrivals and departures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.actors import Actor
from app.db import utcnow
from app.permissions import Role
from app.registry.models import Person, Village
from app.sealed_box import services as sealed_box
from meetings import votes
from meetings.models import (
    AgendaItem,
    AttendanceEvent,
    CheckInMethod,
    ItemKind,
    Meeting,
    MeetingStatus,
    Motion,
    VoteMethod,
)
from slips.models import Assembly
from tests import factories
from tests.meetings.meetings_support import villagers_assembly
from tests.sealed_box_support import box_holders, make_ready, password_of


@dataclass
class Hall:
    village: Village
    organizer: StaffUser
    tellers: list[StaffUser]
    assembly: Assembly
    meeting: Meeting
    item: AgendaItem
    people: list[Person]


def hall(
    db: Session,
    adults: int = 10,
    *,
    kind: ItemKind = ItemKind.MOTION,
    status: MeetingStatus = MeetingStatus.OPEN,
) -> Hall:
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    tellers = [factories.staff(Role.TELLER, village) for _ in range(3)]
    people = []
    for _ in range(adults):
        # One household each, and nobody its representative: quorum is the adults' test.
        household = factories.HouseholdFactory(village_id=village.id)
        people.append(factories.PersonFactory(household=household, birth_year=1970))
    assembly = Assembly(
        village_id=village.id,
        title="村民会议",
        held_on=utcnow().date(),
        place="礼堂",
        links_expire_at=utcnow() + timedelta(hours=6),
    )
    db.add(assembly)
    db.flush()
    meeting = villagers_assembly(
        db,
        village,
        organizer,
        organizer,
        title="村民会议",
        place="礼堂",
        starts_at=utcnow(),
        status=status,
        assembly_id=assembly.id,
    )
    item = AgendaItem(meeting_id=meeting.id, position=1, title="修建水渠", kind=kind)
    db.add(item)
    db.flush()
    # The three tellers hold the meeting's sealed box, their box passwords set.
    box = sealed_box.name_holders(db, sealed_box.MEETING, meeting.id, [t.id for t in tellers])
    make_ready(db, box.id, tellers)
    return Hall(village, organizer, tellers, assembly, meeting, item, people)


def box_passwords(tellers: Sequence[StaffUser], count: int = 2) -> dict[int, str]:
    """The box passwords of the first `count` of the hall's tellers (for closing QR votes)."""
    return {t.id: password_of(i) for i, t in enumerate(tellers[:count])}


def arrive(db: Session, meeting: Meeting, *people: Person) -> None:
    for person in people:
        db.add(
            AttendanceEvent(
                meeting_id=meeting.id, person_id=person.id, arrived=True, method=CheckInMethod.TICK
            )
        )
    db.flush()


def leave(db: Session, meeting: Meeting, *people: Person) -> None:
    for person in people:
        db.add(
            AttendanceEvent(
                meeting_id=meeting.id, person_id=person.id, arrived=False, method=CheckInMethod.TICK
            )
        )
    db.flush()


def motion(
    db: Session, item: AgendaItem, method: VoteMethod = VoteMethod.QR, *, opened: bool = True
) -> Motion:
    row = Motion(
        item_id=item.id,
        text="同意修建村东水渠",
        method=method,
        opened_at=utcnow() if opened else None,
        result_json="",
    )
    db.add(row)
    db.flush()
    if opened and method is VoteMethod.QR:
        # What opening the first QR motion does (meetings.votes.open_motion).
        votes.seal_meeting_box(db, item.meeting)
    return row


def close_with_box(db: Session, actor: Actor, motion: Motion) -> None:
    """Close a motion as the organizer does, two of the box's holders typing their passwords."""
    meeting = votes.motion_item(db, motion)[1]
    holders = box_holders(db, sealed_box.MEETING, meeting.id)
    votes.close_motion(db, actor, motion, box_passwords(holders))
