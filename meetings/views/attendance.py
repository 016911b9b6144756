"""Attendance pages: the tellers' check-in desk and live panel, and the villager's own
check-in through the QR slip link (no script, confirm button)."""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.responses import Response
from starlette.routing import BaseRoute

from app.errors import DomainError, NotFound
from app.i18n import gettext_, lazy
from app.permissions import Permission
from app.web import Ctx
from meetings import attendance
from meetings.forms import parse_scan
from meetings.models import CheckInMethod, Meeting, MeetingStatus
from meetings.paths import MEETING, PERSON, route, slip_route
from meetings.presence import attendees_at, checked_in_at, present_people, quorum_figures
from slips import SLIP_HOLDERS, SLIP_PAGE_SECTIONS, PageSection
from slips.models import Assembly
from slips.services import SlipAccess, resolve_slip
from slips.views import villager_page


def _desk(
    ctx: Ctx,
    meeting: Meeting,
    *,
    status: int = 200,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    notice: str = "",
) -> Response:
    query = ctx.request.query_params.get("q", "").strip()[:50]
    return ctx.render(
        "meetings/attendance_desk.html",
        status,
        meeting=meeting,
        is_open=meeting.status is MeetingStatus.OPEN,
        quorum=quorum_figures(ctx.db, meeting),
        rows=attendance.roster(ctx.db, meeting, query),
        query=query,
        form=form or {},
        errors=errors or {},
        notice=notice,
    )


def desk(ctx: Ctx) -> Response:
    return _desk(ctx, MEETING.of(ctx))


def live(ctx: Ctx) -> Response:
    meeting = MEETING.of(ctx)
    return ctx.render(
        "meetings/attendance_live.html",
        meeting=meeting,
        quorum=quorum_figures(ctx.db, meeting),
        present=present_people(ctx.db, meeting),
    )


def scan(ctx: Ctx) -> Response:
    meeting = MEETING.of(ctx)
    result = parse_scan(ctx.field("code"))
    if not result.ok:
        return _desk(ctx, meeting, status=422, form=result.raw, errors=result.errors)
    try:
        person = attendance.person_from_scan(ctx.db, ctx.settings, meeting, result.values["code"])
        attendance.check_in(ctx.db, ctx.actor, meeting, person, CheckInMethod.SCAN)
    except DomainError as error:
        message = error.render_message()
        return _desk(
            ctx, meeting, status=error.status_code, form=result.raw, errors={"code": message}
        )
    ctx.flash(gettext_("%(name)s 签到成功。", name=person.name))
    return ctx.redirect("meetings:attendance", meeting_id=meeting.id)


def _after_tick(ctx: Ctx, meeting: Meeting, message: str) -> Response:
    ctx.flash(message)
    query = ctx.field("q")
    return ctx.redirect(
        "meetings:attendance", meeting_id=meeting.id, query=f"q={query}" if query else ""
    )


def tick_in(ctx: Ctx) -> Response:
    meeting = MEETING.of(ctx)
    person = PERSON.of(ctx)
    household = ctx.field("household") == "1"
    try:
        attendance.check_in(ctx.db, ctx.actor, meeting, person, CheckInMethod.TICK, household)
    except DomainError as error:
        return _desk(ctx, meeting, status=error.status_code, notice=error.render_message())
    if household:
        return _after_tick(
            ctx, meeting, gettext_("%(name)s 作为户代表签到成功。", name=person.name)
        )
    return _after_tick(ctx, meeting, gettext_("%(name)s 签到成功。", name=person.name))


def tick_out(ctx: Ctx) -> Response:
    meeting = MEETING.of(ctx)
    person = PERSON.of(ctx)
    try:
        attendance.check_out(ctx.db, ctx.actor, meeting, person)
    except DomainError as error:
        return _desk(ctx, meeting, status=error.status_code, notice=error.render_message())
    return _after_tick(ctx, meeting, gettext_("已登记 %(name)s 离场。", name=person.name))


# --- the villager's own check-in ------------------------------------------------------


def _villager_meeting(ctx: Ctx) -> tuple[SlipAccess, Meeting]:
    access = resolve_slip(ctx.db, ctx.settings, ctx.path["token"])
    meeting = ctx.db.get(Meeting, ctx.path["meeting_id"])
    if meeting is None or meeting.assembly_id != access.assembly.id:
        raise NotFound(lazy("您的二维码不能在这个会议签到。请找会议工作人员帮忙。"))
    return access, meeting


@villager_page
def villager_checkin(ctx: Ctx) -> Response:
    access, meeting = _villager_meeting(ctx)
    arrived_at = checked_in_at(ctx.db, meeting, access.person)
    if ctx.request.method == "POST" and arrived_at is None:
        event = attendance.check_in(ctx.db, None, meeting, access.person, CheckInMethod.QR)
        return ctx.render(
            "meetings/attendance_checkin.html",
            meeting=meeting,
            access=access,
            arrived_at=event.at,
            just=True,
            token=ctx.path["token"],
        )
    return ctx.render(
        "meetings/attendance_checkin.html",
        409 if ctx.request.method == "POST" else 200,
        meeting=meeting,
        access=access,
        arrived_at=arrived_at,
        just=False,
        token=ctx.path["token"],
    )


DESK = "/meetings/{meeting_id:int}/attendance"
ATTENDANCE = Permission.MEETING_ATTENDANCE


def _slip_section(session: Session, access: SlipAccess) -> PageSection:
    """On the villager's slip page: the open meetings this slip checks in to."""
    meetings = [
        (meeting, checked_in_at(session, meeting, access.person))
        for meeting in attendance.slip_meetings(session, access)
    ]
    return PageSection(
        "meetings/attendance_slip_links.html",
        place=10,
        values={"meetings": meetings},
        offers=bool(meetings),
    )


def _slip_holders(session: Session, assembly: Assembly) -> list[int] | None:
    return attendees_at(session, assembly.id)


SLIP_PAGE_SECTIONS.append(_slip_section)
SLIP_HOLDERS.append(_slip_holders)


routes: list[BaseRoute] = [
    route(DESK, desk, name="meetings:attendance", permission=ATTENDANCE),
    route(DESK + "/live", live, name="meetings:attendance_live", permission=ATTENDANCE),
    route(
        DESK + "/scan",
        scan,
        name="meetings:attendance_scan",
        permission=ATTENDANCE,
        methods=["POST"],
    ),
    route(
        DESK + "/{person_id:int}/in",
        tick_in,
        name="meetings:attendance_in",
        permission=ATTENDANCE,
        methods=["POST"],
    ),
    route(
        DESK + "/{person_id:int}/out",
        tick_out,
        name="meetings:attendance_out",
        permission=ATTENDANCE,
        methods=["POST"],
    ),
    slip_route(
        "/s/{token}/meetings/{meeting_id:int}/checkin",
        villager_checkin,
        name="meetings:checkin",
        permission=Permission.PUBLIC,
        methods=["GET", "POST"],
    ),
]
