"""Organizer pages for setting up an election (list, create, edit, stages, roll) and the
public roll (公示) and candidate list. Objections, nominations, candidates and the
villager's nomination page live in views_setup_lists; both are exported as `routes`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from app.audit.services import chain_anchor
from app.drill import FIELDS as DRILL_FIELDS
from app.drill import FormLimits, today_of
from app.errors import NotFound
from app.forms import whole_number
from app.i18n import gettext_, lazy
from app.permissions import Permission
from app.registry.labels import RESIDENCE_LABELS
from app.registry.models import GroupKind, Village
from app.registry.paths import VILLAGE
from app.registry.rules import paging, today_in_china
from app.registry.structure import village_groups
from app.web import Confirmation, Ctx, confirm_page, drill_removal
from ballots.exceptions import InvalidElectionInput
from ballots.models import Election, Round, RoundStatus, Stage
from ballots.paths import SETUP_ELECTION
from ballots.paths import setup_route as route
from ballots.setup import forms as forms_setup
from ballots.setup import rules as setup_rules
from ballots.setup.display import describe, public_election, village_of_election
from ballots.setup.elections import (
    create_election,
    remove_drill,
    update_election,
    village_elections,
)
from ballots.setup.photos import photo_shas
from ballots.setup.roll import build_roll, decided_objections, roll_count, roll_rows
from ballots.setup.stages import (
    advance,
    latest_round,
    profile_for,
    refusals,
    round_candidates,
    transition_facts,
)
from ballots.setup.views_lists import routes as list_routes
from ballots.setup.views_photos import routes as photo_routes
from ballots.setup.views_speech import routes as speech_routes
from ballots.setup.views_villager import routes as villager_routes

# Other areas add links to the election page (assemblies, count, results): each function
# returns (label, path) pairs for the election, or nothing when it does not apply.
ElectionLinks = Callable[[Ctx, Election], list[tuple[str, str]]]
ELECTION_PAGE_LINKS: list[ElectionLinks] = []

# Stages an organizer enters with the election page's button; the candidate list is
# published from the candidates page, and counting onwards belongs to the results pages.
BUTTON_STAGES = frozenset(
    {Stage.ROLL_PUBLISHED, Stage.OBJECTIONS_CLOSED, Stage.NOMINATIONS, Stage.VOTING_OPEN}
)


# --- list, create, edit -----------------------------------------------------------------


def elections(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    return ctx.render(
        "ballots/setup_elections.html",
        village=village,
        elections=village_elections(ctx.db, village.id),
        stage_labels=setup_rules.STAGE_LABELS,
        office_labels=setup_rules.OFFICE_LABELS,
    )


def _form_context(ctx: Ctx, village: Village) -> dict[str, Any]:
    groups = [g for g in village_groups(ctx.db, village.id) if g.kind is not GroupKind.WOMEN]
    return {
        "village": village,
        "office_options": [(o.value, label) for o, label in setup_rules.OFFICE_LABELS.items()],
        "electorate_options": [
            (e.value, label) for e, label in setup_rules.ELECTORATE_LABELS.items()
        ],
        "group_options": [(g.id, g.name) for g in groups],
        "profile_options": [(name, label) for name, label in setup_rules.PROFILE_LABELS.items()],
        "override_fields": list(setup_rules.OVERRIDABLE_NUMBERS.items()),
        "write_in_options": [("yes", lazy("允许")), ("no", lazy("不允许"))],
        "drill_limits": FormLimits(ctx.settings.drill_day_seconds),
    }


def election_new(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    context = _form_context(ctx, village)
    if ctx.request.method == "GET":
        form = {"seats": "1", "electorate": "village", "office": "director"}
        return ctx.render("ballots/setup_election_form.html", form=form, errors={}, **context)
    fields = {name: ctx.field(name) for name in (*forms_setup.ELECTION_FIELDS, *DRILL_FIELDS)}
    result = forms_setup.parse_election(fields, today_in_china(), ctx.settings.drill_day_seconds)
    if result.ok:
        try:
            created = create_election(
                ctx.db,
                ctx.actor,
                village_id=village.id,
                drill_day_seconds=result.values["drill_day_seconds"],
                **_election_values(result.values),
            )
        except InvalidElectionInput as error:
            result.errors.update(error.errors)
    if not result.ok:
        return ctx.render(
            "ballots/setup_election_form.html", 422, form=fields, errors=result.errors, **context
        )
    ctx.flash(gettext_("已创建选举“%(title)s”。下一步：生成选民名单。", title=created.title))
    return ctx.redirect("ballots:election", election_id=created.id)


def _election_values(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": values["title"],
        "office": values["office"],
        "office_label": values["office_label"],
        "electorate": values["electorate"],
        "group_id": values["group_id"],
        "seats": values["seats"],
        "profile_name": values["profile_name"],
        "overrides": values["overrides"],
        "election_day": values["election_day"],
    }


def _edit_form(election: Election) -> dict[str, str]:
    overrides = json.loads(election.profile_overrides or "{}")
    form = {
        "title": election.title,
        "office": election.office.value,
        "office_label": election.office_label,
        "electorate": election.electorate.value,
        "group_id": str(election.group_id or ""),
        "seats": str(election.seats),
        "profile_name": election.profile_name,
        "election_day": election.election_day.isoformat(),
        "write_ins": {True: "yes", False: "no"}.get(overrides.get("write_ins_allowed"), ""),
    }
    for name in setup_rules.OVERRIDABLE_NUMBERS:
        form[name] = str(overrides.get(name, ""))
    return form


def election_edit(ctx: Ctx) -> Response:
    election = SETUP_ELECTION.of(ctx)
    context = {**_form_context(ctx, village_of_election(ctx, election)), "editing": election}
    if ctx.request.method == "GET":
        return ctx.render(
            "ballots/setup_election_form.html", form=_edit_form(election), errors={}, **context
        )
    fields = {**_edit_form(election)}
    fields.update({name: ctx.field(name) for name in forms_setup.ELECTION_FIELDS})
    # Office, electorate and group stay as created: a different post is a new election.
    for fixed in ("office", "office_label", "electorate", "group_id"):
        fields[fixed] = _edit_form(election)[fixed]
    result = forms_setup.parse_election(fields, today_of(election))
    if result.ok:
        try:
            values = _election_values(result.values)
            update_election(
                ctx.db,
                ctx.actor,
                election,
                **{k: values[k] for k in ("title", "seats", "election_day")},
                profile_name=values["profile_name"],
                overrides=values["overrides"],
            )
        except InvalidElectionInput as error:
            result.errors.update(error.errors)
    if not result.ok:
        return ctx.render(
            "ballots/setup_election_form.html", 422, form=fields, errors=result.errors, **context
        )
    ctx.flash(gettext_("已保存选举的修改。"))
    return ctx.redirect("ballots:election", election_id=election.id)


# --- the election page and its stages ---------------------------------------------------


def election(ctx: Ctx) -> Response:
    found = SETUP_ELECTION.of(ctx)
    return _election_page(ctx, found, refused=[], status=200)


def _next_label(election: Election, round_: Round | None, following: Stage | None) -> str:
    """What happens next, as the round page offers it: after a void round, not 确认结果
    but a new round of voting."""
    if (
        election.stage is Stage.ANNOUNCED
        and round_ is not None
        and round_.status is RoundStatus.VOID
    ):
        return gettext_("安排新一轮投票（本轮选举无效）")
    return str(setup_rules.STAGE_ACTIONS[following]) if following else ""


def _election_page(ctx: Ctx, found: Election, refused: list[str], status: int) -> Response:
    today = today_of(found)
    following = setup_rules.next_stage(found.stage)
    button = following if following in BUTTON_STAGES else None
    round_ = latest_round(ctx.db, found)
    links = [link for provider in ELECTION_PAGE_LINKS for link in provider(ctx, found)]
    return ctx.render(
        "ballots/setup_election.html",
        status,
        **describe(ctx, found),
        profile=profile_for(found),
        profile_label=setup_rules.PROFILE_LABELS.get(found.profile_name, found.profile_name),
        roll_size=roll_count(ctx.db, found, include_struck=False),
        open_objections=transition_facts(ctx.db, found, today).open_objections,
        candidates=round_candidates(ctx.db, round_) if round_ else [],
        round=round_,
        next_stage=following,
        next_label=_next_label(found, round_, following),
        button=button,
        not_yet=refusals(ctx.db, found, button, today) if button else [],
        refused=refused,
        links=links,
        today=today,
    )


def election_advance(ctx: Ctx) -> Response:
    found = SETUP_ELECTION.of(ctx)
    asked = ctx.request.query_params.get("target", "") if ctx.request.method == "GET" else ""
    target = next((s for s in BUTTON_STAGES if s.value == (asked or ctx.field("target"))), None)
    if target is None:
        raise NotFound(lazy("没有这个阶段。请回到选举页面，按页面上的按钮操作。"))
    refused = refusals(ctx.db, found, target, today_of(found))
    if refused:
        return _election_page(ctx, found, refused=refused, status=409)
    if ctx.request.method == "GET":
        return confirm_page(ctx, _advance_confirmation(ctx, found, target))
    advance(ctx.db, ctx.actor, found, target, today_of(found))
    ctx.flash(gettext_("选举已进入“%(stage)s”阶段。", stage=setup_rules.STAGE_LABELS[found.stage]))
    return ctx.redirect("ballots:election", election_id=found.id)


def _advance_confirmation(ctx: Ctx, election: Election, target: Stage) -> Confirmation:
    action = str(setup_rules.STAGE_ACTIONS[target])
    happens = {
        Stage.ROLL_PUBLISHED: [
            gettext_(
                "选民名单在公开页面上公示，公示日期记为今天；共 %(n)s 人。",
                n=roll_count(ctx.db, election, include_struck=False),
            ),
            gettext_("从今天起可以对名单提出异议。"),
        ],
        Stage.OBJECTIONS_CLOSED: [gettext_("不再接受对选民名单的异议。")],
        Stage.NOMINATIONS: [gettext_("选民可以开始提名候选人。")],
        Stage.VOTING_OPEN: [gettext_("投票开始：选民可以用二维码纸条、纸质选票和流动票箱投票。")],
    }.get(target, [gettext_("选举进入“%(stage)s”阶段。", stage=setup_rules.STAGE_LABELS[target])])
    return Confirmation(
        title=gettext_("%(action)s：%(title)s", action=action, title=election.title),
        happens=happens,
        final=gettext_("进入下一阶段以后不能退回。"),
        button=gettext_("确认%(action)s", action=action),
        back=ctx.url("ballots:election", election_id=election.id),
        fields={"target": target.value},
    )


# --- removing a drill -------------------------------------------------------------------


def drill_remove(ctx: Ctx) -> Response:
    """Remove a drill election (app.drill): a confirmation step first (GET), then POST."""
    found = SETUP_ELECTION.of(ctx)
    if not found.is_drill:
        raise NotFound(lazy("只有演练可以删除。正式的选举是永久的记录，不能删除。"))
    if ctx.request.method == "GET":
        removed = gettext_(
            "这次演练的选民名单、候选人、凭证、选票、回执、计票和结果全部删除，它的票箱也一起删除。"
        )
        back = ctx.url("ballots:election", election_id=found.id)
        return confirm_page(ctx, drill_removal(found.title, removed, back))
    village_id, title = found.village_id, found.title
    remove_drill(ctx.db, ctx.actor, found)
    ctx.flash(gettext_("演练“%(title)s”已删除。", title=title))
    return ctx.redirect("ballots:elections", village_id=village_id)


# --- the roll ---------------------------------------------------------------------------


def roll(ctx: Ctx) -> Response:
    found = SETUP_ELECTION.of(ctx)
    q = ctx.request.query_params.get("q", "").strip()[:50]
    page = whole_number(ctx.request.query_params.get("page", "1")) or 1
    pages = paging(roll_count(ctx.db, found, q=q), page)
    voters = roll_count(ctx.db, found, include_struck=False)
    return ctx.render(
        "ballots/setup_roll.html",
        **describe(ctx, found),
        rows=roll_rows(ctx.db, found, q=q, offset=pages.offset, limit=pages.size),
        paging=pages,
        voters=voters,
        struck=roll_count(ctx.db, found) - voters,
        query={"q": q},
        category_labels=RESIDENCE_LABELS,
        can_build=setup_rules.rebuild_problem(found.stage) is None,
    )


def roll_build(ctx: Ctx) -> Response:
    found = SETUP_ELECTION.of(ctx)
    count = build_roll(ctx.db, ctx.actor, found)
    ctx.flash(gettext_("选民名单已生成，共 %(n)s 人。请核对后公示。", n=count))
    return ctx.redirect("ballots:roll", election_id=found.id)


def public_roll(ctx: Ctx) -> Response:
    found = public_election(ctx)
    profile = profile_for(found)
    published = found.roll_published_on
    assert published is not None
    return ctx.render(
        "ballots/setup_public_roll.html",
        **describe(ctx, found),
        rows=roll_rows(ctx.db, found, include_struck=False),
        objection_last_day=setup_rules.objection_last_day(published, profile),
        decision_days=profile.objection_decision_days,
        decisions=decided_objections(ctx.db, found),
        anchor=chain_anchor(ctx.db),
    )


def public_candidates(ctx: Ctx) -> Response:
    found = public_election(ctx)
    round_ = latest_round(ctx.db, found)
    if found.candidates_published_on is None or round_ is None:
        raise NotFound(lazy("候选人名单还没有公布。"))
    listed = round_candidates(ctx.db, round_, live_only=False)
    live = [c for c in listed if not c.withdrawn]
    return ctx.render(
        "ballots/setup_public_candidates.html",
        **describe(ctx, found),
        round=round_,
        candidates=live,
        photos=photo_shas(ctx.db, found.id, [c.name for c in live]),
        withdrawn=[c for c in listed if c.withdrawn],
        anchor=chain_anchor(ctx.db),
    )


def _routes() -> list[BaseRoute]:
    read, manage = Permission.ELECTION_READ, Permission.ELECTION_MANAGE
    get_post = ["GET", "POST"]
    return [
        route("/villages/{village_id:int}/elections", elections, name="ballots:elections",
              permission=read),
        route("/villages/{village_id:int}/elections/new", election_new,
              name="ballots:election_new", permission=manage, methods=get_post),
        route("/elections/{election_id:int}", election, name="ballots:election", permission=read),
        route("/elections/{election_id:int}/edit", election_edit, name="ballots:election_edit",
              permission=manage, methods=get_post),
        route("/elections/{election_id:int}/advance", election_advance,
              name="ballots:election_advance", permission=manage, methods=["GET", "POST"]),
        route("/elections/{election_id:int}/drill/remove", drill_remove,
              name="ballots:drill_remove", permission=manage, methods=get_post),
        route("/elections/{election_id:int}/roll", roll, name="ballots:roll", permission=read),
        route("/elections/{election_id:int}/roll/build", roll_build, name="ballots:roll_build",
              permission=manage, methods=["POST"]),
        route("/public/elections/{election_id:int}/roll", public_roll,
              name="ballots:public_roll", permission=Permission.PUBLIC),
        route("/public/elections/{election_id:int}/candidates", public_candidates,
              name="ballots:public_candidates", permission=Permission.PUBLIC),
        *list_routes,
        *photo_routes,
        *speech_routes,
        *villager_routes,
    ]  # fmt: skip


routes = _routes()
