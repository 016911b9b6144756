"""The elections voted at each assembly (the assemblies themselves are slips').

One QR slip per villager per assembly (slips) opens every ballot of the elections
linked here.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.actors import Actor
from app.audit.services import record
from app.i18n import lazy
from ballots.models import Election, RollEntry, Stage
from slips.exceptions import AssemblyRefused
from slips.models import Assembly
from slips.services import assembly_drill_problem


def link_election(session: Session, actor: Actor, assembly: Assembly, election: Election) -> None:
    """Vote `election` at `assembly`: the assembly's slips open its ballot."""
    if election.village_id != assembly.village_id:
        raise AssemblyRefused(lazy("只能关联本村的选举。"))
    if election.is_drill != assembly.drill:
        raise AssemblyRefused(assembly_drill_problem(election.is_drill))
    if election.stage in (Stage.COUNTING, Stage.ANNOUNCED, Stage.CERTIFIED):
        raise AssemblyRefused(lazy("这个选举已经结束投票，不能再改投票的会议。"))
    previous = election.assembly_id
    election.assembly_id = assembly.id
    session.flush()
    record(
        session,
        actor,
        "election.assembly",
        "election",
        election.id,
        {"assembly_id": assembly.id, "previous_assembly_id": previous},
        village_id=election.village_id,
    )


def assembly_elections(session: Session, assembly: Assembly) -> list[Election]:
    stmt = select(Election).where(Election.assembly_id == assembly.id).order_by(Election.id)
    return list(session.scalars(stmt))


def ballot_holders(session: Session, assembly: Assembly) -> list[int] | None:
    """Who has a ballot at this assembly: everyone on the roll of an election voted there
    (a group-leader election's roll is its group). None: no election is voted there."""
    elections = [e.id for e in assembly_elections(session, assembly)]
    if not elections:
        return None
    stmt = select(RollEntry.person_id).where(
        RollEntry.election_id.in_(elections), RollEntry.struck.is_(False)
    )
    return list(session.scalars(stmt))
