"""Meeting pages for organizers (list, create, edit, notice, agenda, open, close) and
the public notice (村务公开)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from app.accounts.models import StaffUser
from app.drill import FIELDS as DRILL_FIELDS
from app.drill import FormLimits, today_of
from app.errors import DomainError
from app.i18n import gettext_, lazy
from app.permissions import Permission
from app.registry.models import Group, Village
from app.registry.paths import VILLAGE
from app.sealed_box.services import scrub_after_commit
from app.templating import CHINA_TIME
from app.web import Ctx, confirm_page, drill_removal
from meetings import agenda, forms, refs, services, votes
from meetings.exceptions import InvalidMeetingInput, MeetingNotFound
from meetings.models import Meeting, MeetingStatus
from meetings.paths import HIDDEN_MEETING, ITEM, meeting_village
from meetings.paths import meeting_route as route
from meetings.presence import profile_for, quorum_figures
from slips.models import Assembly

READ = Permission.MEETING_READ
MANAGE = Permission.MEETING_MANAGE
STATUS_LABELS = {
    MeetingStatus.DRAFT: lazy("草稿（通知未发布）"),
    MeetingStatus.NOTIFIED: lazy("已发布通知"),
    MeetingStatus.OPEN: lazy("正在开会"),
    MeetingStatus.CLOSED: lazy("已结束"),
    MeetingStatus.CANCELLED: lazy("已取消"),
}


def _village_of(ctx: Ctx, meeting: Meeting) -> Village:
    village = meeting_village(ctx.db, meeting)
    assert village is not None  # the foreign key makes this impossible
    return village


# --- list, create, edit -------------------------------------------------------------------


def meeting_list(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    return ctx.render(
        "meetings/meeting_list.html",
        village=village,
        meetings=services.village_meetings(ctx.db, village.id),
        kind_labels=forms.KIND_LABELS,
        status_labels=STATUS_LABELS,
    )


def _form_context(ctx: Ctx, village: Village, meeting: Meeting | None = None) -> dict[str, Any]:
    staff = services.staff_choices(ctx.db, village)
    assemblies = services.assembly_choices(
        ctx.db,
        village.id,
        drill=None if meeting is None else meeting.is_drill,
        keep=None if meeting is None else meeting.assembly_id,
    )
    return {
        "village": village,
        "kind_options": [(k.value, label) for k, label in forms.KIND_LABELS.items()],
        "group_options": [(g.id, g.name) for g in services.group_choices(ctx.db, village.id)],
        "staff_options": [(u.id, u.display_name) for u in staff],
        "assembly_options": [(a.id, _assembly_label(a)) for a in assemblies],
        "drill_limits": FormLimits(ctx.settings.drill_day_seconds),
    }


def _assembly_label(assembly: Assembly) -> str:
    label = f"{assembly.title}（{assembly.held_on.isoformat()}）"
    return gettext_("%(assembly)s · 演练", assembly=label) if assembly.drill else label


def _save(ctx: Ctx, village: Village, meeting: Meeting | None) -> Response:
    context = _form_context(ctx, village, meeting) | ({"editing": meeting} if meeting else {})
    fields = {name: ctx.field(name) for name in (*forms.MEETING_FIELDS, *DRILL_FIELDS)}
    result = forms.parse_meeting(
        fields, ctx.settings.drill_day_seconds if meeting is None else None
    )
    if result.ok:
        try:
            if meeting is None:
                meeting = services.create_meeting(
                    ctx.db, ctx.actor, village, result.values["input"]
                )
            else:
                services.update_meeting(ctx.db, ctx.actor, meeting, village, result.values["input"])
        except InvalidMeetingInput as error:
            result.errors.update(error.errors)
    if not result.ok or meeting is None:
        return ctx.render(
            "meetings/meeting_form.html", 422, form=fields, errors=result.errors, **context
        )
    ctx.flash(gettext_("已保存会议“%(title)s”。", title=meeting.title))
    return ctx.redirect("meetings:meeting", meeting_id=meeting.id)


def meeting_new(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    if ctx.request.method == "POST":
        return _save(ctx, village, None)
    form = {"kind": "villagers_assembly", "convener": gettext_("村民委员会")}
    return ctx.render(
        "meetings/meeting_form.html", form=form, errors={}, **_form_context(ctx, village)
    )


def _edit_form(meeting: Meeting) -> dict[str, str]:
    return {
        "kind": meeting.kind.value,
        "title": meeting.title,
        "group_id": str(meeting.group_id or ""),
        "convener": meeting.convener,
        "host_id": str(meeting.host_id),
        "recorder_id": str(meeting.recorder_id),
        "place": meeting.place,
        "starts_at": meeting.starts_at.astimezone(CHINA_TIME).strftime("%Y-%m-%dT%H:%M"),
        "notice_text": meeting.notice_text,
        "assembly_id": str(meeting.assembly_id or ""),
    }


def meeting_edit(ctx: Ctx) -> Response:
    meeting = HIDDEN_MEETING.of(ctx)
    village = _village_of(ctx, meeting)
    if ctx.request.method == "POST":
        return _save(ctx, village, meeting)
    return ctx.render(
        "meetings/meeting_form.html",
        form=_edit_form(meeting),
        errors={},
        editing=meeting,
        **_form_context(ctx, village, meeting),
    )


# --- the meeting page and its actions --------------------------------------------------------


def _describe(ctx: Ctx, meeting: Meeting) -> dict[str, Any]:
    village = _village_of(ctx, meeting)
    host = ctx.db.get(StaffUser, meeting.host_id)
    recorder = ctx.db.get(StaffUser, meeting.recorder_id)
    group = ctx.db.get(Group, meeting.group_id) if meeting.group_id else None
    assembly = ctx.db.get(Assembly, meeting.assembly_id) if meeting.assembly_id else None
    profile = profile_for(meeting)
    return {
        "meeting": meeting,
        "village": village,
        "kind_label": forms.KIND_LABELS[meeting.kind],
        "status_label": STATUS_LABELS[meeting.status],
        "host": host.display_name if host else "",
        "recorder": recorder.display_name if recorder else "",
        "group": group,
        "assembly": assembly,
        "assembly_label": _assembly_label(assembly) if assembly else "",
        "slips_preparable": meeting.status in services.SLIPS_PREPARABLE,
        "notice_days": profile.notice_days,
    }


def meeting_page(ctx: Ctx) -> Response:
    return _meeting_page(ctx, HIDDEN_MEETING.of(ctx), errors={}, form={}, status=200)


def _meeting_page(
    ctx: Ctx, meeting: Meeting, errors: dict[str, str], form: dict[str, str], status: int
) -> Response:
    items = agenda.items_of(ctx.db, meeting)
    return ctx.render(
        "meetings/meeting_page.html",
        status,
        **_describe(ctx, meeting),
        items=items,
        version_words=refs.item_words(ctx.db, (i.compact_version_ref for i in items)),
        item_kind_labels=forms.ITEM_KIND_LABELS,
        item_kind_options=[(k.value, label) for k, label in forms.ITEM_KIND_LABELS.items()],
        quorum=quorum_figures(ctx.db, meeting),
        warnings=services.composition_warnings(ctx.db, meeting),
        days_left=services.days_of_notice(meeting, today_of(meeting)),
        box=votes.box_status(ctx.db, meeting),
        errors=errors,
        form=form,
    )


def meeting_notice(ctx: Ctx) -> Response:
    meeting = HIDDEN_MEETING.of(ctx)
    result = forms.parse_short_reason(ctx.field("short_notice_reason"))
    if result.ok:
        try:
            services.publish_notice(
                ctx.db, ctx.actor, meeting, result.values["reason"], today_of(meeting)
            )
        except InvalidMeetingInput as error:
            result.errors.update(error.errors)
    if not result.ok:
        return _meeting_page(ctx, meeting, result.errors, result.raw, 422)
    ctx.flash(gettext_("会议通知已发布，村民可以在公开页面看到。"))
    return ctx.redirect("meetings:meeting", meeting_id=meeting.id)


def meeting_open(ctx: Ctx) -> Response:
    meeting = HIDDEN_MEETING.of(ctx)
    reason = ctx.field("early_open_reason")
    try:
        services.open_meeting(ctx.db, ctx.actor, meeting, reason)
    except InvalidMeetingInput as error:
        return _meeting_page(ctx, meeting, error.errors, {"early_open_reason": reason}, 422)
    ctx.flash(gettext_("会议已开始，可以签到了。"))
    return ctx.redirect("meetings:meeting", meeting_id=meeting.id)


def slips_prepare(ctx: Ctx) -> Response:
    """为这次会议准备二维码纸条: an assembly of the meeting's own, its slips issued."""
    meeting = HIDDEN_MEETING.of(ctx)
    try:
        services.prepare_slips(ctx.db, ctx.actor, meeting, settings=ctx.settings)
    except DomainError as error:
        return _meeting_page(ctx, meeting, {"slips": error.render_message()}, {}, error.status_code)
    ctx.flash(gettext_("已为这次会议准备好二维码纸条，可以打印了。"))
    return ctx.redirect("meetings:meeting", meeting_id=meeting.id)


def meeting_close(ctx: Ctx) -> Response:
    meeting = HIDDEN_MEETING.of(ctx)
    services.close_meeting(ctx.db, ctx.actor, meeting)
    ctx.flash(gettext_("会议已结束。"))
    response = ctx.redirect("meetings:meeting", meeting_id=meeting.id)
    # Once the close committed: the meeting's box key was erased; scrub its traces.
    response.background = scrub_after_commit(ctx.request.app.state.database)
    return response


def drill_remove(ctx: Ctx) -> Response:
    """Remove a drill meeting (app.drill): a confirmation step first (GET), then POST."""
    meeting = HIDDEN_MEETING.of(ctx)
    if not meeting.is_drill:
        raise MeetingNotFound(lazy("只有演练可以删除。正式的会议是永久的记录，不能删除。"))
    if ctx.request.method == "GET":
        removed = gettext_(
            "这次演练会议的议程、签到、表决和投票、会议记录（已签名的也一样）全部删除，"
            "它的票箱也一起删除。"
        )
        back = ctx.url("meetings:meeting", meeting_id=meeting.id)
        return confirm_page(ctx, drill_removal(meeting.title, removed, back))
    village_id, title = meeting.village_id, meeting.title
    services.remove_drill(ctx.db, ctx.actor, meeting)
    ctx.flash(gettext_("演练“%(title)s”已删除。", title=title))
    return ctx.redirect("meetings:list", village_id=village_id)


# --- agenda --------------------------------------------------------------------------------------


def item_add(ctx: Ctx) -> Response:
    meeting = HIDDEN_MEETING.of(ctx)
    fields = {name: ctx.field(name) for name in forms.ITEM_FIELDS}
    result = forms.parse_item(fields)
    if not result.ok:
        return _meeting_page(ctx, meeting, result.errors, fields, 422)
    item = agenda.add_item(ctx.db, ctx.actor, meeting, result.values["input"])
    ctx.flash(gettext_("已加入议程：%(title)s", title=item.title))
    return ctx.redirect("meetings:meeting", meeting_id=meeting.id)


def item_move(ctx: Ctx) -> Response:
    meeting = HIDDEN_MEETING.of(ctx)
    item = ITEM.of(ctx)
    agenda.move_item(ctx.db, ctx.actor, meeting, item, up=ctx.field("direction") == "up")
    return ctx.redirect("meetings:meeting", meeting_id=meeting.id)


def item_party(ctx: Ctx) -> Response:
    meeting = HIDDEN_MEETING.of(ctx)
    item = ITEM.of(ctx)
    on, note = ctx.field("party_studied_on"), ctx.field("party_studied_note")
    result = forms.parse_party_study(on, note)
    if not result.ok or result.values["on"] is None:
        errors = {f"{k}_{item.id}": v for k, v in result.errors.items()}
        return _meeting_page(ctx, meeting, errors, {}, 422)
    agenda.record_party_study(ctx.db, ctx.actor, meeting, item, result.values["on"], note)
    ctx.flash(gettext_("已记录村党组织研究情况：%(title)s", title=item.title))
    return ctx.redirect("meetings:meeting", meeting_id=meeting.id)


# --- public notice ------------------------------------------------------------------------------


def public_notice(ctx: Ctx) -> Response:
    """The notice as posted (村务公开): only once published; no personal data."""
    meeting = HIDDEN_MEETING.of(ctx)
    if meeting.notice_published_at is None:
        raise MeetingNotFound(lazy("这个会议的通知还没有发布。"))
    return ctx.render(
        "meetings/meeting_notice.html",
        **_describe(ctx, meeting),
        items=agenda.items_of(ctx.db, meeting),
    )


MEETING = "/meetings/{meeting_id:int}"
POST = ("POST",)

routes: list[BaseRoute] = [
    route(
        "/villages/{village_id:int}/meetings", meeting_list, name="meetings:list", permission=READ
    ),
    route(
        "/villages/{village_id:int}/meetings/new",
        meeting_new,
        name="meetings:new",
        permission=MANAGE,
        methods=("GET", "POST"),
    ),
    route(MEETING, meeting_page, name="meetings:meeting", permission=READ),
    route(
        MEETING + "/edit",
        meeting_edit,
        name="meetings:edit",
        permission=MANAGE,
        methods=("GET", "POST"),
    ),
    route(
        MEETING + "/notice", meeting_notice, name="meetings:notice", permission=MANAGE, methods=POST
    ),
    route(
        MEETING + "/drill/remove",
        drill_remove,
        name="meetings:drill_remove",
        permission=MANAGE,
        methods=("GET", "POST"),
    ),
    route(MEETING + "/open", meeting_open, name="meetings:open", permission=MANAGE, methods=POST),
    route(
        MEETING + "/slips",
        slips_prepare,
        name="meetings:slips_prepare",
        permission=MANAGE,
        methods=POST,
    ),
    route(
        MEETING + "/close", meeting_close, name="meetings:close", permission=MANAGE, methods=POST
    ),
    route(MEETING + "/items", item_add, name="meetings:item_add", permission=MANAGE, methods=POST),
    route(
        MEETING + "/items/{item_id:int}/move",
        item_move,
        name="meetings:item_move",
        permission=MANAGE,
        methods=POST,
    ),
    route(
        MEETING + "/items/{item_id:int}/party",
        item_party,
        name="meetings:item_party",
        permission=MANAGE,
        methods=POST,
    ),
    route(
        "/public/meetings/{meeting_id:int}/notice",
        public_notice,
        name="meetings:public_notice",
        permission=Permission.PUBLIC,
    ),
]
