"""Who a survey is for (its audience), from the registry and the meetings' records.

- adults: the village's active people aged 18+ in the month the survey opened (today
  while it is still a draft), as for ballots and meetings;
- cadres: the village's active people flagged as cadres (村干部);
- group: the active members of the chosen group;
- meeting: the people recorded as arriving at the chosen meeting (checked in by QR or
  ticked), even if they left before the end — they were there to be asked.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.registry.models import GroupMembership, Person
from app.registry.rules import today_in_china
from meetings.models import AttendanceEvent
from surveys.models import Audience, Survey
from surveys.rules import is_adult


def audience_day(survey: Survey) -> date:
    return survey.opened_on or today_in_china()


def _query(survey: Survey) -> Select[Person]:
    query = select(Person).where(Person.village_id == survey.village_id, Person.active.is_(True))
    if survey.audience is Audience.CADRES:
        query = query.where(Person.is_cadre.is_(True))
    elif survey.audience is Audience.GROUP:
        members = select(GroupMembership.person_id).where(
            GroupMembership.group_id == (survey.group_id or -1)
        )
        query = query.where(Person.id.in_(members))
    elif survey.audience is Audience.MEETING:
        present = select(AttendanceEvent.person_id).where(
            AttendanceEvent.meeting_id == (survey.meeting_id or -1),
            AttendanceEvent.arrived.is_(True),
        )
        query = query.where(Person.id.in_(present))
    return query


def _fits(survey: Survey, person: Person) -> bool:
    if survey.audience is not Audience.ADULTS:
        return True
    return is_adult(person.birth_year, person.birth_month, audience_day(survey))


def audience_people(session: Session, survey: Survey) -> list[Person]:
    people = session.scalars(_query(survey).order_by(Person.name, Person.id))
    return [p for p in people if _fits(survey, p)]


def audience_at(session: Session, assembly_id: int) -> list[int] | None:
    """Everyone a survey answered with this assembly's slips is for (None: no survey)."""
    surveys = session.scalars(select(Survey).where(Survey.assembly_id == assembly_id)).all()
    if not surveys:
        return None
    return [person.id for survey in surveys for person in audience_people(session, survey)]


def in_audience(session: Session, survey: Survey, person: Person) -> bool:
    found = session.scalar(_query(survey).where(Person.id == person.id))
    return found is not None and _fits(survey, found)
