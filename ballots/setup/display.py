"""What every election set-up page shows: the description at the top of each page, and
the public pages' rule that nothing is shown before the roll is published."""

from __future__ import annotations

from typing import Any

from app.errors import NotFound
from app.i18n import lazy
from app.registry.models import Group, Village
from app.web import Ctx
from ballots.models import Election, Stage
from ballots.paths import SETUP_ELECTION
from ballots.setup import rules as setup_rules
from ballots.setup.transitions import ORDER


def public_election(ctx: Ctx) -> Election:
    """The election in the path, for the public pages: only once its roll is published."""
    election = SETUP_ELECTION.of(ctx)
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
