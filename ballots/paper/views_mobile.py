"""The mobile ballot box: the organizer's homebound list, the teller's round list, and the
ballot a homebound villager fills in privately on the teller's phone, handed over with the
teller's sign-in held aside."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from app.accounts import services as accounts
from app.errors import NotFound
from app.forms import whole_number
from app.i18n import gettext_, lazy
from app.permissions import Permission
from app.registry.models import Person
from app.web import Ctx
from ballots.exceptions import AlreadyVoted, HelpRefused, InvalidMarks
from ballots.models import Election, RollEntry, Round
from ballots.paper import forms, mobile
from ballots.paper.display import CHANNEL_LABELS, entry_in, on_roll, private
from ballots.paper.help import helpers_of
from ballots.paper.roll_lookup import search_roll
from ballots.paper.services import voted_channels
from ballots.paths import ELECTION, ENTRY, ROUND, route
from ballots.setup import profile_for
from ballots.setup.photos import ballot_faces
from ballots.setup.speech import offered_sha256, words_of
from slips.views import villager_page

# The organizer's list ----------------------------------------------------------------------


def homebound(ctx: Ctx) -> Response:
    election = ELECTION.of(ctx)
    return _homebound_page(ctx, election)


def _homebound_page(ctx: Ctx, election: Election, status_code: int = 200) -> Response:
    query = ctx.request.query_params.get("q", "").strip()
    listed = mobile.homebound_rows(ctx.db, election)
    return ctx.render(
        "ballots/paper_homebound.html",
        status_code,
        election=election,
        listed=listed,
        editable=mobile.can_mark(election),
        entrusted=mobile.entrusted_proxies(ctx.db, election),
        query=query,
        found=[row for row in search_roll(ctx.db, election.id, query) if not row.entry.homebound],
    )


def homebound_mark(ctx: Ctx) -> Response:
    election = ELECTION.of(ctx)
    entry = entry_in(ctx, election, whole_number(ctx.field("entry_id")))
    on = ctx.field("homebound") == "1"
    mobile.set_homebound(ctx.db, ctx.actor, entry, on)
    person = ctx.db.get(Person, entry.person_id)
    name = person.name if person else ""
    ctx.flash(
        gettext_("已把 %(name)s 加入流动票箱名单。", name=name)
        if on
        else gettext_("已把 %(name)s 移出流动票箱名单。", name=name)
    )
    proxy = mobile.entrusted_proxies(ctx.db, election).get(entry.id)
    if on and proxy is not None:
        ctx.flash(
            gettext_(
                "注意：%(name)s 已委托 %(proxy)s 代为投票，流动票箱不会为这位选民打开选票，这一票由 %(proxy)s 代投。",
                name=name,
                proxy=proxy,
            )
        )
    return ctx.redirect("ballots:homebound", election_id=election.id)


# The teller's round list ---------------------------------------------------------------------


def mobile_box(ctx: Ctx) -> Response:
    round_ = ROUND.of(ctx)
    voters = mobile.homebound_voters(ctx.db, round_)
    return ctx.render(
        "ballots/paper_mobile.html",
        election=round_.election,
        round=round_,
        voters=voters,
        helpers=helpers_of(ctx.db, round_, [v.entry.id for v in voters]),
        channel_labels=CHANNEL_LABELS,
    )


# Handing the teller's phone to the villager -------------------------------------------------
#
# The teller opens a ballot for one homebound voter: the teller's sign-in is held aside
# (app.accounts.services.hand_over), so the phone in the villager's hands opens no staff
# page, and the ballot is a villager page of its own, with no staff menu. The cookie says
# which voter's ballot it is; the teller's password brings the sign-in back.

HANDED_OVER = "mobile_ballot"


def hand_over(ctx: Ctx) -> Response:
    round_ = ROUND.of(ctx)
    return open_ballot(ctx, round_, on_roll(round_.election, ENTRY.of(ctx)))


def open_ballot(
    ctx: Ctx, round_: Round, entry: RollEntry, helper: Person | None = None
) -> Response:
    """Hand the phone over with this voter's ballot open; `helper`, checked by the teller's
    page (ballots.paper.views_help), is recorded when the ballot is cast."""
    mobile.mobile_voter(ctx.db, round_, entry)
    if voted_channels(ctx.db, round_, [entry.id]):
        person = ctx.db.get(Person, entry.person_id)
        name = person.name if person else ""
        ctx.flash(gettext_("%(name)s 在这一轮已经投过票了，不能再投。", name=name))
        return ctx.redirect("ballots:mobile_box", round_id=round_.id)
    cookie = ctx.request.session
    accounts.hand_over(cookie, return_to=ctx.url("ballots:mobile_box", round_id=round_.id))
    cookie[HANDED_OVER] = {
        "round_id": round_.id,
        "entry_id": entry.id,
        "helper_id": helper.id if helper else None,
    }
    return ctx.redirect("ballots:mobile_villager")


def _handed_over(ctx: Ctx) -> tuple[Round, RollEntry]:
    ticket = ctx.request.session.get(HANDED_OVER)
    round_ = ctx.db.get(Round, ticket.get("round_id")) if isinstance(ticket, dict) else None
    entry = ctx.db.get(RollEntry, ticket.get("entry_id")) if isinstance(ticket, dict) else None
    if round_ is None or entry is None:
        raise NotFound(
            lazy("这台手机上没有打开的选票。请监票人在流动票箱名单上为选民点“打开选票”。")
        )
    mobile.mobile_voter(ctx.db, round_, on_roll(round_.election, entry))
    return round_, entry


def _ticket_helper(ctx: Ctx) -> Person | None:
    """Whom the voter asked to write the ballot (代写), as chosen with the teller."""
    ticket = ctx.request.session.get(HANDED_OVER)
    helper_id = ticket.get("helper_id") if isinstance(ticket, dict) else None
    return ctx.db.get(Person, helper_id) if isinstance(helper_id, int) else None


def _ballot_context(ctx: Ctx, round_: Round, entry: RollEntry) -> dict[str, Any]:
    person = ctx.db.get(Person, entry.person_id)
    faces = ballot_faces(ctx.db, round_)
    names = [face.name for face in faces]
    return {
        "election": round_.election,
        "round": round_,
        "person": person,
        "helper": _ticket_helper(ctx),
        "faces": faces,
        "candidates": names,
        "write_ins": profile_for(round_.election).write_ins_allowed,
        "audio": _audio(ctx, round_, names),
    }


def _audio(ctx: Ctx, round_: Round, names: list[str]) -> str | None:
    """The ballot read aloud, when a recording says what this ballot says."""
    audio = offered_sha256(ctx.db, round_.id, words_of(round_.election, round_, names))
    return audio and ctx.url("ballots:ballot_audio", round_id=round_.id, sha256=audio)


@villager_page
def villager_ballot(ctx: Ctx) -> Response:
    """The homebound villager's ballot, confirmation and receipt on the handed-over phone."""
    round_, entry = _handed_over(ctx)
    context = _ballot_context(ctx, round_, entry)
    if ctx.request.method == "GET":
        if voted_channels(ctx.db, round_, [entry.id]):
            return private(ctx.render("ballots/paper_mobile_voted.html", **context))
        return private(
            ctx.render("ballots/paper_mobile_ballot.html", **context, chosen=[], errors={}, form={})
        )
    result = forms.parse_ballot(ctx.fields("mark"), ctx.fields("write_in"), round_.seats)
    marks = result.values["marks"]
    step = ctx.field("step")
    if step == "back":
        # The confirmation step sends every name as a mark; written-in ones go back
        # into the write-in boxes.
        written = [name for name in marks if name not in context["candidates"]]
        return private(
            ctx.render(
                "ballots/paper_mobile_ballot.html",
                **context,
                chosen=marks,
                errors={},
                form={"write_in": "\n".join(written)},
            )
        )
    if not result.ok:
        return private(
            ctx.render(
                "ballots/paper_mobile_ballot.html",
                422,
                **context,
                chosen=marks,
                errors=result.errors,
                form=result.raw,
            )
        )
    if step != "cast":
        return private(ctx.render("ballots/paper_mobile_confirm.html", **context, chosen=marks))
    try:
        receipt = mobile.cast_at_mobile_box(ctx.db, round_, entry, marks, helper=context["helper"])
    except AlreadyVoted:
        return private(ctx.render("ballots/paper_mobile_voted.html", 409, **context))
    except HelpRefused as refused:
        # Chosen with the teller a moment ago; refused only if the registry changed since.
        errors = {
            "helper": refused.render_message(),
            "back": gettext_("请把手机交还监票人，重新选代写人后再投。"),
        }
        return private(
            ctx.render(
                "ballots/paper_mobile_ballot.html",
                422,
                **context,
                chosen=marks,
                errors=errors,
                form=result.raw,
            )
        )
    except InvalidMarks as error:
        return private(
            ctx.render(
                "ballots/paper_mobile_ballot.html",
                422,
                **context,
                chosen=marks,
                errors={"mark": error.render_message()},
                form=result.raw,
            )
        )
    return private(ctx.render("ballots/paper_mobile_receipt.html", **context, receipt=receipt))


routes = [
    route(
        "/elections/{election_id:int}/homebound",
        homebound,
        name="ballots:homebound",
        permission=Permission.ELECTION_READ,
    ),
    route(
        "/elections/{election_id:int}/homebound/mark",
        homebound_mark,
        name="ballots:homebound_mark",
        permission=Permission.ELECTION_MANAGE,
        methods=["POST"],
    ),
    route(
        "/rounds/{round_id:int}/mobile",
        mobile_box,
        name="ballots:mobile_box",
        permission=Permission.ELECTION_COUNT,
    ),
    route(
        "/rounds/{round_id:int}/mobile/{entry_id:int}/hand-over",
        hand_over,
        name="ballots:mobile_hand_over",
        permission=Permission.ELECTION_COUNT,
        methods=["POST"],
    ),
    route(
        "/mobile-ballot",
        villager_ballot,
        name="ballots:mobile_villager",
        permission=Permission.PUBLIC,
        methods=["GET", "POST"],
    ),
]
