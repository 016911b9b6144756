"""The hall's projector: a snapshot of the meeting, and how changes reach open screens.

A change (check-in, departure, a vote opened or closed) calls `announce(session, id)` in
its transaction. On PostgreSQL that is `pg_notify('cunyi_meeting_<id>')`: the database
delivers it only when the transaction commits (and drops it on rollback), to every
worker process LISTENing on that channel, so a check-in posted to one worker reaches
projector screens served by another. On SQLite (one process by design) an in-process
counter is bumped after commit and the streams poll it.

Channel names are database-wide, not per schema: a notification from another schema's
meeting with the same id only causes a harmless re-read of the snapshot.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.i18n import _
from app.registry.models import Person
from ballots.models import Ballot, Round, RoundStatus
from meetings.models import AgendaItem, Meeting, MeetingStatus, Motion, MotionVoteUse

# Each stream ends after this long; EventSource reconnects by itself (after `retry`).
# Bounded so a forgotten screen does not hold a connection forever.
STREAM_SECONDS = 600.0
# Even without a notification, re-read the snapshot this often (a missed notification,
# a LISTEN connection lost) and send a comment line so proxies keep the stream open.
REFRESH_SECONDS = 10.0
# SQLite: how often a stream looks at the in-process change counter.
POLL_SECONDS = 0.5
RETRY_MS = 3000

# Meetings the projector shows: a draft is not public yet.
SHOWN = (MeetingStatus.NOTIFIED, MeetingStatus.OPEN, MeetingStatus.CLOSED)


def channel(meeting_id: int) -> str:
    return f"cunyi_meeting_{int(meeting_id)}"


# --- publishing ----------------------------------------------------------------------

_versions: dict[int, int] = {}
_lock = threading.Lock()


def _bump(meeting_id: int) -> None:
    with _lock:
        _versions[meeting_id] = _versions.get(meeting_id, 0) + 1


def version(meeting_id: int) -> int:
    with _lock:
        return _versions.get(meeting_id, 0)


def announce(session: Session, meeting_id: int) -> None:
    """Tell open projector screens that the meeting changed, once this commits."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_notify(channel(meeting_id), "")))
        return
    if _PENDING not in session.info:
        event.listen(session, "after_commit", _flush_pending)
        event.listen(session, "after_rollback", _drop_pending)
    session.info.setdefault(_PENDING, set()).add(meeting_id)


_PENDING = "cunyi.projector.pending"


def _flush_pending(session: Session) -> None:
    for meeting_id in session.info.pop(_PENDING, set()):
        _bump(meeting_id)
    session.info[_PENDING] = set()


def _drop_pending(session: Session) -> None:
    session.info[_PENDING] = set()


# --- the snapshot --------------------------------------------------------------------


@dataclass(frozen=True)
class QuorumView:
    present: int
    eligible: int
    households: int
    households_present: int
    holds: bool
    rule: str
    reason: str


def quorum_view(session: Session, meeting: Meeting) -> QuorumView:
    """The meetings core's quorum state (the rule applied and why), as shown here."""
    from meetings import services

    state = services.quorum_state(session, meeting)
    return QuorumView(
        state.present,
        state.eligible,
        state.households,
        state.households_present,
        state.holds,
        state.rule,
        state.reason,
    )


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
            "text": current.text,
            "votes": _("已投 %(n)s 票", n=int(votes or 0)),
        }
    if announced:
        last = announced[-1]
        panel["result"] = {"text": last.text, "summary": _result_text(last)}
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
    quorum = quorum_view(session, meeting)
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
    from meetings import attendance

    people: list[Person] = attendance.present_people(session, meeting)
    return [p.name for p in people]


# --- waiting for changes -------------------------------------------------------------


def _conninfo(engine: Engine) -> str:
    url = engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


async def _postgres_changes(engine: Engine, meeting_id: int, until: float) -> AsyncIterator[None]:
    import psycopg

    conn = await psycopg.AsyncConnection.connect(_conninfo(engine), autocommit=True)
    async with conn:
        await conn.execute(_listen_sql(meeting_id))
        while (left := until - time.monotonic()) > 0:
            async for _notify in conn.notifies(timeout=min(REFRESH_SECONDS, left), stop_after=1):
                pass
            yield


def _listen_sql(meeting_id: int) -> Any:
    from psycopg import sql

    return sql.SQL("LISTEN {}").format(sql.Identifier(channel(meeting_id)))


async def _local_changes(meeting_id: int, until: float) -> AsyncIterator[None]:
    seen = version(meeting_id)
    last_refresh = time.monotonic()
    while time.monotonic() < until:
        await asyncio.sleep(POLL_SECONDS)
        now = time.monotonic()
        if version(meeting_id) != seen or now - last_refresh >= REFRESH_SECONDS:
            seen = version(meeting_id)
            last_refresh = now
            yield


def changes(engine: Engine, meeting_id: int, seconds: float) -> AsyncIterator[None]:
    """Yields whenever the meeting may have changed (and at least every REFRESH_SECONDS),
    for `seconds` at most."""
    until = time.monotonic() + seconds
    if engine.dialect.name == "postgresql":
        return _postgres_changes(engine, meeting_id, until)
    return _local_changes(meeting_id, until)
