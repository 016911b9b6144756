"""The villager's pages, opened by the signed slip link: what I can vote in, the ballot,
the confirmation in plain words, the receipt. No script, no account, small pages.

Also exports this area's routes (the organizer's assembly and slip pages come from
views_assemblies).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from app.errors import DomainError, Forbidden
from app.i18n import lazy
from app.permissions import Permission
from app.web import SAFE_METHODS, Ctx, View
from ballots import casting, credentials
from ballots.casting import VoterBallot
from ballots.credentials import SlipAccess
from ballots.exceptions import AlreadyVoted, EntrustedAway, LinkUnknown
from ballots.forms_voting import MAX_WRITE_INS_SHOWN, parse_ballot, parse_code
from ballots.models import Round, Stage
from ballots.paths import route
from ballots.setup_rules import resolve_profile
from ballots.views_assemblies import routes as assembly_routes
from compacts.rounds import open_rounds_for
from meetings.attendance import slip_meetings
from meetings.votes import slip_motions
from surveys.services import open_surveys_for


def villager_page(view: View) -> View:
    """Villager pages show their own error page (no staff menu) and, when they submit,
    refuse a browser signed in as staff: a villager's vote must never be recorded
    under a staff session, and auditors change nothing here either."""

    @wraps(view)
    def wrapped(ctx: Ctx) -> Response:
        try:
            if ctx.request.method not in SAFE_METHODS and ctx.user is not None:
                raise Forbidden(
                    lazy(
                        "这个浏览器登录着工作人员账号。村民投票不能用工作人员账号：请先退出登录，或者换一个浏览器再扫码。"
                    )
                )
            response = view(ctx)
        except DomainError as error:
            response = ctx.render(
                "ballots/voting_error.html",
                error.status_code,
                title=str(error.title),
                message=error.render_message(),
                error_code=error.status_code,
            )
        # The link is the villager's key and the page may show a receipt: keep neither
        # in a shared phone's cache or history snapshots.
        response.headers["Cache-Control"] = "no-store"
        return response

    return wrapped


def _access(ctx: Ctx) -> SlipAccess:
    return credentials.resolve_slip(ctx.db, ctx.settings, ctx.path["token"])


def _ballot(ctx: Ctx, access: SlipAccess) -> VoterBallot:
    ballot = casting.find_ballot(
        casting.voter_ballots(ctx.db, access), ctx.path["round_id"], ctx.path["entry_id"]
    )
    if ballot.voted:
        raise AlreadyVoted(lazy("这张选票已经投过了，每人只能投一次。"))
    if ballot.entrusted_to is not None:
        raise EntrustedAway(
            lazy("您已经委托 %(name)s 代您投票。如果要自己投，请先找工作人员撤销委托。"),
            name=ballot.entrusted_to.name,
        )
    return ballot


def _ballot_context(ctx: Ctx, access: SlipAccess, ballot: VoterBallot) -> dict[str, Any]:
    round_: Round | None = ballot.round
    assert round_ is not None
    election = ballot.election
    profile = resolve_profile(election.profile_name, election.profile_overrides)
    return {
        "access": access,
        "ballot": ballot,
        "token": ctx.path["token"],
        "candidates": casting.ballot_names(ctx.db, round_),
        "seats": round_.seats,
        "write_ins_allowed": profile.write_ins_allowed,
        "write_in_boxes": min(round_.seats, MAX_WRITE_INS_SHOWN),
    }


def _ballot_page(
    ctx: Ctx,
    access: SlipAccess,
    ballot: VoterBallot,
    *,
    marked: list[str] | None = None,
    write_ins: list[str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return ctx.render(
        "ballots/voting_ballot.html",
        status,
        marked=marked or [],
        write_ins=write_ins or [],
        errors=errors or {},
        **_ballot_context(ctx, access, ballot),
    )


@villager_page
def slip(ctx: Ctx) -> Response:
    access = _access(ctx)
    ballots = casting.voter_ballots(ctx.db, access)
    return ctx.render(
        "ballots/voting_slip.html",
        access=access,
        ballots=ballots,
        # Nominating (E1's page) is open to the voter themself, never through a proxy.
        nominations=[
            b.election for b in ballots if not b.proxy and b.election.stage is Stage.NOMINATIONS
        ],
        token=ctx.path["token"],
        # Hook for the meetings package: open meetings this slip checks in to.
        meetings=slip_meetings(ctx.db, access),
        slip_motions=slip_motions(ctx.db, access.assembly.id, access.person),
        # Hook for the compacts package: deliberation rounds this slip's holder speaks in.
        compact_rounds=open_rounds_for(ctx.db, access.assembly.id, access.person),
        # Hook for the surveys package: open surveys this slip's holder may answer.
        surveys=open_surveys_for(ctx.db, access.assembly.id, access.person),
    )


@villager_page
def ballot(ctx: Ctx) -> Response:
    access = _access(ctx)
    return _ballot_page(ctx, access, _ballot(ctx, access))


def _parse(ctx: Ctx, access: SlipAccess, ballot: VoterBallot) -> Any:
    context = _ballot_context(ctx, access, ballot)
    return parse_ballot(
        ctx.fields("mark"),
        ctx.fields("write_in"),
        candidates=context["candidates"],
        seats=context["seats"],
        write_ins_allowed=context["write_ins_allowed"],
    )


@villager_page
def confirm(ctx: Ctx) -> Response:
    access = _access(ctx)
    chosen = _ballot(ctx, access)
    result = _parse(ctx, access, chosen)
    if not result.ok:
        return _ballot_page(
            ctx,
            access,
            chosen,
            marked=result.values["marked"],
            write_ins=result.values["write_ins"],
            errors=result.errors,
            status=422,
        )
    return ctx.render(
        "ballots/voting_confirm.html",
        marks=result.values["marks"],
        **_ballot_context(ctx, access, chosen),
    )


@villager_page
def cast(ctx: Ctx) -> Response:
    access = _access(ctx)
    chosen = _ballot(ctx, access)
    result = _parse(ctx, access, chosen)
    if ctx.field("action") == "edit" or not result.ok:
        return _ballot_page(
            ctx,
            access,
            chosen,
            marked=result.values["marked"],
            write_ins=result.values["write_ins"],
            errors=result.errors,
            status=200 if result.ok else 422,
        )
    round_ = chosen.round
    assert round_ is not None
    credential = credentials.credential_for(ctx.db, chosen.election, chosen.entry)
    receipt = casting.cast_online(
        ctx.db, round_, credential, result.values["marks"], chosen.channel
    )
    # Shown once, in the answer to this request, and never stored with anything about
    # the voter: a refresh re-submits and gets "已投票".
    return ctx.render(
        "ballots/voting_receipt.html",
        receipt=receipt,
        ballot=chosen,
        access=access,
        token=ctx.path["token"],
    )


def _address(ctx: Ctx) -> str:
    return ctx.request.client.host if ctx.request.client else "unknown"


@villager_page
def code(ctx: Ctx) -> Response:
    if ctx.request.method == "GET":
        return ctx.render("ballots/voting_code.html", form={}, errors={})
    result = parse_code(ctx.field("code"))
    if not result.ok:
        return ctx.render("ballots/voting_code.html", 422, form=result.raw, errors=result.errors)
    address = _address(ctx)
    try:
        access = credentials.resolve_short_code(
            ctx.db, ctx.settings, result.values["code"], address
        )
    except LinkUnknown as error:
        ctx.on_failure.append(lambda session: credentials.record_code_failure(session, address))
        return ctx.render(
            "ballots/voting_code.html",
            error.status_code,
            form=result.raw,
            errors={"code": error.render_message()},
        )
    token = credentials.slip_token(ctx.settings, access.slip)
    return ctx.redirect("ballots:slip", token=token)


def _villager_route(path: str, view: Callable[[Ctx], Response], name: str, *methods: str) -> Any:
    return route(path, view, name=name, permission=Permission.PUBLIC, methods=methods or ("GET",))


BALLOT = "/s/{token}/b/{round_id:int}/{entry_id:int}"

routes: list[BaseRoute] = [
    _villager_route("/s", code, "ballots:code", "GET", "POST"),
    _villager_route("/s/{token}", slip, "ballots:slip"),
    _villager_route(BALLOT, ballot, "ballots:ballot"),
    _villager_route(BALLOT + "/confirm", confirm, "ballots:confirm", "POST"),
    _villager_route(BALLOT + "/cast", cast, "ballots:cast", "POST"),
    *assembly_routes,
]
