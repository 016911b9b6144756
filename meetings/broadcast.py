"""How a meeting's changes reach open screens (the bottom room: it imports no other
meetings service module, so every service may announce).

A change (check-in, departure, a vote opened or closed) calls `announce(session, id)` in
its transaction. On PostgreSQL that is `pg_notify('cunyi_meeting_<id>')`: the database
delivers it only when the transaction commits (and drops it on rollback), to every
worker process LISTENing on that channel, so a check-in posted to one worker reaches
projector screens served by another. On SQLite (one process by design) an in-process
counter is bumped after commit and the streams poll it (`changes`).

Channel names are database-wide, not per schema: a notification from another schema's
meeting with the same id only causes a harmless re-read of the snapshot.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

# Even without a notification, re-read the snapshot this often (a missed notification,
# a LISTEN connection lost) and send a comment line so proxies keep the stream open.
REFRESH_SECONDS = 10.0
# SQLite: how often a stream looks at the in-process change counter.
POLL_SECONDS = 0.5


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


# --- waiting for changes -------------------------------------------------------------


def _conninfo(engine: Engine) -> str:
    url = engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


async def _postgres_changes(engine: Engine, meeting_id: int, until: float) -> AsyncIterator[None]:
    conn = await psycopg.AsyncConnection.connect(_conninfo(engine), autocommit=True)
    async with conn:
        await conn.execute(_listen_sql(meeting_id))
        while (left := until - time.monotonic()) > 0:
            async for _notify in conn.notifies(timeout=min(REFRESH_SECONDS, left), stop_after=1):
                pass
            yield


def _listen_sql(meeting_id: int) -> Any:
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
