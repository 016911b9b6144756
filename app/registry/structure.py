"""Households and groups: listing, the household representative, adding and renaming groups.

Like `services`, these take a session, never commit, and audit every change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.actors import Actor
from app.audit.services import record
from app.i18n import gettext_
from app.registry import rules
from app.registry.exceptions import HouseholdNotFound, InvalidRegistryInput
from app.registry.labels import GROUP_KIND_LABELS
from app.registry.models import Group, GroupKind, GroupMembership, Household, Person, Village


@dataclass(frozen=True)
class HouseholdsPage:
    households: list[Household]
    paging: rules.Paging


def _person_label(person: Person | None) -> str | None:
    return f"{person.name} ({person.roll_number})" if person else None


def audit(
    session: Session,
    actor: Actor,
    village: Village,
    action: str,
    obj: Person | Household | Group,
    summary: Mapping[str, object],
) -> None:
    object_type = {Person: "person", Household: "household", Group: "group"}[type(obj)]
    record(
        session,
        actor,
        action,
        object_type,
        obj.id,
        summary,
        village_id=village.id,
        township_id=village.township_id,
    )


def village_groups(session: Session, village_id: int) -> list[Group]:
    # Creation order: names like 第一/第二/第三 do not sort by character code.
    return list(
        session.scalars(
            select(Group).where(Group.village_id == village_id).order_by(Group.kind, Group.id)
        )
    )


def village_households(session: Session, village_id: int) -> list[Household]:
    return list(
        session.scalars(
            select(Household).where(Household.village_id == village_id).order_by(Household.number)
        )
    )


def group_names(session: Session, village_id: int) -> dict[int, str]:
    rows = session.execute(select(Group.id, Group.name).where(Group.village_id == village_id))
    return {group_id: name for group_id, name in rows}


# Households ---------------------------------------------------------------------------


def search_households(session: Session, village_id: int, q: str, page: int) -> HouseholdsPage:
    """Households by number, or by the name of someone living in them."""
    stmt = select(Household).where(Household.village_id == village_id)
    if q:
        member_named = exists().where(
            Person.household_id == Household.id, Person.name.contains(q, autoescape=True)
        )
        stmt = stmt.where(or_(Household.number.contains(q, autoescape=True), member_named))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    paging = rules.paging(total, page)
    households = session.scalars(
        stmt.options(selectinload(Household.members))
        .order_by(Household.number, Household.id)
        .offset(paging.offset)
        .limit(paging.size)
    )
    return HouseholdsPage(households=list(households), paging=paging)


def get_household(session: Session, village_id: int, household_id: int) -> Household:
    household = session.scalar(
        select(Household)
        .where(Household.id == household_id, Household.village_id == village_id)
        .options(selectinload(Household.members))
    )
    if household is None:
        raise HouseholdNotFound(gettext_("本村没有这一户，可能链接有误。请回到户列表重新查找。"))
    return household


def representative_of(household: Household) -> Person | None:
    return next((p for p in household.members if p.is_household_representative), None)


def set_representative(
    session: Session, actor: Actor, village: Village, household: Household, person_id: int | None
) -> bool:
    """Make `person_id` (None: nobody) the representative; return whether anything changed."""
    active_ids = {p.id for p in household.members if p.active}
    problem = rules.representative_choice_problem(person_id, active_ids)
    if problem:
        raise InvalidRegistryInput({"person_id": problem})
    old = representative_of(household)
    new = next((p for p in household.members if p.id == person_id), None)
    if old is new:
        return False
    if old is not None:
        old.is_household_representative = False
        # The database allows one representative per household at every moment:
        # clear the old one before setting the new one.
        session.flush()
    if new is not None:
        new.is_household_representative = True
        session.flush()
    summary = {
        "number": household.number,
        "changes": {"representative": [_person_label(old), _person_label(new)]},
    }
    audit(session, actor, village, "household.representative", household, summary)
    return True


# Groups -------------------------------------------------------------------------------


def member_counts(session: Session, village_id: int) -> dict[int, int]:
    """Active members per group of the village."""
    rows = session.execute(
        select(GroupMembership.group_id, func.count())
        .join(Person, Person.id == GroupMembership.person_id)
        .where(Person.village_id == village_id, Person.active)
        .group_by(GroupMembership.group_id)
    )
    return {group_id: count for group_id, count in rows}


def group_members(session: Session, group: Group) -> list[Person]:
    return list(
        session.scalars(
            select(Person)
            .join(GroupMembership, GroupMembership.person_id == Person.id)
            .where(GroupMembership.group_id == group.id, Person.active)
            .options(selectinload(Person.household))
            .order_by(Person.roll_number, Person.id)
        )
    )


def _check_name(
    session: Session, village_id: int, kind: GroupKind, name: str, group_id: int | None
) -> None:
    taken = session.scalar(
        select(Group.id).where(
            Group.village_id == village_id,
            Group.kind == kind,
            Group.name == name,
            Group.id != (group_id or 0),
        )
    )
    problem = rules.group_name_problem(name, taken is not None, str(GROUP_KIND_LABELS[kind]))
    if problem:
        raise InvalidRegistryInput({"name": problem})


def create_group(
    session: Session, actor: Actor, village: Village, kind: GroupKind, name: str
) -> Group:
    _check_name(session, village.id, kind, name, None)
    group = Group(village_id=village.id, kind=kind, name=name)
    session.add(group)
    session.flush()
    audit(session, actor, village, "group.create", group, {"kind": kind.value, "name": name})
    return group


def rename_group(session: Session, actor: Actor, village: Village, group: Group, name: str) -> bool:
    if name == group.name:
        return False
    _check_name(session, village.id, group.kind, name, group.id)
    old = group.name
    group.name = name
    session.flush()
    summary = {"kind": group.kind.value, "changes": {"name": [old, name]}}
    audit(session, actor, village, "group.rename", group, summary)
    return True
