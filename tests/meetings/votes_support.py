"""Rows for the vote tests, made directly with the models: an open villagers' assembly
with adults of the village, an agenda item and its motion; arrivals and departures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.db import utcnow
from app.permissions import Role
from app.registry.models import Person, Village
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
    return Hall(village, organizer, tellers, assembly, meeting, item, people)


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
    return row
