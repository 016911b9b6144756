"""The participation figures of a village's year, each with its definition.

`participation(session, village_id, year)` returns, in this order: turnout, attendance,
deliberation, comments_answered, delivery, minutes_on_time, minutes_posted (the shared
definitions in the assessment design). Each figure carries its pooled overall `Ratio`
(exact; a zero denominator is "no data", never 0 %), its breakdown tables
(app.tables.Table) and links to the records it was counted from.

The figures are built in assessment.participation.ballots, .meetings and .compacts; the
query count grows with the year's deliberation rounds and adopted versions (whose
coverage the compacts package computes), not with voters, meetings, check-ins,
comments or households.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.registry.rules import today_in_china
from assessment.participation import ballots as participation_ballots
from assessment.participation import compacts as participation_compacts
from assessment.participation import meetings as participation_meetings
from assessment.participation.types import Evidence, ParticipationFigure, Ratio

__all__ = ["CODES", "Evidence", "ParticipationFigure", "Ratio", "participation"]

CODES = (
    "turnout",
    "attendance",
    "deliberation",
    "comments_answered",
    "delivery",
    "minutes_on_time",
    "minutes_posted",
)


def participation(session: Session, village_id: int, year: int) -> list[ParticipationFigure]:
    meetings = participation_meetings.meeting_facts(session, village_id, year)
    rounds = participation_compacts.year_rounds(session, village_id, year)
    return [
        participation_ballots.turnout(session, village_id, year),
        participation_meetings.attendance(meetings),
        participation_compacts.deliberation(session, rounds),
        participation_compacts.comments_answered(session, rounds),
        participation_compacts.delivered(session, village_id, year),
        participation_meetings.minutes_on_time(meetings, today_in_china()),
        participation_meetings.minutes_posted(meetings),
    ]
