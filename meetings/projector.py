"""The hall's projector: a snapshot of the meeting as its screen shows it.

Changes reach open screens through meetings.broadcast (`announce` in the change's
transaction, `changes` in the stream that re-reads this snapshot).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.i18n import _
from ballots.models import Ballot, Round, RoundStatus
from meetings import refs
from meetings.models import AgendaItem, Meeting, MeetingStatus, Motion, MotionVoteUse
from meetings.presence import present_people, quorum_figures

# Each stream ends after this long; EventSource reconnects by itself (after `retry`).
# Bounded so a forgotten screen does not hold a connection forever.
STREAM_SECONDS = 600.0
RETRY_MS = 3000

# Meetings the projector shows: a draft is not public yet.
SHOWN = (MeetingStatus.NOTIFIED, MeetingStatus.OPEN, MeetingStatus.CLOSED)


def _result_text(motion: Motion) -> str:
    try:
        result = json.loads(motion.result_json) if motion.result_json else {}
    except ValueError:
        result = {}
    if not isinstance(result, dict):
        return ""
    figures = _(
        "赞成 %(yes)s，反对 %(no)s，弃权 %(abstain)s",
        yes=result.get("yes", 0),
        no=result.get("no", 0),
        abstain=result.get("abstain", 0),
    )
    verdict = _("通过") if result.get("passed") else _("未通过")
    return f"{figures}：{verdict}"


def _motions(session: Session, meeting: Meeting) -> list[Motion]:
    return list(
        session.scalars(
            select(Motion)
            .join(AgendaItem, AgendaItem.id == Motion.item_id)
            .where(AgendaItem.meeting_id == meeting.id, Motion.opened_at.is_not(None))
            .order_by(Motion.opened_at, Motion.id)
        )
    )


def _votes_panel(session: Session, meeting: Meeting) -> dict[str, Any]:
    motions = _motions(session, meeting)
    current = next((m for m in motions if m.closed_at is None), None)
    announced = [m for m in motions if m.closed_at is not None and m.result_json]
    panel: dict[str, Any] = {"motion": None, "result": None, "ballot": None}
    if current is not None:
        votes = session.scalar(select(func.count()).where(MotionVoteUse.motion_id == current.id))
        panel["motion"] = {
            "text": refs.motion_words(session, current),
            "votes": _("已投 %(n)s 票", n=int(votes or 0)),
        }
    if announced:
        last = announced[-1]
        panel["result"] = {"text": refs.motion_words(session, last), "summary": _result_text(last)}
    round_ = session.scalar(
        select(Round)
        .join(AgendaItem, AgendaItem.round_id == Round.id)
        .where(AgendaItem.meeting_id == meeting.id, Round.status == RoundStatus.OPEN)
    )
    if round_ is not None:
        cast = session.scalar(select(func.count()).where(Ballot.round_id == round_.id))
        panel["ballot"] = {
            "text": round_.election.title,
            "turnout": _("已投 %(n)s 张选票", n=int(cast or 0)),
        }
    return panel


def snapshot(session: Session, meeting: Meeting) -> dict[str, Any]:
    """Everything the projector shows, as JSON-ready values in the current language."""
    quorum = quorum_figures(session, meeting)
    return {
        "meeting_id": meeting.id,
        "title": meeting.title,
        "status": meeting.status.value,
        **asdict(quorum),
        "verdict": _("达到法定人数") if quorum.holds else _("未达到法定人数"),
        "present_text": _("实到 %(present)s 人 / 应到 %(eligible)s 人", **asdict(quorum)),
        "households_text": _(
            "到会户代表 %(households_present)s 户 / 共 %(households)s 户", **asdict(quorum)
        ),
        **_votes_panel(session, meeting),
    }


def shown_meeting(session: Session, meeting_id: int) -> Meeting | None:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.status not in SHOWN:
        return None
    return meeting


def present_names(session: Session, meeting: Meeting) -> list[str]:
    return [p.name for p in present_people(session, meeting)]
