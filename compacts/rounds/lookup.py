"""Lookups shared by the deliberation services and pages: a round's groups, who speaks in
each (its active members who are adults on the round's deadline), the groups a member
speaks in (every one of the round's groups they belong to), its village.

Each group deliberates as a unit, as the work plans have it: a member of a villagers' group
and of the women's group speaks in both, and each group's figures count its own members;
figures for the whole round count each person once (compacts.rounds.coverage)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.i18n import lazy
from app.registry.models import Group, GroupMembership, Person, Village
from app.registry.rules import ADULT_AGE, age
from compacts.models import Compact, DeliberationRound, MemberVote, RoundGroup


def round_groups(session: Session, round_: DeliberationRound) -> list[RoundGroup]:
    return list(
        session.scalars(
            select(RoundGroup).where(RoundGroup.round_id == round_.id).order_by(RoundGroup.id)
        )
    )


def groups_of(session: Session, round_: DeliberationRound) -> list[Group]:
    """The round's groups in the order they were added."""
    rows = session.execute(
        select(Group)
        .join(RoundGroup, RoundGroup.group_id == Group.id)
        .where(RoundGroup.round_id == round_.id)
        .order_by(RoundGroup.id)
    )
    return list(rows.scalars())


def is_adult_on(person: Person, day: date) -> bool:
    return age(person.birth_year, person.birth_month, day) >= ADULT_AGE


def speakers(session: Session, round_: DeliberationRound, group: Group) -> list[Person]:
    """Who speaks in this group in the round: its active members, adults on the deadline
    (the denominators of its figures; a minor in a villagers' group gets no slip)."""
    people = session.scalars(
        select(Person)
        .join(GroupMembership, GroupMembership.person_id == Person.id)
        .where(GroupMembership.group_id == group.id, Person.active.is_(True))
        .order_by(Person.name, Person.id)
    )
    return [p for p in people if is_adult_on(p, round_.deadline)]


def member_groups(session: Session, round_: DeliberationRound, person: Person) -> list[Group]:
    """The round's groups the person speaks in, in the round's order (none for a minor or
    a villager no longer on the roll)."""
    if not person.active or not is_adult_on(person, round_.deadline):
        return []
    mine = set(
        session.scalars(
            select(GroupMembership.group_id).where(GroupMembership.person_id == person.id)
        )
    )
    return [group for group in groups_of(session, round_) if group.id in mine]


def members_at(session: Session, assembly_id: int) -> list[int] | None:
    """Who speaks in a deliberation round held with this assembly's slips (None: no
    round): the slips to print for them."""
    rounds = session.scalars(
        select(DeliberationRound).where(DeliberationRound.assembly_id == assembly_id)
    ).all()
    if not rounds:
        return None
    return list(
        dict.fromkeys(
            person.id
            for round_ in rounds
            for group in groups_of(session, round_)
            for person in speakers(session, round_, group)
        )
    )


def village_of(session: Session, round_: DeliberationRound) -> Village:
    compact = session.get(Compact, round_.compact_id)
    village = session.get(Village, compact.village_id) if compact else None
    if village is None:
        raise NotFound(lazy("没有这一轮征求意见。"))
    return village


def is_open(round_: DeliberationRound) -> bool:
    return round_.closed_at is None


def has_voted(
    session: Session, round_: DeliberationRound, person: Person, group: Group
) -> MemberVote | None:
    """The person's vote in this group of the round, if any."""
    return session.scalar(
        select(MemberVote).where(
            MemberVote.round_id == round_.id,
            MemberVote.group_id == group.id,
            MemberVote.person_id == person.id,
        )
    )
