"""The group leader's pages for a round: enter members' paper opinions and votes on their
behalf (marked as entered by the leader) and file the group's summary opinion."""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import Response
from starlette.routing import BaseRoute

from app.errors import DomainError, NotFound
from app.i18n import gettext_, lazy
from app.permissions import Permission
from app.registry.models import Group, Person
from app.registry.rules import names_told_apart
from app.web import Ctx
from compacts.models import DeliberationRound, MemberVote, RoundGroup, Version, VoteChoice
from compacts.paths import DELIBERATION, GROUP, route
from compacts.rounds import lookup
from compacts.rounds import services as rounds
from compacts.rounds.forms import parse_choice, parse_comment, parse_person, parse_summary
from compacts.rounds.text import article_choices, article_keys

CHOICE_LABELS = {
    VoteChoice.APPROVE: lazy("同意"),
    VoteChoice.APPROVE_WITH_CHANGES: lazy("修改后同意"),
    VoteChoice.REJECT: lazy("不同意"),
}


def _scope(ctx: Ctx) -> tuple[DeliberationRound, Group, RoundGroup]:
    round_, group = DELIBERATION.of(ctx), GROUP.of(ctx)
    row = ctx.db.scalar(
        select(RoundGroup).where(RoundGroup.round_id == round_.id, RoundGroup.group_id == group.id)
    )
    if row is None:
        raise NotFound(lazy("这个小组不在这一轮征求意见里。"))
    return round_, group, row


def _page(
    ctx: Ctx,
    round_: DeliberationRound,
    group: Group,
    row: RoundGroup,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    version = ctx.db.get(Version, round_.version_id)
    assert version is not None
    votes = {
        v.person_id: v
        for v in ctx.db.scalars(
            select(MemberVote).where(
                MemberVote.round_id == round_.id, MemberVote.group_id == group.id
            )
        )
    }
    people = lookup.speakers(ctx.db, round_, group)
    names = names_told_apart(people)
    return ctx.render(
        "compacts/round_lead.html",
        status,
        round=round_,
        group=group,
        row=row,
        people=people,
        names=names,
        person_options=[(str(p.id), names[p.id]) for p in people],
        votes=votes,
        labels=CHOICE_LABELS,
        articles=[("", gettext_("整个文本")), *article_choices(version)],
        choices=[(c.value, str(label)) for c, label in CHOICE_LABELS.items()],
        is_open=lookup.is_open(round_),
        errors=errors or {},
        form=form or {"summary": row.summary},
    )


def lead(ctx: Ctx) -> Response:
    return _page(ctx, *_scope(ctx))


def _done(ctx: Ctx, round_: DeliberationRound, group: Group, message: str) -> Response:
    ctx.flash(message)
    return ctx.redirect("compacts:round_lead", deliberation_id=round_.id, group_id=group.id)


def paper_comment(ctx: Ctx) -> Response:
    round_, group, row = _scope(ctx)
    version = ctx.db.get(Version, round_.version_id)
    assert version is not None
    result = parse_comment(ctx.field("article"), ctx.field("text"), article_keys(version))
    allowed = [p.id for p in lookup.speakers(ctx.db, round_, group)]
    person_id = parse_person(result, ctx.field("person_id"), allowed)
    form = {**result.raw, "text": ctx.field("text")}
    if not result.ok or person_id is None:
        return _page(ctx, round_, group, row, status=422, errors=result.errors, form=form)
    person = ctx.db.get(Person, person_id)
    assert person is not None
    try:
        rounds.add_comment(
            ctx.db,
            ctx.actor,
            round_,
            person,
            result.values["article"],
            result.values["text"],
            entered_by=ctx.require_user(),
            group_id=group.id,
        )
    except DomainError as error:
        errors = {"__all__": error.render_message()}
        return _page(ctx, round_, group, row, status=422, errors=errors, form=form)
    return _done(ctx, round_, group, gettext_("已记下 %(name)s 的意见。", name=person.name))


def paper_vote(ctx: Ctx) -> Response:
    round_, group, row = _scope(ctx)
    result = parse_choice(ctx.field("choice"))
    allowed = [p.id for p in lookup.speakers(ctx.db, round_, group)]
    person_id = parse_person(result, ctx.field("person_id"), allowed)
    if not result.ok or person_id is None:
        return _page(ctx, round_, group, row, status=422, errors=result.errors, form=result.raw)
    person = ctx.db.get(Person, person_id)
    assert person is not None
    try:
        rounds.cast_vote(
            ctx.db,
            ctx.actor,
            round_,
            person,
            result.values["choice"],
            entered_by=ctx.require_user(),
            group_id=group.id,
        )
    except DomainError as error:
        errors = {"__all__": error.render_message()}
        return _page(ctx, round_, group, row, status=422, errors=errors, form=result.raw)
    return _done(ctx, round_, group, gettext_("已记下 %(name)s 的表态。", name=person.name))


def summary(ctx: Ctx) -> Response:
    round_, group, row = _scope(ctx)
    result = parse_summary(ctx.field("summary"))
    form = {"summary": ctx.field("summary")}
    if not result.ok:
        return _page(ctx, round_, group, row, status=422, errors=result.errors, form=form)
    try:
        rounds.file_summary(
            ctx.db, ctx.require_user(), ctx.actor, round_, group.id, result.values["summary"]
        )
    except DomainError as error:
        errors = {"__all__": error.render_message()}
        return _page(ctx, round_, group, row, status=422, errors=errors, form=form)
    return _done(ctx, round_, group, gettext_("小组汇总意见已保存。"))


LEAD = "/compacts/rounds/{deliberation_id:int}/groups/{group_id:int}"
PERM = Permission.COMPACT_LEAD
POST = ["POST"]

routes: list[BaseRoute] = [
    route(LEAD, lead, name="compacts:round_lead", permission=PERM),
    route(
        LEAD + "/comment",
        paper_comment,
        name="compacts:round_paper_comment",
        permission=PERM,
        methods=POST,
    ),
    route(
        LEAD + "/vote", paper_vote, name="compacts:round_paper_vote", permission=PERM, methods=POST
    ),
    route(LEAD + "/summary", summary, name="compacts:round_summary", permission=PERM, methods=POST),
]
