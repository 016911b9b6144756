"""What every election set-up page needs: the election in the path (scope-checked) and
the description shown at the top of each page."""

from __future__ import annotations

from typing import Any

from app.errors import NotFound
from app.i18n import lazy
from app.permissions import can_see_village
from app.registry.models import Group, Village
from app.web import Ctx
from ballots import setup, setup_rules
from ballots.models import Election, Stage
from ballots.stages import ORDER


def election_of(ctx: Ctx) -> Election:
    """The election in the path, if the signed-in user's scope covers its village.

    Another village's election is answered like a missing one (404): its existence is
    none of this user's business.
    """
    user = ctx.require_user()
    election = setup.election_in(ctx.db, ctx.path["election_id"])
    village = ctx.db.get(Village, election.village_id)
    if village is None or not can_see_village(user, village.id, village.township_id):
        raise NotFound(lazy("没有这个选举，它可能已被删除，或链接有误。"))
    return election


def public_election(ctx: Ctx) -> Election:
    """An election for the public pages: only once its roll has been published."""
    election = setup.election_in(ctx.db, ctx.path["election_id"])
    if election.roll_published_on is None or election.stage is Stage.DRAFT:
        raise NotFound(lazy("这份选民名单还没有公示。"))
    return election


def village_of_election(ctx: Ctx, election: Election) -> Village:
    village = ctx.db.get(Village, election.village_id)
    assert village is not None
    return village


def describe(ctx: Ctx, election: Election) -> dict[str, Any]:
    """What every election page shows about the election."""
    group = ctx.db.get(Group, election.group_id) if election.group_id else None
    office = election.office_label or str(setup_rules.OFFICE_LABELS[election.office])
    return {
        "election": election,
        "village": village_of_election(ctx, election),
        "office": office,
        "electorate": setup_rules.ELECTORATE_LABELS[election.electorate],
        "group": group,
        "stage_label": setup_rules.STAGE_LABELS[election.stage],
        "stages": [(s, setup_rules.STAGE_LABELS[s]) for s in ORDER],
    }
