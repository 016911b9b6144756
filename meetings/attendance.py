"""Who is in the hall: arrivals and departures, and presence derived from them.

Attendance is append-only (a database trigger refuses UPDATE/DELETE): a late arrival is
an arrival after the start time, an early departure is a departure event, and who is
present is whoever's last event is an arrival. Check-in works only while the meeting is
open and only for people eligible to attend (meetings.presence.eligible_people).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.actors import Actor
from app.audit.services import record
from app.db import utcnow
from app.errors import Conflict, Forbidden, NotFound
from app.i18n import lazy
from app.registry.models import Person
from app.settings import Settings
from meetings import broadcast
from meetings.exceptions import NotOpen
from meetings.models import AttendanceEvent, CheckInMethod, Meeting, MeetingStatus
from meetings.presence import OPEN_AT_ASSEMBLY, eligible_people, is_eligible, last_events
from slips.exceptions import LinkError
from slips.links import normalize_short_code, short_code_hash
from slips.models import Slip
from slips.services import SlipAccess, resolve_slip

# A villager checking themself in by QR has no staff account.
VILLAGER_QR = Actor(label="村民扫码签到")


@dataclass(frozen=True)
class RosterRow:
    person: Person
    present: bool
    arrived_at: datetime | None  # the last arrival
    late: bool
    left: bool  # checked in, then left before the end
    for_household: bool


# --- the tellers' list ------------------------------------------------------------------


def roster(session: Session, meeting: Meeting, query: str = "") -> list[RosterRow]:
    """The eligible list for tellers, filtered by name or roll number."""
    last = last_events(session, meeting)
    arrivals: dict[int, datetime] = {
        person_id: at
        for person_id, at in session.execute(
            select(AttendanceEvent.person_id, func.max(AttendanceEvent.at))
            .where(AttendanceEvent.meeting_id == meeting.id, AttendanceEvent.arrived.is_(True))
            .group_by(AttendanceEvent.person_id)
        )
    }
    rows = []
    needle = query.strip()
    for person in eligible_people(session, meeting):
        if needle and needle not in person.name and needle not in person.roll_number:
            continue
        event = last.get(person.id)
        arrived_at = arrivals.get(person.id)
        rows.append(
            RosterRow(
                person=person,
                present=bool(event and event.arrived),
                arrived_at=arrived_at,
                late=arrived_at is not None and arrived_at > meeting.starts_at,
                left=bool(event and not event.arrived),
                for_household=bool(event and event.arrived and event.for_household),
            )
        )
    return rows


# --- check-in and check-out -------------------------------------------------------------


def _require_open(meeting: Meeting) -> None:
    if meeting.status is not MeetingStatus.OPEN:
        if meeting.status is MeetingStatus.CLOSED:
            raise NotOpen(lazy("会议已经结束，不能再签到或离场登记。"))
        raise NotOpen(lazy("会议还没有开始，主持人宣布开会后才能签到。"))


def _household_taken(session: Session, meeting: Meeting, person: Person) -> Person | None:
    """Another member of the person's household already present as its representative."""
    for pid, event in last_events(session, meeting).items():
        if pid != person.id and event.arrived and event.for_household:
            other = session.get(Person, pid)
            if other is not None and other.household_id == person.household_id:
                return other
    return None


def check_in(
    session: Session,
    actor: Actor | None,
    meeting: Meeting,
    person: Person,
    method: CheckInMethod,
    for_household: bool = False,
) -> AttendanceEvent:
    """Record an arrival (late if after the start). `actor` None = the villager's own QR."""
    _require_open(meeting)
    if not is_eligible(session, meeting, person):
        raise Forbidden(
            lazy("%(name)s 不在这次会议的应到名单上，不能签到。如有疑问，请找会议工作人员。"),
            name=person.name,
        )
    last = last_events(session, meeting).get(person.id)
    if last is not None and last.arrived:
        raise Conflict(lazy("%(name)s 已签到，不用再签。"), name=person.name)
    if for_household and (other := _household_taken(session, meeting, person)) is not None:
        raise Conflict(
            lazy("这一户已经由 %(other)s 作为户代表签到了，一户只算一位户代表。"),
            other=other.name,
        )
    now = utcnow()
    who = actor or VILLAGER_QR
    event = AttendanceEvent(
        meeting_id=meeting.id,
        person_id=person.id,
        arrived=True,
        method=method,
        for_household=for_household,
        at=now,
        entered_by_id=who.user_id,
    )
    session.add(event)
    session.flush()
    summary = {
        "meeting_id": meeting.id,
        "person_id": person.id,
        "method": method.value,
        "for_household": for_household,
        "late": now > meeting.starts_at,
    }
    record(
        session,
        who,
        "meeting.check_in",
        "meeting",
        meeting.id,
        summary,
        village_id=meeting.village_id,
    )
    broadcast.announce(session, meeting.id)
    return event


def check_out(
    session: Session, actor: Actor | None, meeting: Meeting, person: Person
) -> AttendanceEvent:
    """Record a departure before the end (quorum is counted without them from now on)."""
    _require_open(meeting)
    last = last_events(session, meeting).get(person.id)
    if last is None or not last.arrived:
        raise Conflict(
            lazy("%(name)s 现在不在会场（还没有签到），不用登记离场。"), name=person.name
        )
    who = actor or VILLAGER_QR
    event = AttendanceEvent(
        meeting_id=meeting.id,
        person_id=person.id,
        arrived=False,
        method=CheckInMethod.TICK,
        for_household=False,
        at=utcnow(),
        entered_by_id=who.user_id,
    )
    session.add(event)
    session.flush()
    summary = {"meeting_id": meeting.id, "person_id": person.id}
    record(
        session,
        who,
        "meeting.check_out",
        "meeting",
        meeting.id,
        summary,
        village_id=meeting.village_id,
    )
    broadcast.announce(session, meeting.id)
    return event


# --- finding the attendee ----------------------------------------------------------------


def _slip_person(session: Session, meeting: Meeting, slip: Slip) -> Person:
    if meeting.assembly_id is None or slip.assembly_id != meeting.assembly_id:
        raise Forbidden(lazy("这张二维码不是这次会议发的。请用这次会议的纸条，或按名单勾选签到。"))
    if slip.revoked_at is not None:
        raise Forbidden(lazy("这张二维码已经作废（补发过新的）。请用新纸条，或按名单勾选签到。"))
    person = session.get(Person, slip.person_id)
    if person is None:
        raise NotFound(lazy("找不到这张纸条上的人。请按名单勾选签到。"))
    return person


def person_from_scan(session: Session, settings: Settings, meeting: Meeting, typed: str) -> Person:
    """The attendee named by a pasted slip link or a typed short code (for tellers)."""
    text = typed.strip()
    if "/s/" in text:
        token = text.split("/s/", 1)[1].split("/", 1)[0].split("?", 1)[0]
        try:
            access = resolve_slip(session, settings, token)
        except LinkError as error:
            raise NotFound(error.render_message()) from None
        return _slip_person(session, meeting, access.slip)
    code = normalize_short_code(text)
    slip = None
    if code is not None:
        digest = short_code_hash(settings, code)
        slip = session.scalar(select(Slip).where(Slip.short_code_hash == digest))
    if slip is None:
        raise NotFound(
            lazy(
                "这个号码或链接不对。请核对纸条上二维码下面的 8 位号码（例如 7KQ2-M9XD），或粘贴完整的二维码链接。"
            )
        )
    return _slip_person(session, meeting, slip)


def slip_meetings(session: Session, access: SlipAccess) -> list[Meeting]:
    """Open meetings of the slip's assembly (the slip page lists their check-in links)."""
    return list(session.scalars(OPEN_AT_ASSEMBLY, {"assembly_id": access.assembly.id}))
