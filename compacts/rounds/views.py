"""Deliberation pages: opening a round, the organizers' coverage matrix and closing, the
public projector page of a group, the leader's paper entry and summary, and the member's
own page under the QR slip link (read article by article, comment, vote once)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response
from starlette.routing import BaseRoute

from app.errors import DomainError, NotFound
from app.i18n import gettext_, lazy
from app.permissions import Permission
from app.qr import qr_svg
from app.registry.models import Group, Village
from app.web import Ctx
from compacts.models import Comment, Compact, DeliberationRound, Version, VoteChoice
from compacts.paths import COMPACT, DELIBERATION, GROUP, route, slip_route
from compacts.rounds import lookup
from compacts.rounds import services as rounds
from compacts.rounds.coverage import coverage
from compacts.rounds.forms import parse_choice, parse_comment, parse_open
from compacts.rounds.text import article_keys, blocks
from compacts.rounds.views_lead import routes as lead_routes
from slips import SLIP_HOLDERS, SLIP_PAGE_SECTIONS, PageSection
from slips.models import Assembly
from slips.services import SlipAccess, resolve_slip
from slips.views import villager_page

CHOICES = (
    (VoteChoice.APPROVE, lazy("同意")),
    (VoteChoice.APPROVE_WITH_CHANGES, lazy("修改后同意")),
    (VoteChoice.REJECT, lazy("不同意")),
)


def scoped_round(ctx: Ctx) -> tuple[DeliberationRound, Village]:
    """The round in the path (the request layer checked the staff user may see its village)."""
    round_ = DELIBERATION.of(ctx)
    return round_, lookup.village_of(ctx.db, round_)


# --- organizers -------------------------------------------------------------------------


def _new_page(
    ctx: Ctx, compact: Compact, status: int = 200, form: Any = None, errors: Any = None
) -> Response:
    db = ctx.db
    versions = db.scalars(
        select(Version).where(Version.compact_id == compact.id).order_by(Version.number.desc())
    )
    groups = db.scalars(
        select(Group).where(Group.village_id == compact.village_id).order_by(Group.kind, Group.id)
    )
    assemblies = db.scalars(
        select(Assembly)
        .where(Assembly.village_id == compact.village_id, Assembly.drill.is_(False))
        .order_by(Assembly.id)
    )
    return ctx.render(
        "compacts/round_new.html",
        status,
        compact=compact,
        versions=[(str(v.id), gettext_("第 %(n)s 版", n=v.number)) for v in versions],
        groups=list(groups),
        assemblies=[(str(a.id), a.title) for a in assemblies],
        form=form or {},
        checked=[str(g) for g in (form or {}).get("groups", [])],
        errors=errors or {},
    )


def round_new(ctx: Ctx) -> Response:
    compact = COMPACT.of(ctx)
    if ctx.request.method == "GET":
        return _new_page(ctx, compact)
    result = parse_open(
        ctx.field("version_id"),
        ctx.fields("groups"),
        ctx.field("deadline"),
        ctx.field("assembly_id"),
    )
    raw = {**result.raw, "groups": ctx.fields("groups")}
    if not result.ok:
        return _new_page(ctx, compact, 422, raw, result.errors)
    version = ctx.db.get(Version, result.values["version_id"])
    try:
        if version is None:
            raise DomainError(lazy("这个版本不属于这份村规民约，请重新选择版本。"))
        round_ = rounds.open_round(
            ctx.db,
            ctx.actor,
            compact,
            version,
            result.values["group_ids"],
            result.values["deadline"],
            result.values["assembly_id"],
        )
    except DomainError as error:
        return _new_page(ctx, compact, 422, raw, {"__all__": error.render_message()})
    ctx.flash(gettext_("已开始征求意见，截止日期 %(day)s。", day=round_.deadline.isoformat()))
    return ctx.redirect("compacts:round", deliberation_id=round_.id)


def _round_page(
    ctx: Ctx, round_: DeliberationRound, status: int = 200, error: str = "", note: str = ""
) -> Response:
    version = ctx.db.get(Version, round_.version_id)
    compact = ctx.db.get(Compact, round_.compact_id)
    return ctx.render(
        "compacts/round_coverage.html",
        status,
        round=round_,
        version=version,
        compact=compact,
        cov=coverage(ctx.db, round_),
        choices=CHOICES,
        silent=rounds.silent_groups(ctx.db, round_),
        is_open=lookup.is_open(round_),
        error=error,
        note=note,
    )


def round_page(ctx: Ctx) -> Response:
    round_, _village = scoped_round(ctx)
    return _round_page(ctx, round_)


def round_close(ctx: Ctx) -> Response:
    round_, _village = scoped_round(ctx)
    note = ctx.field("close_note")
    try:
        rounds.close_round(ctx.db, ctx.actor, round_, note)
    except DomainError as error:
        return _round_page(ctx, round_, 422, error.render_message(), note)
    ctx.flash(gettext_("这一轮征求意见已结束。"))
    return ctx.redirect("compacts:round", deliberation_id=round_.id)


# --- the projector page of a group (public) ---------------------------------------------


def projector(ctx: Ctx) -> Response:
    round_, group = DELIBERATION.of(ctx), GROUP.of(ctx)
    if group not in lookup.groups_of(ctx.db, round_):
        raise NotFound(GROUP.missing)
    version = ctx.db.get(Version, round_.version_id)
    compact = ctx.db.get(Compact, round_.compact_id)
    assert version is not None
    preamble, items = blocks(version)
    code_url = ctx.phone_url("slips:code")
    return ctx.render(
        "compacts/round_projector.html",
        round=round_,
        group=group,
        version=version,
        compact=compact,
        preamble=preamble,
        blocks=items,
        code_url=code_url,
        qr=qr_svg(code_url),
    )


# --- the member's own page --------------------------------------------------------------


def _member(ctx: Ctx) -> tuple[SlipAccess, DeliberationRound, Group]:
    access = resolve_slip(ctx.db, ctx.settings, ctx.path["token"])
    round_ = ctx.db.get(DeliberationRound, ctx.path["deliberation_id"])
    if round_ is None or round_.assembly_id != access.assembly.id:
        raise NotFound(lazy("您的二维码不能打开这一轮征求意见。请找您的小组长帮忙。"))
    group = rounds.speaker_group(ctx.db, round_, access.person, ctx.path["group_id"])
    return access, round_, group


def _member_page(
    ctx: Ctx,
    access: SlipAccess,
    round_: DeliberationRound,
    group: Group,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    notice: str = "",
) -> Response:
    version = ctx.db.get(Version, round_.version_id)
    compact = ctx.db.get(Compact, round_.compact_id)
    assert version is not None
    preamble, items = blocks(version)
    mine = rounds.comments_by(ctx.db, round_, access.person, group)
    others = [g for g in lookup.member_groups(ctx.db, round_, access.person) if g.id != group.id]
    return ctx.render(
        "compacts/round_member.html",
        status,
        access=access,
        token=ctx.path["token"],
        round=round_,
        group=group,
        other_groups=others,
        version=version,
        compact=compact,
        preamble=preamble,
        blocks=items,
        mine=_by_article(mine),
        vote=lookup.has_voted(ctx.db, round_, access.person, group),
        choices=CHOICES,
        is_open=lookup.is_open(round_),
        errors=errors or {},
        form=form or {},
        notice=notice,
    )


def _by_article(comments: list[Comment]) -> dict[str, list[Comment]]:
    grouped: dict[str, list[Comment]] = {}
    for comment in comments:
        grouped.setdefault(comment.article, []).append(comment)
    return grouped


@villager_page
def member(ctx: Ctx) -> Response:
    access, round_, group = _member(ctx)
    return _member_page(ctx, access, round_, group)


@villager_page
def member_comment(ctx: Ctx) -> Response:
    access, round_, group = _member(ctx)
    version = ctx.db.get(Version, round_.version_id)
    assert version is not None
    article = ctx.field("article")
    result = parse_comment(article, ctx.field("text"), article_keys(version))
    form = {"article": article, "text": ctx.field("text")}
    if not result.ok:
        return _member_page(ctx, access, round_, group, status=422, errors=result.errors, form=form)
    rounds.add_comment(
        ctx.db,
        rounds.VILLAGER_QR,
        round_,
        access.person,
        article,
        result.values["text"],
        group_id=group.id,
    )
    return _member_page(ctx, access, round_, group, notice=gettext_("您的意见已经收到，谢谢！"))


@villager_page
def member_vote(ctx: Ctx) -> Response:
    access, round_, group = _member(ctx)
    result = parse_choice(ctx.field("choice"))
    if not result.ok:
        return _member_page(ctx, access, round_, group, status=422, errors=result.errors)
    rounds.cast_vote(
        ctx.db,
        rounds.VILLAGER_QR,
        round_,
        access.person,
        result.values["choice"],
        group_id=group.id,
    )
    return _member_page(ctx, access, round_, group, notice=gettext_("您的表态已经记下，谢谢！"))


ROUND = "/compacts/rounds/{deliberation_id:int}"
MEMBER = "/s/{token}/compacts/rounds/{deliberation_id:int}/groups/{group_id:int}"
MANAGE = Permission.COMPACT_MANAGE
PUBLIC = Permission.PUBLIC


def _slip_section(session: Session, access: SlipAccess) -> PageSection:
    """On the villager's slip page: each group this slip's holder speaks in, in each open
    deliberation round."""
    found = rounds.open_rounds_for(session, access.assembly.id, access.person)
    return PageSection(
        "compacts/round_slip_links.html",
        place=30,
        values={"compact_rounds": found},
        offers=bool(found),
    )


def _slip_holders(session: Session, assembly: Assembly) -> list[int] | None:
    return lookup.members_at(session, assembly.id)


SLIP_PAGE_SECTIONS.append(_slip_section)
SLIP_HOLDERS.append(_slip_holders)


routes: list[BaseRoute] = [
    route(
        "/compacts/{compact_id:int}/rounds/new",
        round_new,
        name="compacts:round_new",
        permission=MANAGE,
        methods=["GET", "POST"],
    ),
    route(ROUND, round_page, name="compacts:round", permission=Permission.COMPACT_READ),
    route(
        ROUND + "/close",
        round_close,
        name="compacts:round_close",
        permission=MANAGE,
        methods=["POST"],
    ),
    route(
        "/public/compacts/rounds/{deliberation_id:int}/groups/{group_id:int}",
        projector,
        name="compacts:round_projector",
        permission=PUBLIC,
    ),
    slip_route(MEMBER, member, name="compacts:round_member", permission=PUBLIC),
    slip_route(
        MEMBER + "/comment",
        member_comment,
        name="compacts:round_comment",
        permission=PUBLIC,
        methods=["POST"],
    ),
    slip_route(
        MEMBER + "/vote",
        member_vote,
        name="compacts:round_vote",
        permission=PUBLIC,
        methods=["POST"],
    ),
    *lead_routes,
]
