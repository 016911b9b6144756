"""Assemblies: the gatherings at which villagers vote, and the elections voted at each.

One QR slip per villager per assembly (ballots.credentials) opens every ballot of the
elections linked here.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.actors import Actor
from app.audit.services import record
from app.i18n import lazy
from ballots.exceptions import AssemblyRefused
from ballots.models import Assembly, Election, Stage


def create_assembly(
    session: Session,
    actor: Actor,
    *,
    village_id: int,
    title: str,
    held_on: date,
    place: str,
    links_expire_at: datetime,
) -> Assembly:
    if links_expire_at.date() < held_on:
        raise AssemblyRefused(lazy("二维码的失效时间不能早于开会的日子，请改到开会当天或以后。"))
    assembly = Assembly(
        village_id=village_id,
        title=title,
        held_on=held_on,
        place=place,
        links_expire_at=links_expire_at,
    )
    session.add(assembly)
    session.flush()
    record(
        session,
        actor,
        "assembly.create",
        "assembly",
        assembly.id,
        {"title": title, "held_on": held_on, "place": place, "links_expire_at": links_expire_at},
        village_id=village_id,
    )
    return assembly


def link_election(session: Session, actor: Actor, assembly: Assembly, election: Election) -> None:
    """Vote `election` at `assembly`: the assembly's slips open its ballot."""
    if election.village_id != assembly.village_id:
        raise AssemblyRefused(lazy("只能关联本村的选举。"))
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
