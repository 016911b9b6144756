"""The elections voted at an assembly: their part of the assembly page (slips' page,
where ballots registers its section) and the form that links one more election.
"""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import Response
from starlette.routing import BaseRoute

from app.drill import same_kind
from app.i18n import gettext_
from app.permissions import Permission
from app.web import Ctx
from ballots.models import Election, Stage
from ballots.paths import route
from ballots.voting.assemblies import assembly_elections, ballot_holders, link_election
from slips import ASSEMBLY_PAGE_SECTIONS, SLIP_HOLDERS, PageSection
from slips.forms import parse_choice
from slips.models import Assembly
from slips.paths import ASSEMBLY
from slips.views import assembly_page


def _linkable(ctx: Ctx, assembly: Assembly) -> list[Election]:
    closed = (Stage.COUNTING, Stage.ANNOUNCED, Stage.CERTIFIED)
    stmt = select(Election).where(
        Election.village_id == assembly.village_id,
        Election.stage.not_in(closed),
        same_kind(Election, assembly.drill),
        (Election.assembly_id.is_(None)) | (Election.assembly_id != assembly.id),
    )
    return list(ctx.db.scalars(stmt.order_by(Election.id)))


def _assembly_section(ctx: Ctx, assembly: Assembly) -> PageSection:
    return PageSection(
        "ballots/voting_assembly_elections.html",
        place=10,
        values={
            "elections": assembly_elections(ctx.db, assembly),
            "election_options": [(e.id, e.title) for e in _linkable(ctx, assembly)],
        },
    )


ASSEMBLY_PAGE_SECTIONS.append(_assembly_section)
SLIP_HOLDERS.append(ballot_holders)


def assembly_link(ctx: Ctx) -> Response:
    assembly = ASSEMBLY.of(ctx)
    linkable = {e.id: e for e in _linkable(ctx, assembly)}
    result = parse_choice(
        ctx.field("election_id"),
        list(linkable),
        "election_id",
        gettext_("请从列表里选择一个本村还没结束投票的选举。"),
    )
    if not result.ok:
        return assembly_page(ctx, result.errors, 422)
    election = linkable[result.values["election_id"]]
    link_election(ctx.db, ctx.actor, assembly, election)
    ctx.flash(gettext_("“%(title)s”将在这次大会上投票。", title=election.title))
    return ctx.redirect("slips:assembly", assembly_id=assembly.id)


routes: list[BaseRoute] = [
    route(
        "/assemblies/{assembly_id:int}/elections",
        assembly_link,
        name="ballots:assembly_link",
        permission=Permission.ELECTION_MANAGE,
        methods=["POST"],
    ),
]
