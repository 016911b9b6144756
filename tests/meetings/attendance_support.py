"""A meeting in session for the attendance and projector tests, built with the models
directly (the meetings core's services are written alongside)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.actors import SYSTEM
from app.audit.models import AuditEntry
from app.db import utcnow
from app.permissions import Role
from app.registry.models import Person, Village
from app.settings import Settings
from meetings.models import AttendanceEvent, Meeting, MeetingKind, MeetingStatus
from slips import links
from slips.models import Assembly
from slips.services import issue_slips
from tests import factories
from tests.ballots import factories_elections as fe


@dataclass
class Hall:
    village: Village
    organizer: StaffUser
    teller: StaffUser
    assembly: Assembly
    meeting: Meeting
    people: list[Person]


def hall(
    db: Session,
    *,
    people: int = 4,
    status: MeetingStatus = MeetingStatus.OPEN,
    starts_at: datetime | None = None,
    kind: MeetingKind = MeetingKind.VILLAGERS_ASSEMBLY,
) -> Hall:
    """An open villagers' assembly of `people` adults (one household each)."""
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    teller = factories.staff(Role.TELLER, village)
    assembly = fe.assembly(db, village, title="村民会议")
    meeting = Meeting(
        village_id=village.id,
        kind=kind,
        title="2026年村民会议",
        convener="村民委员会",
        host_id=organizer.id,
        recorder_id=organizer.id,
        place="村委会礼堂",
        starts_at=starts_at or utcnow() + timedelta(minutes=30),
        status=status,
        assembly_id=assembly.id,
        created_by_id=organizer.id,
    )
    db.add(meeting)
    db.flush()
    return Hall(village, organizer, teller, assembly, meeting, fe.adults(village, people))


def slip_token(db: Session, settings: Settings, h: Hall, person: Person) -> str:
    (slip,) = issue_slips(db, SYSTEM, h.assembly, [person.id], settings=settings)
    return links.slip_token(settings, slip)


def short_code(db: Session, settings: Settings, h: Hall, person: Person) -> str:
    (slip,) = issue_slips(db, SYSTEM, h.assembly, [person.id], settings=settings)
    return links.slip_short_code(settings, slip)


def events(db: Session, meeting: Meeting) -> list[AttendanceEvent]:
    query = select(AttendanceEvent).where(AttendanceEvent.meeting_id == meeting.id)
    return list(db.scalars(query.order_by(AttendanceEvent.id)))


def audit_actions(db: Session, prefix: str = "meeting.check") -> list[str]:
    query = select(AuditEntry.action).where(AuditEntry.action.startswith(prefix))
    return list(db.scalars(query.order_by(AuditEntry.seq)))
