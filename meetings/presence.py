"""Who the meeting is for, who is in the hall, and quorum now: the figures every part of
meetings counts with (the bottom room: it imports no other meetings service module).

Who is eligible, per kind (from the registry, active people only):
- villagers' assembly: adults (18+ today) of the village;
- household assembly: the households' representatives;
- representatives' assembly: villager representatives and village committee members
  (cadres) — Art 30's "members";
- group meeting: adults of the meeting's villagers' group;
- association congress: association members; association council: the cadres among
  association members (kept simple: the registry has no council roster).

Attendance is append-only, so who is present is whoever's last event is an arrival.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from app.drill import today_of
from app.registry.models import GroupMembership, Person
from app.registry.rules import ADULT_AGE
from meetings import rules
from meetings.models import AttendanceEvent, Meeting, MeetingKind, MeetingStatus


def profile_for(meeting: Meeting) -> rules.MeetingProfile:
    """The kind's profile (profile names are the kinds, hyphenated) with overrides."""
    profile = rules.PROFILES[meeting.kind.value.replace("_", "-")]
    return profile.with_overrides(json.loads(meeting.profile_overrides or "{}"))


# --- eligibility ------------------------------------------------------------------------


def _adult(person: Person, today: date) -> bool:
    return person.age_on(today.year, today.month) >= ADULT_AGE


def eligible_people(session: Session, meeting: Meeting) -> list[Person]:
    """The people this meeting is for, by name (see the module docstring)."""
    query = select(Person).where(Person.village_id == meeting.village_id, Person.active.is_(True))
    kind = meeting.kind
    if kind is MeetingKind.HOUSEHOLD_ASSEMBLY:
        query = query.where(Person.is_household_representative.is_(True))
    elif kind is MeetingKind.REPRESENTATIVES_ASSEMBLY:
        query = query.where(Person.is_villager_representative.is_(True) | Person.is_cadre.is_(True))
    elif kind is MeetingKind.GROUP_MEETING:
        members = select(GroupMembership.person_id).where(
            GroupMembership.group_id == (meeting.group_id or -1)
        )
        query = query.where(Person.id.in_(members))
    elif kind is MeetingKind.ASSOCIATION_CONGRESS:
        query = query.where(Person.is_association_member.is_(True))
    elif kind is MeetingKind.ASSOCIATION_COUNCIL:
        query = query.where(Person.is_association_member.is_(True), Person.is_cadre.is_(True))
    people = list(session.scalars(query.order_by(Person.name, Person.id)))
    if kind in (MeetingKind.VILLAGERS_ASSEMBLY, MeetingKind.GROUP_MEETING):
        today = today_of(meeting)
        people = [p for p in people if _adult(p, today)]
    return people


def attendees_at(session: Session, assembly_id: int) -> list[int] | None:
    """Everyone on the list of a meeting held with this assembly's slips (None: no meeting)."""
    meetings = session.scalars(
        select(Meeting).where(
            Meeting.assembly_id == assembly_id, Meeting.status != MeetingStatus.CANCELLED
        )
    ).all()
    if not meetings:
        return None
    return [person.id for meeting in meetings for person in eligible_people(session, meeting)]


def is_eligible(session: Session, meeting: Meeting, person: Person) -> bool:
    return any(p.id == person.id for p in eligible_people(session, meeting))


def eligible_households(people: list[Person]) -> int:
    return len({p.household_id for p in people})


# --- presence --------------------------------------------------------------------------


def last_events(session: Session, meeting: Meeting) -> dict[int, AttendanceEvent]:
    """Each person's latest event (ids grow with time: the table is append-only)."""
    latest = (
        select(func.max(AttendanceEvent.id))
        .where(AttendanceEvent.meeting_id == meeting.id)
        .group_by(AttendanceEvent.person_id)
    )
    events = session.scalars(select(AttendanceEvent).where(AttendanceEvent.id.in_(latest)))
    return {e.person_id: e for e in events}


def present_people(session: Session, meeting: Meeting) -> list[Person]:
    present = [pid for pid, e in last_events(session, meeting).items() if e.arrived]
    if not present:
        return []
    return list(session.scalars(select(Person).where(Person.id.in_(present)).order_by(Person.name)))


def has_arrived(session: Session, meeting: Meeting, person: Person) -> bool:
    last = last_events(session, meeting).get(person.id)
    return last is not None and last.arrived


def checked_in_at(session: Session, meeting: Meeting, person: Person) -> datetime | None:
    """When this person checked in, if they are in the hall now (their latest arrival)."""
    stmt = (
        select(AttendanceEvent)
        .where(AttendanceEvent.meeting_id == meeting.id, AttendanceEvent.person_id == person.id)
        .order_by(AttendanceEvent.id.desc())
        .limit(1)
    )
    last = session.scalar(stmt)
    return last.at if last is not None and last.arrived else None


def households_present(session: Session, meeting: Meeting) -> int:
    """Households whose representative is in the hall: the registry's household
    representative, or a member checked in as the household's representative."""
    last = last_events(session, meeting)
    present = {pid: e for pid, e in last.items() if e.arrived}
    if not present:
        return 0
    people = session.scalars(select(Person).where(Person.id.in_(present)))
    households = {
        p.household_id
        for p in people
        if p.is_household_representative or present[p.id].for_household
    }
    return len(households)


# --- quorum now --------------------------------------------------------------------------


@dataclass(frozen=True)
class QuorumFigures:
    """Who may attend and who is in the hall at one moment, and whether quorum holds
    (the rule applied and why): shown on the pages and the projector, frozen on a
    motion at its close and on a group-meeting election round."""

    present: int
    eligible: int
    households: int
    households_present: int
    holds: bool
    rule: str
    reason: str

    def head_count(self) -> dict[str, int]:
        """The figures as a motion or a round stores them (members = the eligible)."""
        return {
            "members": self.eligible,
            "present": self.present,
            "households": self.households,
            "households_present": self.households_present,
        }


def quorum_figures(session: Session, meeting: Meeting) -> QuorumFigures:
    """Quorum right now, from the check-ins (only eligible people count as present)."""
    eligible = eligible_people(session, meeting)
    ids = {p.id for p in eligible}
    present = sum(1 for p in present_people(session, meeting) if p.id in ids)
    households = eligible_households(eligible)
    households_here = min(households_present(session, meeting), households)
    check = rules.check_quorum(
        profile_for(meeting), len(eligible), present, households, households_here
    )
    return QuorumFigures(
        present,
        len(eligible),
        households,
        households_here,
        check.holds,
        check.rule,
        check.reason,
    )


# The open meetings of an assembly, built once: every villager's slip page asks it (for
# the check-in links in meetings.attendance, for the QR motions in meetings.votes).
OPEN_AT_ASSEMBLY = (
    select(Meeting)
    .where(Meeting.assembly_id == bindparam("assembly_id"), Meeting.status == MeetingStatus.OPEN)
    .order_by(Meeting.starts_at)
)
