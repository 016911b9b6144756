"""Meetings built straight from the models for the minutes tests (the meeting services
are written alongside; the minutes only read these records)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.permissions import Role
from app.registry.models import Person, Village
from meetings import rules as meeting_rules
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
from tests import factories
from tests.meetings.meetings_support import villagers_assembly

STARTS = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)  # 09:30 China time


def staff_pair(village: Village) -> tuple[StaffUser, StaffUser]:
    """A host (an organizer) and a recorder."""
    return factories.staff(Role.ORGANIZER, village), factories.staff(Role.RECORDER, village)


def meeting(
    db: Session,
    village: Village,
    host: StaffUser,
    recorder: StaffUser,
    status: MeetingStatus = MeetingStatus.CLOSED,
) -> Meeting:
    return villagers_assembly(
        db,
        village,
        host,
        recorder,
        title="2026年冬季村民会议",
        place="村委会大院",
        starts_at=STARTS,
        status=status,
    )


def item(
    db: Session, found: Meeting, title: str, kind: ItemKind = ItemKind.MOTION, position: int = 1
) -> AgendaItem:
    row = AgendaItem(meeting_id=found.id, position=position, title=title, kind=kind)
    db.add(row)
    db.flush()
    return row


def villagers(db: Session, village: Village, count: int) -> list[Person]:
    people = []
    for _ in range(count):
        household = factories.HouseholdFactory(village_id=village.id)
        people.append(factories.PersonFactory(household=household))
    db.flush()
    return people


def arrive(db: Session, found: Meeting, people: list[Person]) -> None:
    db.add_all(
        AttendanceEvent(
            meeting_id=found.id, person_id=p.id, arrived=True, method=CheckInMethod.TICK
        )
        for p in people
    )
    db.flush()


def closed_motion(
    db: Session, agenda: AgendaItem, *, members: int, present: int, yes: int, no: int, abstain: int
) -> Motion:
    """A motion closed the way the votes area closes it: figures frozen, result counted."""
    result = meeting_rules.count_motion(
        meeting_rules.VILLAGERS_ASSEMBLY,
        yes=yes,
        no=no,
        abstain=abstain,
        members=members,
        present=present,
    )
    motion = Motion(
        item_id=agenda.id,
        text="同意修建村道",
        method=VoteMethod.HANDS,
        opened_at=STARTS,
        closed_at=STARTS,
        members_at_close=members,
        present_at_close=present,
        result_json=json.dumps(result.to_json(), ensure_ascii=False, sort_keys=True),
    )
    db.add(motion)
    db.flush()
    return motion
