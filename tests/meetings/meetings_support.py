"""Shared set-up for the meetings core tests: a village, its staff, a draft meeting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.actors import Actor
from app.audit.models import AuditEntry
from app.db import utcnow
from app.permissions import Role
from app.registry.models import Person, Village
from meetings import services
from meetings.models import AttendanceEvent, CheckInMethod, Meeting, MeetingKind, MeetingStatus
from tests import factories


@dataclass
class Place:
    village: Village
    organizer: StaffUser
    recorder: StaffUser

    @property
    def actor(self) -> Actor:
        user = self.organizer
        return Actor(label=user.username, user_id=user.id, village_id=user.village_id)


def place() -> Place:
    village = factories.VillageFactory()
    return Place(
        village,
        factories.staff(Role.ORGANIZER, village),
        factories.staff(Role.RECORDER, village),
    )


def values(
    where: Place,
    *,
    kind: MeetingKind = MeetingKind.VILLAGERS_ASSEMBLY,
    starts_at: datetime | None = None,
    group_id: int | None = None,
    notice_text: str = "请全体村民参加，审议村务。",
) -> services.MeetingInput:
    return services.MeetingInput(
        kind=kind,
        title="2026年第一次村民会议",
        group_id=group_id,
        convener="村民委员会",
        host_id=where.organizer.id,
        recorder_id=where.recorder.id,
        place="村委会礼堂",
        starts_at=starts_at or utcnow() + timedelta(days=20),
        notice_text=notice_text,
    )


def meeting(db: Session, where: Place, **kwargs: object) -> Meeting:
    return services.create_meeting(db, where.actor, where.village, values(where, **kwargs))  # type: ignore[arg-type]


def villagers_assembly(
    db: Session,
    village: Village,
    host: StaffUser,
    recorder: StaffUser,
    *,
    title: str,
    place: str,
    starts_at: datetime,
    status: MeetingStatus,
    assembly_id: int | None = None,
) -> Meeting:
    """A villagers' assembly made straight from the model, skipping the services' checks,
    for tests that need a meeting already in `status`."""
    row = Meeting(
        village_id=village.id,
        kind=MeetingKind.VILLAGERS_ASSEMBLY,
        title=title,
        convener="村民委员会",
        host_id=host.id,
        recorder_id=recorder.id,
        place=place,
        starts_at=starts_at,
        status=status,
        assembly_id=assembly_id,
        created_by_id=host.id,
    )
    db.add(row)
    db.flush()
    return row


def adults(village: Village, n: int, **kwargs: object) -> list[Person]:
    """`n` adults, each in a household of their own."""
    return [
        factories.PersonFactory(
            household=factories.HouseholdFactory(village_id=village.id), **kwargs
        )
        for _ in range(n)
    ]


def arrive(db: Session, m: Meeting, person: Person, *, for_household: bool = False) -> None:
    db.add(
        AttendanceEvent(
            meeting_id=m.id,
            person_id=person.id,
            arrived=True,
            method=CheckInMethod.TICK,
            for_household=for_household,
        )
    )
    db.flush()


def leave(db: Session, m: Meeting, person: Person) -> None:
    db.add(
        AttendanceEvent(
            meeting_id=m.id, person_id=person.id, arrived=False, method=CheckInMethod.TICK
        )
    )
    db.flush()


def actions(db: Session, object_type: str, object_id: int) -> list[str]:
    return list(
        db.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
            .order_by(AuditEntry.seq)
        )
    )
