"""Lookups shared by the deliberation services and pages: a round's groups, the group
a member speaks for (the first of the round's groups they belong to), its village."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.i18n import lazy
from app.registry.models import Group, GroupMembership, Person, Village
from compacts.models import Compact, DeliberationRound, MemberVote, RoundGroup


def round_groups(session: Session, round_: DeliberationRound) -> list[RoundGroup]:
    return list(
        session.scalars(
            select(RoundGroup).where(RoundGroup.round_id == round_.id).order_by(RoundGroup.id)
        )
    )


def groups_of(session: Session, round_: DeliberationRound) -> list[Group]:
    """The round's groups in the order they were added (the order `member_group` uses)."""
    rows = session.execute(
        select(Group)
        .join(RoundGroup, RoundGroup.group_id == Group.id)
        .where(RoundGroup.round_id == round_.id)
        .order_by(RoundGroup.id)
    )
    return list(rows.scalars())


def member_group(session: Session, round_: DeliberationRound, person: Person) -> Group | None:
    """The round's first group the person belongs to (see the module docstring)."""
    mine = set(
        session.scalars(
            select(GroupMembership.group_id).where(GroupMembership.person_id == person.id)
        )
    )
    for group in groups_of(session, round_):
        if group.id in mine:
            return group
    return None


def members_at(session: Session, assembly_id: int) -> list[int] | None:
    """The active members of the groups of every deliberation round held with this
    assembly's slips (None: no round)."""
    rounds = session.scalars(
        select(DeliberationRound.id).where(DeliberationRound.assembly_id == assembly_id)
    ).all()
    if not rounds:
        return None
    stmt = (
        select(GroupMembership.person_id)
        .join(RoundGroup, RoundGroup.group_id == GroupMembership.group_id)
        .join(Person, Person.id == GroupMembership.person_id)
        .where(RoundGroup.round_id.in_(rounds), Person.active.is_(True))
    )
    return list(session.scalars(stmt))


def village_of(session: Session, round_: DeliberationRound) -> Village:
    compact = session.get(Compact, round_.compact_id)
    village = session.get(Village, compact.village_id) if compact else None
    if village is None:
        raise NotFound(lazy("没有这一轮征求意见。"))
    return village


def is_open(round_: DeliberationRound) -> bool:
    return round_.closed_at is None


def has_voted(session: Session, round_: DeliberationRound, person: Person) -> MemberVote | None:
    return session.scalar(
        select(MemberVote).where(
            MemberVote.round_id == round_.id, MemberVote.person_id == person.id
        )
    )
