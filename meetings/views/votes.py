"""Votes in the meeting: the organizers' and tellers' motion pages, and the villager's
QR vote under the slip link (/s/{token}/motions/{motion_id}, confirmation step, no script).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.responses import Response
from starlette.routing import BaseRoute

from app.errors import NotFound
from app.i18n import lazy
from app.permissions import Permission
from app.sealed_box.exceptions import BadBoxPassword, TooFewHolders, WrongBoxPassword
from app.sealed_box.forms import opening_field, opening_passwords
from app.sealed_box.services import scrub_after_commit
from app.web import Ctx
from meetings import refs, votes, votes_rounds
from meetings.exceptions import InvalidMeetingInput, VoteRefused
from meetings.forms import parse_choice, parse_hands, parse_motion, parse_round
from meetings.models import AgendaItem, Choice, ItemKind, Meeting, Motion, VoteMethod
from meetings.paths import ITEM, MEETING, MOTION, route, slip_route
from meetings.presence import quorum_figures
from slips import SLIP_PAGE_SECTIONS, PageSection
from slips.services import SlipAccess, resolve_slip
from slips.views import villager_page

# --- organizers and tellers ----------------------------------------------------------


def _item_page(
    ctx: Ctx,
    item: AgendaItem,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    name = refs.version_name(ctx.db, item.compact_version_ref)
    return ctx.render(
        "meetings/vote_item.html",
        status,
        item=item,
        meeting=item.meeting,
        motions=[
            (m, refs.shown_text(m.text, item.compact_version_ref, name), votes.result_of(m))
            for m in votes.item_motions(ctx.db, item)
        ],
        version_words=name.words if name else item.compact_version_ref.strip(),
        takes_motions=item.kind in votes.MOTION_ITEM_KINDS,
        is_election=item.kind is ItemKind.ELECTION,
        is_compact=item.kind is ItemKind.COMPACT_ADOPTION,
        rounds_options=_round_options(ctx, item),
        methods=[
            (VoteMethod.QR.value, _method_label(VoteMethod.QR)),
            (VoteMethod.HANDS.value, _method_label(VoteMethod.HANDS)),
        ],
        form=form or {},
        errors=errors or {},
    )


def _round_options(ctx: Ctx, item: AgendaItem) -> list[tuple[int, str]]:
    if item.kind is not ItemKind.ELECTION:
        return []
    label = str(lazy("%(title)s：第 %(n)s 轮"))
    return [
        (round_.id, label % {"title": election.title, "n": round_.number})
        for round_, election in votes_rounds.village_rounds(
            ctx.db, item.meeting.village_id, item.meeting.is_drill
        )
    ]


def _method_label(method: VoteMethod) -> str:
    return str(lazy("扫码表决") if method is VoteMethod.QR else lazy("举手表决"))


def item_votes(ctx: Ctx) -> Response:
    return _item_page(ctx, ITEM.of(ctx))


def motion_create(ctx: Ctx) -> Response:
    item = ITEM.of(ctx)
    result = parse_motion(ctx.field("text"), ctx.field("method"))
    if not result.ok:
        return _item_page(ctx, item, form=result.raw, errors=result.errors, status=422)
    try:
        motion = votes.create_motion(
            ctx.db, ctx.actor, item, result.values["text"], result.values["method"]
        )
    except VoteRefused as problem:
        errors = {"text": problem.render_message()}
        return _item_page(ctx, item, form=result.raw, errors=errors, status=409)
    return ctx.redirect("meetings:motion", motion_id=motion.id)


def _motion_page(
    ctx: Ctx,
    motion: Motion,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    item, meeting = votes.motion_item(ctx.db, motion)
    hands = votes.hands_state(ctx.db, motion) if motion.method is VoteMethod.HANDS else None
    user = ctx.require_user()
    mine = next((c for c in hands.counts if c.teller_id == user.id), None) if hands else None
    if form is None and mine is not None:
        form = {"yes": str(mine.yes), "no": str(mine.no), "abstain": str(mine.abstain)}
    return ctx.render(
        "meetings/vote_motion.html",
        status,
        motion=motion,
        motion_text=refs.motion_words(ctx.db, motion),
        item=item,
        meeting=meeting,
        method_label=_method_label(motion.method),
        is_open=votes.is_open(motion),
        result=votes.result_of(motion),
        hands=hands,
        votes_cast=votes.votes_cast(ctx.db, motion),
        now=quorum_figures(ctx.db, meeting),
        box=votes.box_status(ctx.db, meeting),
        form=form or {},
        errors=errors or {},
    )


def motion(ctx: Ctx) -> Response:
    return _motion_page(ctx, MOTION.of(ctx))


def motion_open(ctx: Ctx) -> Response:
    found = MOTION.of(ctx)
    votes.open_motion(ctx.db, ctx.actor, found)
    ctx.flash(str(lazy("表决已经开始。")))
    return ctx.redirect("meetings:motion", motion_id=found.id)


def motion_close(ctx: Ctx) -> Response:
    found = MOTION.of(ctx)
    passwords: dict[int, str] = {}
    if found.method is VoteMethod.QR:
        meeting = votes.motion_item(ctx.db, found)[1]
        passwords = opening_passwords(votes.box_status(ctx.db, meeting), ctx.secret_field)
    try:
        votes.close_motion(ctx.db, ctx.actor, found, passwords)
    except WrongBoxPassword as problem:
        field = opening_field(problem.holder_id) if problem.holder_id else "open"
        return _motion_page(ctx, found, errors={field: problem.render_message()}, status=422)
    except TooFewHolders as problem:
        return _motion_page(ctx, found, errors={"open": problem.render_message()}, status=422)
    except VoteRefused as problem:  # the tellers' counts differ, or it is not open
        return _motion_page(ctx, found, errors={"close": problem.render_message()}, status=409)
    ctx.flash(str(lazy("表决已经结束，结果已记录。")))
    response = ctx.redirect("meetings:motion", motion_id=found.id)
    if found.method is VoteMethod.QR:
        # Once the close committed: scrub the opened votes' sealed rows from the files.
        response.background = scrub_after_commit(ctx.request.app.state.database)
    return response


def _box_page(ctx: Ctx, meeting: Meeting, errors: dict[str, str], status: int = 200) -> Response:
    box = votes.box_status(ctx.db, meeting)
    return ctx.render(
        "meetings/vote_box.html",
        status,
        meeting=meeting,
        box=box,
        choices=votes.teller_choices(ctx.db, meeting),
        named={h.holder_id for h in box.holders},
        errors=errors,
    )


def meeting_box(ctx: Ctx) -> Response:
    """The meeting's sealed box for QR votes: its holders and their box passwords."""
    return _box_page(ctx, MEETING.of(ctx), {})


def box_holders_post(ctx: Ctx) -> Response:
    meeting = MEETING.of(ctx)
    chosen = [int(v) for v in ctx.fields("tellers") if v.isdigit()]
    try:
        votes.name_box_holders(ctx.db, ctx.actor, meeting, chosen)
    except VoteRefused as problem:
        return _box_page(ctx, meeting, {"tellers": problem.render_message()}, 422)
    ctx.flash(str(lazy("已指定扫码表决的票箱保管人。请他们各自登录设开箱密码。")))
    return ctx.redirect("meetings:box", meeting_id=meeting.id)


def box_password_post(ctx: Ctx) -> Response:
    meeting = MEETING.of(ctx)
    try:
        votes.set_box_password(
            ctx.db,
            meeting,
            ctx.require_user().id,
            ctx.secret_field("box_password"),
            ctx.secret_field("box_password_confirm"),
        )
    except BadBoxPassword as problem:
        return _box_page(ctx, meeting, {"box_password": problem.render_message()}, 422)
    ctx.flash(str(lazy("您的开箱密码已保存。结束扫码表决时请您本人输入。")))
    return ctx.redirect("meetings:box", meeting_id=meeting.id)


def motion_hands(ctx: Ctx) -> Response:
    found = MOTION.of(ctx)
    result = parse_hands(ctx.field("yes"), ctx.field("no"), ctx.field("abstain"))
    if not result.ok:
        return _motion_page(ctx, found, form=result.raw, errors=result.errors, status=422)
    user = ctx.require_user()
    try:
        votes.record_hand_count(ctx.db, ctx.actor, found, user.id, **result.values)
    except InvalidMeetingInput as problem:
        return _motion_page(ctx, found, form=result.raw, errors=problem.errors, status=422)
    except VoteRefused as problem:
        errors = {"hands": problem.render_message()}
        return _motion_page(ctx, found, form=result.raw, errors=errors, status=409)
    ctx.flash(str(lazy("您数的人数已经记下。")))
    return ctx.redirect("meetings:motion", motion_id=found.id)


def item_round(ctx: Ctx) -> Response:
    item = ITEM.of(ctx)
    result = parse_round(ctx.field("round_id"))
    if not result.ok:
        return _item_page(ctx, item, form=result.raw, errors=result.errors, status=422)
    votes_rounds.link_round(ctx.db, ctx.actor, item, result.values["round_id"])
    ctx.flash(str(lazy("选举轮次已经关联到这项议程。")))
    return ctx.redirect("meetings:item_votes", item_id=item.id)


def round_attendance(ctx: Ctx) -> Response:
    item = ITEM.of(ctx)
    round_ = votes_rounds.record_round_attendance(ctx.db, ctx.actor, item)
    ctx.flash(
        str(lazy("已按签到记录这一轮的到会人数：应到 %(m)s 人，实到 %(p)s 人。"))
        % {"m": round_.members, "p": round_.present}
    )
    return ctx.redirect("meetings:item_votes", item_id=item.id)


# --- the villager's QR vote ----------------------------------------------------------


def _villager_motion(ctx: Ctx) -> tuple[Any, Motion, bool]:
    """The slip's access, the motion, and whether this villager has already voted on it
    (then the pages say so and write nothing; otherwise whatever refuses the vote)."""
    access = resolve_slip(ctx.db, ctx.settings, ctx.path["token"])
    found = ctx.db.get(Motion, ctx.path["motion_id"])
    meeting = votes.motion_item(ctx.db, found)[1] if found is not None else None
    if found is None or meeting is None or meeting.assembly_id != access.assembly.id:
        raise NotFound(lazy("您这张二维码不能参加这项表决。请回到您的二维码页面，从列表里选择。"))
    if found.method is VoteMethod.QR and votes.has_voted(ctx.db, found, access.person):
        return access, found, True
    votes.check_may_vote(ctx.db, found, access.person)
    return access, found, False


def _ballot_words(ctx: Ctx, motion: Motion) -> dict[str, Any]:
    """The motion's text as the villager reads it, and for a compact adoption the version
    in words with its public page (meetings.refs: compacts registers the resolver)."""
    item = votes.motion_item(ctx.db, motion)[0]
    ref = item.compact_version_ref
    name = refs.version_name(ctx.db, ref) if item.kind is ItemKind.COMPACT_ADOPTION else None
    return {"motion_text": refs.shown_text(motion.text, ref, name), "version": name}


def _done(ctx: Ctx, access: Any, motion: Motion, *, already: bool, status: int = 200) -> Response:
    # Says only that the vote was stored: never which way, so a shared phone tells nothing.
    return ctx.render(
        "meetings/vote_qr_done.html",
        status,
        access=access,
        motion=motion,
        token=ctx.path["token"],
        already=already,
        **_ballot_words(ctx, motion),
    )


def _qr_page(ctx: Ctx, template: str, status: int = 200, **extra: Any) -> Response:
    access, found, voted = _villager_motion(ctx)
    if voted:
        return _done(ctx, access, found, already=True)
    return ctx.render(
        template,
        status,
        access=access,
        motion=found,
        token=ctx.path["token"],
        choices=_choices(),
        **_ballot_words(ctx, found),
        **extra,
    )


def _choices() -> list[tuple[str, str]]:
    return [
        (Choice.YES.value, str(lazy("同意"))),
        (Choice.NO.value, str(lazy("不同意"))),
        (Choice.ABSTAIN.value, str(lazy("弃权"))),
    ]


@villager_page
def qr_motion(ctx: Ctx) -> Response:
    return _qr_page(ctx, "meetings/vote_qr.html", form={}, errors={})


@villager_page
def qr_confirm(ctx: Ctx) -> Response:
    result = parse_choice(ctx.field("choice"))
    if not result.ok:
        return _qr_page(ctx, "meetings/vote_qr.html", 422, form=result.raw, errors=result.errors)
    label = dict(_choices())[result.values["choice"].value]
    return _qr_page(
        ctx, "meetings/vote_qr_confirm.html", choice=result.values["choice"], label=label
    )


@villager_page
def qr_vote(ctx: Ctx) -> Response:
    result = parse_choice(ctx.field("choice"))
    if ctx.field("action") == "edit" or not result.ok:
        status = 200 if result.ok else 422
        return _qr_page(ctx, "meetings/vote_qr.html", status, form=result.raw, errors=result.errors)
    access, found, voted = _villager_motion(ctx)
    if voted:  # a repeat submission: the first vote stands, this one writes nothing
        return _done(ctx, access, found, already=True, status=409)
    votes.cast_qr_vote(ctx.db, found, access.person, result.values["choice"])
    return _done(ctx, access, found, already=False)


def _staff(path: str, view: Any, name: str, permission: Permission, *methods: str) -> Any:
    return route(path, view, name=name, permission=permission, methods=methods or ("GET",))


def _slip(path: str, view: Any, name: str, *methods: str) -> Any:
    return slip_route(
        path, view, name=name, permission=Permission.PUBLIC, methods=methods or ("GET",)
    )


ITEM_PATH = "/meetings/items/{item_id:int}"
MOTION_PATH = "/meetings/motions/{motion_id:int}"
BOX_PATH = "/meetings/{meeting_id:int}/sealed-box"
QR = "/s/{token}/motions/{motion_id:int}"


def _slip_section(session: Session, access: SlipAccess) -> PageSection:
    """On the villager's slip page: open QR motions where this slip's holder is in the hall."""
    motions = votes.slip_motions(session, access.assembly.id, access.person)
    return PageSection(
        "meetings/vote_slip_links.html",
        place=20,
        values={"slip_motions": motions},
        offers=bool(motions),
    )


SLIP_PAGE_SECTIONS.append(_slip_section)


routes: list[BaseRoute] = [
    _staff(ITEM_PATH + "/votes", item_votes, "meetings:item_votes", Permission.MEETING_READ),
    _staff(
        ITEM_PATH + "/motions",
        motion_create,
        "meetings:motion_create",
        Permission.MEETING_MANAGE,
        "POST",
    ),
    _staff(
        ITEM_PATH + "/round", item_round, "meetings:item_round", Permission.MEETING_MANAGE, "POST"
    ),
    _staff(
        ITEM_PATH + "/round/attendance",
        round_attendance,
        "meetings:round_attendance",
        Permission.MEETING_MANAGE,
        "POST",
    ),
    _staff(MOTION_PATH, motion, "meetings:motion", Permission.MEETING_READ),
    _staff(
        MOTION_PATH + "/open",
        motion_open,
        "meetings:motion_open",
        Permission.MEETING_MANAGE,
        "POST",
    ),
    _staff(
        MOTION_PATH + "/close",
        motion_close,
        "meetings:motion_close",
        Permission.MEETING_MANAGE,
        "POST",
    ),
    _staff(
        MOTION_PATH + "/hands",
        motion_hands,
        "meetings:motion_hands",
        Permission.MEETING_VOTE_COUNT,
        "POST",
    ),
    _staff(BOX_PATH, meeting_box, "meetings:box", Permission.MEETING_READ),
    _staff(
        BOX_PATH + "/holders",
        box_holders_post,
        "meetings:box_holders",
        Permission.MEETING_MANAGE,
        "POST",
    ),
    _staff(
        BOX_PATH + "/password",
        box_password_post,
        "meetings:box_password",
        Permission.MEETING_VOTE_COUNT,
        "POST",
    ),
    _slip(QR, qr_motion, "meetings:qr_motion"),
    _slip(QR + "/confirm", qr_confirm, "meetings:qr_confirm", "POST"),
    _slip(QR + "/vote", qr_vote, "meetings:qr_vote", "POST"),
]
