"""The mobile ballot box: the organizer's homebound list, the teller's round list, and the
ballot a homebound villager fills in privately on the teller's device."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from app.forms import whole_number
from app.i18n import gettext_
from app.permissions import Permission
from app.registry.models import Person
from app.web import Ctx
from ballots.exceptions import AlreadyVoted, InvalidMarks
from ballots.models import Election, RollEntry, Round
from ballots.paper import forms, mobile
from ballots.paper.display import CHANNEL_LABELS, entry_in, on_roll, private
from ballots.paper.reading import ballot_candidates
from ballots.paper.roll_lookup import search_roll
from ballots.paper.services import voted_channels
from ballots.paths import ELECTION, ENTRY, ROUND, route
from ballots.setup import profile_for

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
    return ctx.render(
        "ballots/paper_mobile.html",
        election=round_.election,
        round=round_,
        voters=mobile.homebound_voters(ctx.db, round_),
        channel_labels=CHANNEL_LABELS,
    )


# The villager's ballot on the teller's device ----------------------------------------------


def _ballot_context(ctx: Ctx, round_: Round, entry: RollEntry) -> dict[str, Any]:
    person = ctx.db.get(Person, entry.person_id)
    return {
        "election": round_.election,
        "round": round_,
        "entry": entry,
        "person": person,
        "candidates": [c.name for c in ballot_candidates(ctx.db, round_)],
        "write_ins": profile_for(round_.election).write_ins_allowed,
    }


def mobile_ballot(ctx: Ctx) -> Response:
    round_ = ROUND.of(ctx)
    entry = on_roll(round_.election, ENTRY.of(ctx))
    mobile.mobile_voter(ctx.db, round_, entry)
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
        receipt = mobile.cast_at_mobile_box(ctx.db, round_, entry, marks)
    except AlreadyVoted:
        return private(ctx.render("ballots/paper_mobile_voted.html", 409, **context))
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
        "/rounds/{round_id:int}/mobile/{entry_id:int}",
        mobile_ballot,
        name="ballots:mobile_ballot",
        permission=Permission.ELECTION_COUNT,
        methods=["GET", "POST"],
    ),
]
