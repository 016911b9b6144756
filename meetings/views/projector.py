"""The hall's projector page (public, read-only) and its server-sent event stream.

The stream cannot go through app.web.route(): that wrapper runs a view in the thread
pool inside one database session and commits at the end, while a stream stays open
for minutes. It is a plain Starlette Route whose `.permission` is set to PUBLIC by
hand (as app.main does for the static Mount), so the route tests still see what it
needs; it opens a short session for each snapshot and never writes.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from app.db import Database
from app.errors import NotFound
from app.i18n import lazy
from app.permissions import Permission
from app.templating import render_error
from app.web import Ctx
from meetings import broadcast, projector
from meetings.paths import NOT_SHOWN, SHOWN_MEETING
from meetings.paths import projector_route as route


def projector_page(ctx: Ctx) -> Response:
    meeting = SHOWN_MEETING.of(ctx)
    if meeting.status not in projector.SHOWN:
        raise NotFound(NOT_SHOWN)
    return ctx.render(
        "meetings/projector.html",
        meeting=meeting,
        state=projector.snapshot(ctx.db, meeting),
        events_url=ctx.url("meetings:projector_events", meeting_id=meeting.id),
    )


def _read_snapshot(database: Database, meeting_id: int) -> dict[str, Any] | None:
    session = database.session()
    try:
        meeting = projector.shown_meeting(session, meeting_id)
        return None if meeting is None else projector.snapshot(session, meeting)
    finally:
        session.rollback()
        session.close()


def _event(state: dict[str, Any]) -> str:
    data = json.dumps(state, ensure_ascii=False, separators=(",", ":"))
    return f"event: state\ndata: {data}\n\n"


async def _stream(database: Database, meeting_id: int, first: dict[str, Any]) -> AsyncIterator[str]:
    yield f"retry: {projector.RETRY_MS}\n\n"
    yield _event(first)
    last = first
    async for _change in broadcast.changes(database.engine, meeting_id, projector.STREAM_SECONDS):
        state = await run_in_threadpool(_read_snapshot, database, meeting_id)
        if state is None:
            return  # unpublished or deleted meanwhile
        if state != last:
            last = state
            yield _event(state)
        else:
            yield ": keep-alive\n\n"


async def projector_events(request: Request) -> Response:
    """text/event-stream of projector snapshots; each changed snapshot is one event.
    Not a `route`: it reads its meeting from the path itself, a short session a time."""
    database: Database = request.app.state.database
    meeting_id = int(request.path_params["meeting_id"])
    first = await run_in_threadpool(_read_snapshot, database, meeting_id)
    if first is None:
        return render_error(request, 404, lazy("找不到该页面"), NOT_SHOWN)
    return StreamingResponse(
        _stream(database, meeting_id, first),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


_events_route = Route(
    "/meetings/{meeting_id:int}/projector/events",
    projector_events,
    name="meetings:projector_events",
    methods=["GET"],
)
_events_route.permission = Permission.PUBLIC  # type: ignore[attr-defined]

routes: list[BaseRoute] = [
    route(
        "/meetings/{meeting_id:int}/projector",
        projector_page,
        name="meetings:projector",
        permission=Permission.PUBLIC,
    ),
    _events_route,
]
