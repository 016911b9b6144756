"""The villager's voting pages, opened by the signed slip link: the ballot, the
confirmation in plain words, the receipt. No script, no account, small pages. What the
slip page (slips) lists of the ballots and nominations comes from the section registered
here.

Also exports this area's routes (the link from an election to an assembly comes from
views_assemblies).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session
from starlette.responses import Response
from starlette.routing import BaseRoute

from app.drill import banner_for
from app.i18n import lazy
from app.permissions import Permission
from app.web import Ctx, route
from ballots.exceptions import AlreadyVoted, EntrustedAway
from ballots.models import Round, Stage
from ballots.setup.rules import resolve_profile
from ballots.voting import casting
from ballots.voting.casting import VoterBallot
from ballots.voting.forms import MAX_WRITE_INS_SHOWN, parse_ballot
from ballots.voting.read_aloud import ballot_audio
from ballots.voting.views_assemblies import routes as assembly_routes
from slips import SLIP_PAGE_SECTIONS, PageSection
from slips.services import SlipAccess, resolve_slip
from slips.views import villager_page


def _access(ctx: Ctx) -> SlipAccess:
    return resolve_slip(ctx.db, ctx.settings, ctx.path["token"])


def _ballot(ctx: Ctx, access: SlipAccess, *, lock: bool = False) -> VoterBallot:
    ballot = casting.voter_ballot(
        ctx.db, access, ctx.path["round_id"], ctx.path["entry_id"], lock=lock
    )
    banner = banner_for(ballot.election)
    if banner is not None:
        ctx.in_drill(banner)
    if ballot.voted:
        raise AlreadyVoted(lazy("这张选票已经投过了，票已经收好。每人只能投一次，不用再投。"))
    if ballot.entrusted_to is not None:
        raise EntrustedAway(
            lazy(
                "您已经委托 %(name)s 代您投票。投票开始以后委托不能撤销，这一票由 %(name)s 代投。"
            ),
            name=ballot.entrusted_to.name,
        )
    return ballot


def _ballot_context(ctx: Ctx, access: SlipAccess, ballot: VoterBallot) -> dict[str, Any]:
    round_: Round | None = ballot.round
    assert round_ is not None
    election = ballot.election
    profile = resolve_profile(election.profile_name, election.profile_overrides)
    faces = casting.ballot_faces_of(ctx.db, ballot)
    return {
        "access": access,
        "ballot": ballot,
        "token": ctx.path["token"],
        "faces": faces,
        "candidates": [face.name for face in faces],
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
    context = _ballot_context(ctx, access, ballot)
    audio = ballot_audio(ctx.db, ballot, context["candidates"])
    round_ = ballot.round
    assert round_ is not None
    return ctx.render(
        "ballots/voting_ballot.html",
        status,
        marked=marked or [],
        write_ins=write_ins or [],
        errors=errors or {},
        audio=audio and ctx.url("ballots:ballot_audio", round_id=round_.id, sha256=audio),
        **context,
    )


def _slip_section(session: Session, access: SlipAccess) -> PageSection:
    ballots = casting.voter_ballots(session, access)
    # Nominating (E1's page) is open to the voter themself, never through a proxy.
    nominations = [
        b.election for b in ballots if not b.proxy and b.election.stage is Stage.NOMINATIONS
    ]
    return PageSection(
        "ballots/voting_slip_ballots.html",
        place=SLIP_PLACE,
        values={"ballots": ballots, "nominations": nominations},
        offers=bool(ballots or nominations),
    )


# Last on the slip page, after the meetings', compacts' and surveys' links.
SLIP_PLACE = 100
SLIP_PAGE_SECTIONS.append(_slip_section)


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
    # Holds the round open until the vote commits (the close waits for it).
    chosen = _ballot(ctx, access, lock=ctx.field("action") != "edit")
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
    receipt = casting.cast_ballot(ctx.db, chosen, result.values["marks"])
    # Shown once, in the answer to this request, and never stored with anything about
    # the voter: a refresh re-submits and gets "已投票".
    return ctx.render(
        "ballots/voting_receipt.html",
        receipt=receipt,
        ballot=chosen,
        access=access,
        token=ctx.path["token"],
    )


def _villager_route(path: str, view: Callable[[Ctx], Response], name: str, *methods: str) -> Any:
    # No path objects loaded by the request layer: the view reads the round and the roll
    # entry through the slip, in the one statement of casting.voter_ballot. The vote path
    # runs on the event loop on SQLite (app.web.route, on_loop).
    return route(
        path,
        view,
        name=name,
        permission=Permission.PUBLIC,
        methods=methods or ("GET",),
        on_loop=True,
    )


BALLOT = "/s/{token}/b/{round_id:int}/{entry_id:int}"

routes: list[BaseRoute] = [
    _villager_route(BALLOT, ballot, "ballots:ballot"),
    _villager_route(BALLOT + "/confirm", confirm, "ballots:confirm", "POST"),
    _villager_route(BALLOT + "/cast", cast, "ballots:cast", "POST"),
    *assembly_routes,
]
