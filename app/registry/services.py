"""People on the roll: search, add, edit, move, deactivate and reactivate.

Services take a session and never commit (the request layer does). Each change writes
its audit entry in the same transaction. Checks run before anything is written and
raise `InvalidRegistryInput` with a message per form field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, not_, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, joinedload, selectinload

from app.actors import Actor
from app.i18n import gettext_
from app.registry import rules
from app.registry.exceptions import InvalidRegistryInput, PersonStateConflict
from app.registry.labels import GROUP_KIND_LABELS
from app.registry.models import Group, GroupKind, GroupMembership, Household, Person, Village
from app.registry.rules import GroupRef, Holder, PersonData, Placement
from app.registry.structure import audit, group_names

# Form field of each kind's group select: errors are keyed by it.
GROUP_FIELDS: dict[GroupKind, str] = {kind: f"group_{kind.value}" for kind in GroupKind}

STATUSES = ("active", "inactive", "all")


@dataclass(frozen=True)
class PeopleFilter:
    q: str = ""
    group_id: int | None = None
    flag: str = ""
    status: str = "active"
    page: int = 1


@dataclass(frozen=True)
class PeoplePage:
    people: list[Person]
    paging: rules.Paging


@dataclass(frozen=True)
class MovePlan:
    household: Household | None  # None: the new number is created when the move is applied
    household_number: str
    changes: dict[str, list[object]]


def _flag_column(flag: str) -> InstrumentedAttribute[bool]:
    columns: dict[str, InstrumentedAttribute[bool]] = {
        "villager_representative": Person.is_villager_representative,
        "cadre": Person.is_cadre,
        "association_member": Person.is_association_member,
        "household_representative": Person.is_household_representative,
    }
    return columns[flag]


# Reading ------------------------------------------------------------------------------


def count_people(session: Session, village_id: int) -> int:
    stmt = select(func.count()).select_from(Person).where(Person.village_id == village_id)
    return session.scalar(stmt) or 0


def search_people(session: Session, village_id: int, filters: PeopleFilter) -> PeoplePage:
    stmt = select(Person).where(Person.village_id == village_id)
    if filters.q:
        stmt = stmt.where(
            or_(
                Person.name.contains(filters.q, autoescape=True),
                func.lower(Person.roll_number).contains(filters.q.lower(), autoescape=True),
            )
        )
    if filters.group_id is not None:
        members = select(GroupMembership.person_id).where(
            GroupMembership.group_id == filters.group_id
        )
        stmt = stmt.where(Person.id.in_(members))
    if filters.flag:
        stmt = stmt.where(_flag_column(filters.flag))
    if filters.status == "active":
        stmt = stmt.where(Person.active)
    elif filters.status == "inactive":
        stmt = stmt.where(not_(Person.active))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    paging = rules.paging(total, filters.page)
    people = session.scalars(
        stmt.options(joinedload(Person.household), selectinload(Person.memberships))
        .order_by(Person.roll_number, Person.id)
        .offset(paging.offset)
        .limit(paging.size)
    )
    return PeoplePage(people=list(people), paging=paging)


def placement_snapshot(person: Person, names: Mapping[int, str]) -> dict[str, object]:
    groups = {m.kind: m.group_id for m in person.memberships}
    result: dict[str, object] = {"household": person.household.number}
    for kind, name in GROUP_FIELDS.items():
        group_id = groups.get(kind)
        result[name] = names.get(group_id) if group_id is not None else None
    return result


def snapshot(person: Person, names: Mapping[int, str]) -> dict[str, object]:
    """The person as the audit log records it: readable values, not internal ids."""
    return {
        "roll_number": person.roll_number,
        "name": person.name,
        "sex": person.sex.value,
        "birth": f"{person.birth_year:04d}-{person.birth_month:02d}",
        "residence": person.residence.value,
        "is_household_representative": bool(person.is_household_representative),
        "is_villager_representative": bool(person.is_villager_representative),
        "is_cadre": bool(person.is_cadre),
        "is_association_member": bool(person.is_association_member),
        "active": bool(person.active),
        **placement_snapshot(person, names),
    }


# Checking -----------------------------------------------------------------------------


def _household_by_number(session: Session, village_id: int, number: str) -> Household | None:
    return session.scalar(
        select(Household).where(Household.village_id == village_id, Household.number == number)
    )


def _holder(
    session: Session, *conditions: ColumnElement[bool] | InstrumentedAttribute[bool]
) -> Holder | None:
    row = session.execute(
        select(Person.id, Person.name, Person.roll_number).where(*conditions).limit(1)
    ).first()
    return Holder(row.id, row.name, row.roll_number) if row else None


def check_placement(
    session: Session, village_id: int, placement: Placement, errors: dict[str, str]
) -> Household | None:
    """Check the household and groups; return the existing household chosen, if any.

    A typed "new" number that already exists simply means that household.
    """
    household: Household | None = None
    if placement.household_id is not None:
        household = session.get(Household, placement.household_id)
        if household is None or household.village_id != village_id:
            errors["household_id"] = gettext_("所选的户不在本村，请从列表里重新选择。")
            household = None
    elif placement.new_household_number:
        household = _household_by_number(session, village_id, placement.new_household_number)
    for kind, group_id in placement.groups.items():
        if group_id is None:
            continue
        group = session.get(Group, group_id)
        ref = GroupRef(group.village_id, group.kind) if group else None
        problem = rules.group_problem(ref, village_id, kind, str(GROUP_KIND_LABELS[kind]))
        if problem:
            errors[GROUP_FIELDS[kind]] = problem
    return household


def check_person(
    session: Session, village_id: int, data: PersonData, person: Person | None = None
) -> tuple[dict[str, str], Household | None]:
    errors: dict[str, str] = {}
    person_id = person.id if person else None
    holder = _holder(
        session, Person.village_id == village_id, Person.roll_number == data.roll_number
    )
    problem = rules.roll_number_problem(data.roll_number, holder, person_id)
    if problem:
        errors["roll_number"] = problem
    household = check_placement(session, village_id, data.placement, errors)
    problem = rules.inactive_representative_problem(
        person.active if person else True, data.is_household_representative
    )
    if problem is None and data.is_household_representative and household is not None:
        current = _holder(
            session, Person.household_id == household.id, Person.is_household_representative
        )
        problem = rules.representative_problem(household.number, current, person_id)
    if problem:
        errors["is_household_representative"] = problem
    return errors, household


# Writing ------------------------------------------------------------------------------


def create_household(session: Session, actor: Actor, village: Village, number: str) -> Household:
    household = Household(village_id=village.id, number=number, address="")
    session.add(household)
    session.flush()
    audit(session, actor, village, "household.create", household, {"number": number})
    return household


def _apply_groups(person: Person, groups: Mapping[GroupKind, int | None]) -> None:
    # Update a kind's membership in place rather than delete-and-insert: the unique
    # (person, kind) constraint would see both rows inside one flush.
    current = {m.kind: m for m in person.memberships}
    for kind, group_id in groups.items():
        membership = current.get(kind)
        if group_id is None:
            if membership is not None:
                person.memberships.remove(membership)
        elif membership is None:
            person.memberships.append(GroupMembership(group_id=group_id, kind=kind))
        elif membership.group_id != group_id:
            membership.group_id = group_id


def _assign(person: Person, data: PersonData, household: Household) -> None:
    person.roll_number = data.roll_number
    person.name = data.name
    person.sex = data.sex
    person.birth_year = data.birth_year
    person.birth_month = data.birth_month
    person.residence = data.residence
    person.household = household
    person.is_household_representative = data.is_household_representative
    person.is_villager_representative = data.is_villager_representative
    person.is_cadre = data.is_cadre
    person.is_association_member = data.is_association_member
    _apply_groups(person, data.placement.groups)


def create_person(session: Session, actor: Actor, village: Village, data: PersonData) -> Person:
    errors, household = check_person(session, village.id, data)
    if errors:
        raise InvalidRegistryInput(errors)
    if household is None:
        household = create_household(session, actor, village, data.placement.new_household_number)
    person = Person(village_id=village.id, active=True)
    _assign(person, data, household)
    session.add(person)
    session.flush()
    audit(
        session,
        actor,
        village,
        "person.create",
        person,
        snapshot(person, group_names(session, village.id)),
    )
    return person


def update_person(
    session: Session, actor: Actor, village: Village, person: Person, data: PersonData
) -> dict[str, list[object]]:
    """Apply the edit; return what changed (empty: nothing written)."""
    names = group_names(session, village.id)
    before = snapshot(person, names)
    errors, household = check_person(session, village.id, data, person)
    if errors:
        raise InvalidRegistryInput(errors)
    if household is None:
        household = create_household(session, actor, village, data.placement.new_household_number)
    _assign(person, data, household)
    session.flush()
    changed = rules.changes(before, snapshot(person, names))
    if changed:
        summary = {"roll_number": person.roll_number, "name": person.name, "changes": changed}
        audit(session, actor, village, "person.update", person, summary)
    return changed


def plan_move(session: Session, village_id: int, person: Person, placement: Placement) -> MovePlan:
    """What a move would change, checked but not written (for the confirmation page)."""
    if not person.active:
        raise PersonStateConflict(gettext_("这位村民已注销，不能迁移。如需迁移，请先恢复在册。"))
    errors: dict[str, str] = {}
    household = check_placement(session, village_id, placement, errors)
    if errors:
        raise InvalidRegistryInput(errors)
    names = group_names(session, village_id)
    number = household.number if household else placement.new_household_number
    target: dict[str, object] = {"household": number}
    for kind, field_name in GROUP_FIELDS.items():
        group_id = placement.groups.get(kind)
        target[field_name] = names.get(group_id) if group_id is not None else None
    old = placement_snapshot(person, names)
    changed = rules.move_changes(old, target, bool(person.is_household_representative))
    if not changed:
        raise InvalidRegistryInput(
            {"household_id": gettext_("所选的户和小组与现在完全一样，没有需要迁移的内容。")}
        )
    return MovePlan(household=household, household_number=number, changes=changed)


def move_person(
    session: Session, actor: Actor, village: Village, person: Person, placement: Placement
) -> MovePlan:
    plan = plan_move(session, village.id, person, placement)
    household = plan.household or create_household(session, actor, village, plan.household_number)
    if household.id != person.household_id:
        person.is_household_representative = False
        person.household = household
    _apply_groups(person, placement.groups)
    session.flush()
    summary = {"roll_number": person.roll_number, "name": person.name, "changes": plan.changes}
    audit(session, actor, village, "person.move", person, summary)
    return plan


def deactivate_person(
    session: Session, actor: Actor, village: Village, person: Person, reason: str, note: str
) -> None:
    """Take someone off the active roll (moved away, deceased). The record stays."""
    if not person.active:
        raise PersonStateConflict(gettext_("这位村民已经注销了，不需要再注销。"))
    changed: dict[str, list[object]] = {"active": [True, False]}
    if person.is_household_representative:
        # A household's representative must be someone still on the roll.
        person.is_household_representative = False
        changed["is_household_representative"] = [True, False]
    person.active = False
    summary = {
        "roll_number": person.roll_number,
        "name": person.name,
        "reason": reason,
        # The source text, not the viewer's language: the log reads the same for everyone.
        "reason_text": rules.DEACTIVATION_REASONS[reason].message,
        "note": note,
        "changes": changed,
    }
    audit(session, actor, village, "person.deactivate", person, summary)


def reactivate_person(
    session: Session, actor: Actor, village: Village, person: Person, note: str
) -> None:
    if person.active:
        raise PersonStateConflict(gettext_("这位村民仍然在册，不需要恢复。"))
    person.active = True
    summary = {
        "roll_number": person.roll_number,
        "name": person.name,
        "note": note,
        "changes": {"active": [False, True]},
    }
    audit(session, actor, village, "person.reactivate", person, summary)
