"""Minutes pages: the draft and its notes, signing, addenda, posting, print, public edition."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Select, select
from starlette.responses import Response
from starlette.routing import BaseRoute

import minutes.audit_labels  # noqa: F401  (the audit log's names for this package's actions)
from app.accounts.models import StaffUser
from app.accounts.services import staff_member
from app.accounts.views import password_problem
from app.audit.services import chain_anchor
from app.drill import banner_for, today_of
from app.i18n import gettext_, lazy
from app.permissions import Permission, allows
from app.registry.models import Village
from app.web import Ctx
from meetings.models import AgendaItem, Meeting, MeetingStatus
from minutes import forms, rules, services, signing
from minutes.exceptions import MinutesError, MinutesNotFound, WrongPassword
from minutes.labels import ITEM_KIND_LABELS, MEETING_KIND_LABELS, ROLE_LABELS
from minutes.models import Minutes
from minutes.paths import ADDENDUM, ADDENDUM_MISSING, MEETING, public_route, route


def _me(ctx: Ctx) -> StaffUser:
    """The signed-in staff member's account: signing checks its password."""
    return staff_member(ctx.db, ctx.require_user())


def _labels() -> dict[str, Any]:
    return {
        "kind_labels": {k.value: v for k, v in MEETING_KIND_LABELS.items()},
        "item_labels": {k.value: v for k, v in ITEM_KIND_LABELS.items()},
        "role_labels": {k.value: v for k, v in ROLE_LABELS.items()},
    }


def _addenda_rows(ctx: Ctx, minutes: Minutes | None) -> list[dict[str, Any]]:
    rows = []
    for addendum in services.addenda_of(ctx.db, minutes):
        assert minutes is not None
        signed = signing.signatures_for(ctx.db, minutes, addendum.sha256, addendum)
        rows.append({"addendum": addendum, "signed": {r.value for r in signed}})
    return rows


def _page(
    ctx: Ctx,
    meeting: Meeting,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    failed: str = "",
) -> Response:
    user = _me(ctx)
    minutes = services.find_minutes(ctx.db, meeting)
    doc = services.document(ctx.db, meeting, minutes)
    locked = services.is_locked(minutes)
    sha256 = rules.digest(rules.canonical(doc))
    if minutes is not None and minutes.locked_sha256 is not None:
        sha256 = minutes.locked_sha256
    signed = signing.signatures_for(ctx.db, minutes, sha256) if minutes else {}
    my_roles = signing.signer_roles(meeting, user)
    today = today_of(meeting)
    return ctx.render(
        "minutes/minutes.html",
        status_code,
        meeting=meeting,
        minutes=minutes,
        doc=doc,
        locked=locked,
        sha256=sha256,
        signed={r.value for r in signed},
        my_roles=[r.value for r in my_roles],
        may_write=allows(user, Permission.MINUTES_WRITE) and user.id == meeting.recorder_id,
        may_sign=allows(user, Permission.MINUTES_SIGN) and bool(my_roles),
        may_post=signing.may_post(meeting, user),
        closed=meeting.status is MeetingStatus.CLOSED,
        addenda=_addenda_rows(ctx, minutes),
        posting=signing.latest_posting(ctx.db, minutes),
        errors=errors or {},
        form=form
        or {"posted_on": today.isoformat(), "until": rules.earliest_end(today).isoformat()},
        failed=failed,
        note_field=forms.note_field,
        **_labels(),
    )


def minutes_page(ctx: Ctx) -> Response:
    return _page(ctx, MEETING.of(ctx))


def notes_post(ctx: Ctx) -> Response:
    meeting = MEETING.of(ctx)
    item_ids = [item.id for item in ctx.db.scalars(_items(meeting))]
    fields = {forms.note_field(i): ctx.field(forms.note_field(i)) for i in item_ids}
    result = forms.parse_notes(item_ids, fields)
    if not result.ok:
        return _page(ctx, meeting, status_code=422, errors=result.errors, failed="notes")
    services.save_notes(ctx.db, ctx.actor, _me(ctx), meeting, result.values["notes"])
    ctx.flash(gettext_("会议记录已保存。"))
    return ctx.redirect("minutes:minutes", meeting_id=meeting.id)


def _items(meeting: Meeting) -> Select[AgendaItem]:
    return select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)


def _checked_password(ctx: Ctx) -> tuple[str, dict[str, str]]:
    user = _me(ctx)
    result = forms.parse_password(ctx.secret_field("password"))
    if result.ok:
        problem = password_problem(
            ctx, user, result.values["password"], str(signing.WRONG_PASSWORD)
        )
        if problem:
            result.error("password", problem)
    return result.values["password"], result.errors


def sign_post(ctx: Ctx) -> Response:
    meeting = MEETING.of(ctx)
    password, errors = _checked_password(ctx)
    if errors:
        return _page(ctx, meeting, status_code=422, errors=errors, failed="sign")
    try:
        locked = signing.sign(ctx.db, _me(ctx), meeting, password)
    except WrongPassword as error:
        errors = {"password": error.render_message()}
        return _page(ctx, meeting, status_code=422, errors=errors, failed="sign")
    if locked:
        ctx.flash(gettext_("双方都已签名，会议记录已锁定。"))
    else:
        ctx.flash(gettext_("您已签名，还要等另一位签名。"))
    return ctx.redirect("minutes:minutes", meeting_id=meeting.id)


def addendum_post(ctx: Ctx) -> Response:
    meeting = MEETING.of(ctx)
    result = forms.parse_addendum(ctx.field("text"))
    if not result.ok:
        return _page(
            ctx, meeting, status_code=422, errors=result.errors, form=result.raw, failed="addendum"
        )
    signing.add_addendum(ctx.db, _me(ctx), meeting, result.values["text"])
    ctx.flash(gettext_("更正说明已写好，请主持人和记录人签名。"))
    return ctx.redirect("minutes:minutes", meeting_id=meeting.id)


def addendum_sign_post(ctx: Ctx) -> Response:
    meeting = MEETING.of(ctx)
    addendum = ADDENDUM.of(ctx)
    minutes = services.find_minutes(ctx.db, meeting)
    if minutes is None or addendum.minutes_id != minutes.id:
        raise MinutesNotFound(ADDENDUM_MISSING)
    password, errors = _checked_password(ctx)
    if errors:
        return _page(ctx, meeting, status_code=422, errors=errors, failed=f"a{addendum.id}")
    try:
        locked = signing.sign_addendum(ctx.db, _me(ctx), meeting, addendum, password)
    except WrongPassword as error:
        errors = {"password": error.render_message()}
        return _page(ctx, meeting, status_code=422, errors=errors, failed=f"a{addendum.id}")
    if locked:
        ctx.flash(gettext_("更正说明已由双方签名锁定。"))
    else:
        ctx.flash(gettext_("您已签名，还要等另一位签名。"))
    return ctx.redirect("minutes:minutes", meeting_id=meeting.id)


def post_post(ctx: Ctx) -> Response:
    meeting = MEETING.of(ctx)
    result = forms.parse_posting(ctx.field("posted_on"), ctx.field("until"))
    if not result.ok:
        return _page(
            ctx, meeting, status_code=422, errors=result.errors, form=result.raw, failed="post"
        )
    try:
        signing.post(
            ctx.db,
            ctx.actor,
            _me(ctx),
            meeting,
            result.values["posted_on"],
            result.values["until"],
        )
    except MinutesError as error:
        errors = {"__all__": error.render_message()}
        return _page(
            ctx,
            meeting,
            status_code=error.status_code,
            errors=errors,
            form=result.raw,
            failed="post",
        )
    ctx.flash(gettext_("公开版已在村务公开栏发布。"))
    return ctx.redirect("minutes:minutes", meeting_id=meeting.id)


def print_page(ctx: Ctx) -> Response:
    meeting = MEETING.of(ctx)
    minutes = services.find_minutes(ctx.db, meeting)
    doc = services.document(ctx.db, meeting, minutes)
    sha256 = minutes.locked_sha256 if minutes and minutes.locked_sha256 else ""
    addenda = [row["addendum"] for row in _addenda_rows(ctx, minutes)]
    # The signatures given for the text printed (a draft may carry one of the two); a
    # role without one prints a blank line for the pen.
    printed = sha256 or rules.digest(rules.canonical(doc))
    signed = signing.signatures_for(ctx.db, minutes, printed) if minutes else {}
    return ctx.render(
        "minutes/print.html",
        meeting=meeting,
        doc=doc,
        sha256=sha256,
        signed_at={role.value: signature.at for role, signature in signed.items()},
        addenda=[a for a in addenda if a.locked_at is not None],
        **_labels(),
    )


def public_page(ctx: Ctx) -> Response:
    """The notice-board edition (村务公开): only once posted, as it was posted."""
    meeting = ctx.db.get(Meeting, ctx.path["meeting_id"])
    minutes = services.find_minutes(ctx.db, meeting) if meeting is not None else None
    posting = signing.latest_posting(ctx.db, minutes)
    if meeting is None or posting is None:
        raise MinutesNotFound(lazy("这次会议的记录还没有公开。"))
    drill = banner_for(meeting)
    if drill is not None:  # a drill's own notice-board edition, marked 演练 (app.drill)
        ctx.in_drill(drill)
    village = ctx.db.get(Village, meeting.village_id)
    return ctx.render(
        "minutes/public.html",
        meeting=meeting,
        village=village,
        doc=json.loads(posting.public_json),
        posting=posting,
        anchor=chain_anchor(ctx.db),
        **_labels(),
    )


_BASE = "/meetings/{meeting_id:int}/minutes"

routes: list[BaseRoute] = [
    route(_BASE, minutes_page, name="minutes:minutes", permission=Permission.MEETING_READ),
    route(
        f"{_BASE}/notes",
        notes_post,
        name="minutes:notes",
        permission=Permission.MINUTES_WRITE,
        methods=["POST"],
    ),
    route(
        f"{_BASE}/sign",
        sign_post,
        name="minutes:sign",
        permission=Permission.MINUTES_SIGN,
        methods=["POST"],
    ),
    route(
        f"{_BASE}/addenda",
        addendum_post,
        name="minutes:addendum",
        permission=Permission.MINUTES_WRITE,
        methods=["POST"],
    ),
    route(
        f"{_BASE}/addenda/{{addendum_id:int}}/sign",
        addendum_sign_post,
        name="minutes:addendum_sign",
        permission=Permission.MINUTES_SIGN,
        methods=["POST"],
    ),
    route(
        f"{_BASE}/post",
        post_post,
        name="minutes:post",
        # Every role that may host or record; signing.may_post says who of them.
        permission=Permission.MINUTES_SIGN,
        methods=["POST"],
    ),
    route(f"{_BASE}/print", print_page, name="minutes:print", permission=Permission.MEETING_READ),
    public_route(
        "/public/meetings/{meeting_id:int}/minutes",
        public_page,
        name="minutes:public",
        permission=Permission.PUBLIC,
    ),
]
