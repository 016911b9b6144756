"""委托投票 pages: the organizer's list and entry form, revoking, and the public list."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from app.drill import today_of
from app.errors import NotFound
from app.forms import FormResult
from app.i18n import gettext_, lazy
from app.permissions import Permission
from app.web import Ctx
from ballots.exceptions import EntrustmentRefused
from ballots.models import Election, Stage
from ballots.paper import forms, proxies
from ballots.paper.roll_lookup import pick_one
from ballots.paths import ELECTION, ENTRUSTMENT, route
from ballots.setup import profile_for


def _list_page(
    ctx: Ctx,
    election: Election,
    *,
    status_code: int = 200,
    errors: dict[int, str] | None = None,
    problem: str = "",
) -> Response:
    return ctx.render(
        "ballots/paper_entrustments.html",
        status_code,
        election=election,
        rows=proxies.entrustment_rows(ctx.db, election, include_revoked=True),
        limit=profile_for(election).max_entrustments_per_proxy,
        open=election.stage in proxies.OPEN_STAGES,
        can_revoke=proxies.can_revoke(ctx.db, election),
        errors=errors or {},
        problem=problem,
    )


def entrustments(ctx: Ctx) -> Response:
    return _list_page(ctx, ELECTION.of(ctx))


def _form_page(
    ctx: Ctx, election: Election, form: dict[str, str], errors: dict[str, str], status_code: int
) -> Response:
    return ctx.render(
        "ballots/paper_entrustment_new.html",
        status_code,
        election=election,
        form=form,
        errors=errors,
        limit=profile_for(election).max_entrustments_per_proxy,
    )


def _resolve(ctx: Ctx, election: Election, result: FormResult) -> dict[str, Any]:
    """The voter and proxy the clerk named, each as one roll row (or a field error)."""
    found: dict[str, Any] = {}
    for name in ("voter", "proxy"):
        if name in result.errors:
            continue
        row, problem = pick_one(ctx.db, election.id, result.values[name])
        if row is None:
            result.error(name, problem)
        else:
            found[name] = row
    return found


def entrustment_new(ctx: Ctx) -> Response:
    election = ELECTION.of(ctx)
    if ctx.request.method == "GET":
        return _form_page(ctx, election, {"written_on": today_of(election).isoformat()}, {}, 200)
    result = forms.parse_entrustment(
        voter=ctx.field("voter"),
        proxy=ctx.field("proxy"),
        written_on=ctx.field("written_on"),
        relation=ctx.field("relation"),
        today=today_of(election),
    )
    found = _resolve(ctx, election, result)
    if result.ok:
        try:
            proxies.add_entrustment(
                ctx.db,
                ctx.actor,
                election,
                found["voter"].entry,
                found["proxy"].entry,
                result.values["written_on"],
                result.values["relation"],
            )
        except EntrustmentRefused as error:
            result.error(error.field, error.render_message())
    if not result.ok:
        return _form_page(ctx, election, result.raw, result.errors, 422)
    ctx.flash(
        gettext_(
            "已登记：%(voter)s 委托 %(proxy)s 投票。",
            voter=found["voter"].person.name,
            proxy=found["proxy"].person.name,
        )
    )
    return ctx.redirect("ballots:entrustments", election_id=election.id)


def entrustment_revoke(ctx: Ctx) -> Response:
    entrustment = ENTRUSTMENT.of(ctx)
    election = ctx.db.get(Election, entrustment.election_id)
    assert election is not None
    result = forms.parse_reason(ctx.field("reason"))
    if result.ok:
        try:
            proxies.revoke_entrustment(ctx.db, ctx.actor, entrustment, result.values["reason"])
        except EntrustmentRefused as error:
            if error.field != "reason":
                # Not about what was typed: said above the list, which has no form now.
                return _list_page(ctx, election, status_code=422, problem=error.render_message())
            result.error("reason", error.render_message())
    if not result.ok:
        return _list_page(
            ctx, election, status_code=422, errors={entrustment.id: result.errors["reason"]}
        )
    ctx.flash(gettext_("委托已撤销。"))
    return ctx.redirect("ballots:entrustments", election_id=election.id)


def entrustments_public(ctx: Ctx) -> Response:
    election = ELECTION.of(ctx)
    # Like the other public election pages: nothing is public before the roll is.
    if election.roll_published_on is None or election.stage is Stage.DRAFT:
        raise NotFound(lazy("选民名单还没有公示，委托投票名单也还没有公布。"))
    return ctx.render(
        "ballots/paper_entrustments_public.html",
        election=election,
        rows=proxies.entrustment_rows(ctx.db, election),
    )


routes = [
    route(
        "/elections/{election_id:int}/entrustments",
        entrustments,
        name="ballots:entrustments",
        permission=Permission.ELECTION_READ,
    ),
    route(
        "/elections/{election_id:int}/entrustments/new",
        entrustment_new,
        name="ballots:entrustment_new",
        permission=Permission.ELECTION_MANAGE,
        methods=["GET", "POST"],
    ),
    route(
        "/entrustments/{entrustment_id:int}/revoke",
        entrustment_revoke,
        name="ballots:entrustment_revoke",
        permission=Permission.ELECTION_MANAGE,
        methods=["POST"],
    ),
    route(
        "/public/elections/{election_id:int}/entrustments",
        entrustments_public,
        name="ballots:entrustments_public",
        permission=Permission.PUBLIC,
    ),
]
