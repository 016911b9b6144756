"""The villager's nomination page, opened from the QR slip (no account, no script).

A voter on the roll writes up to `seats` names, once. Names are matched against the
roll; when several voters share a name the page asks which one is meant.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from app.forms import whole_number
from app.i18n import gettext_, lazy
from app.permissions import Permission
from app.web import Ctx
from ballots.exceptions import LinkOtherElection, NominationRefused
from ballots.models import Election, RollEntry, Stage
from ballots.paths import SETUP_ELECTION
from ballots.paths import setup_route as route
from ballots.setup import forms as forms_setup
from ballots.setup.candidates import nominate_as_villager, villager_nominations
from ballots.setup.roll import PersonChoice, live_entry, pick_person
from slips.services import resolve_slip


def _open(ctx: Ctx) -> tuple[Election, RollEntry, str]:
    """The election and the voter's roll entry this link may nominate in, or an error."""
    token = str(ctx.path["token"])
    access = resolve_slip(ctx.db, ctx.settings, token)
    election = SETUP_ELECTION.of(ctx)
    if election.assembly_id != access.assembly.id:
        raise LinkOtherElection(
            lazy("这个二维码不能用于这次选举的提名。请用这次选举发的二维码，或请工作人员帮忙。")
        )
    entry = live_entry(ctx.db, election, access.person.id)
    if entry is None:
        raise NominationRefused(
            lazy("您不在这次选举的选民名单上，不能提名。如有疑问，请找村里的工作人员。")
        )
    return election, entry, token


def _closed_message(election: Election) -> str | None:
    if election.stage is Stage.NOMINATIONS:
        return None
    if election.stage in (Stage.DRAFT, Stage.ROLL_PUBLISHED, Stage.OBJECTIONS_CLOSED):
        return gettext_("提名还没有开始，请等村里通知。")
    return gettext_("提名已经结束了。候选人名单会张贴公布。")


def nominate(ctx: Ctx) -> Response:
    election, entry, token = _open(ctx)
    context: dict[str, Any] = {
        "election": election,
        "token": token,
        "closed": _closed_message(election),
        "already": villager_nominations(ctx.db, election, entry),
        "choices": {},
        "form": {},
        "errors": {},
        "slots": list(range(election.seats)),
    }
    if ctx.request.method == "GET" or context["closed"] or context["already"]:
        status = 200 if ctx.request.method == "GET" else 409
        return ctx.render("ballots/setup_nominate.html", status, **context)
    names = [ctx.field(f"name_{index}") for index in range(election.seats)]
    result = forms_setup.villager_names(names, election.seats)
    person_ids: list[int] = []
    choices: dict[int, list[PersonChoice]] = {}
    for index, name in result.values["names"]:
        chosen = whole_number(ctx.field(f"pick_{index}") or "x")
        person_id, found, message = pick_person(ctx.db, election, name, chosen, on_roll=True)
        if found:
            choices[index] = found
        if message:
            result.error(f"name_{index}", message)
        elif person_id is not None:
            person_ids.append(person_id)
    if not result.ok:
        context.update(form=result.raw, errors=result.errors, choices=choices)
        return ctx.render("ballots/setup_nominate.html", 422, **context)
    nominate_as_villager(ctx.db, election, entry, person_ids)
    return ctx.redirect("ballots:nominate", token=token, election_id=election.id)


routes = [
    route(
        "/s/{token}/nominate/{election_id:int}",
        nominate,
        name="ballots:nominate",
        permission=Permission.PUBLIC,
        methods=["GET", "POST"],
    ),
]
