"""What a valid roll would change in a village: added, changed, left alone.

`load_state` reads the whole village in four queries into plain data; `compute_diff`
is a pure function of the file's rows and that state, so the preview, the apply and the
tests all use the same comparison. The file is authoritative for the people it lists;
people it does not list are left alone (and shown, so the organizer notices them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.i18n import gettext_
from app.registry.models import Group, GroupKind, GroupMembership, Household, Person, Residence, Sex
from app.registry.roll.format import (
    FLAG_COLUMNS,
    GROUP_COLUMNS,
    NO,
    RESIDENCE_TEXT,
    SEX_TEXT,
    YES,
    birth_text,
)
from app.registry.roll.validate import Problem, RollRow, Validation, code_key, name_key

T = TypeVar("T")
KIND_COLUMN = {kind: key for key, kind in GROUP_COLUMNS.items()}
FLAG_KEY = {attribute: key for key, attribute in FLAG_COLUMNS.items()}


@dataclass
class PersonState:
    id: int
    roll_number: str
    name: str
    sex: Sex
    birth_year: int
    birth_month: int
    household_id: int
    residence: Residence
    active: bool
    flags: dict[str, bool]  # Person attribute -> value, incl. is_household_representative
    groups: dict[GroupKind, int] = field(default_factory=dict)  # kind -> group id
    memberships: dict[GroupKind, int] = field(default_factory=dict)  # kind -> membership id


@dataclass
class HouseholdState:
    id: int
    number: str
    address: str


@dataclass
class GroupState:
    id: int
    kind: GroupKind
    name: str


@dataclass
class VillageState:
    village_id: int
    people: list[PersonState]
    households: dict[int, HouseholdState]
    groups: dict[int, GroupState]

    def __post_init__(self) -> None:
        self.person_by_key = _unique_index(self.people, lambda p: p.roll_number)
        self.household_by_key = _unique_index(list(self.households.values()), lambda h: h.number)
        self.group_by_key = {(g.kind, name_key(g.name)): g for g in self.groups.values()}

    def find_person(self, roll_number: str) -> PersonState | None:
        return self.person_by_key.get(roll_number) or self.person_by_key.get(code_key(roll_number))

    def find_household(self, number: str) -> HouseholdState | None:
        return self.household_by_key.get(number) or self.household_by_key.get(code_key(number))


def _unique_index(items: list[T], code: Callable[[T], str]) -> dict[str, T]:
    """Exact codes, plus leading-zero-free keys where those are unambiguous."""
    index: dict[str, T] = {code(item): item for item in items}
    by_key: dict[str, list[T]] = defaultdict(list)
    for item in items:
        by_key[code_key(code(item))].append(item)
    for key, found in by_key.items():
        if len(found) == 1:
            index.setdefault(key, found[0])
    return index


def load_state(session: Session, village_id: int) -> VillageState:
    """The village's people, households, groups and memberships: one query each."""
    households = {
        row.id: HouseholdState(row.id, row.number, row.address)
        for row in session.execute(
            select(Household.id, Household.number, Household.address).where(
                Household.village_id == village_id
            )
        )
    }
    groups = {
        row.id: GroupState(row.id, row.kind, row.name)
        for row in session.execute(
            select(Group.id, Group.kind, Group.name).where(Group.village_id == village_id)
        )
    }
    flag_columns = [getattr(Person, name) for name in (*FLAG_KEY, "is_household_representative")]
    people: dict[int, PersonState] = {}
    for row in session.execute(
        select(
            Person.id,
            Person.roll_number,
            Person.name,
            Person.sex,
            Person.birth_year,
            Person.birth_month,
            Person.household_id,
            Person.residence,
            Person.active,
            *flag_columns,
        ).where(Person.village_id == village_id)
    ):
        flags = {column.key: bool(row._mapping[column.key]) for column in flag_columns}
        people[row.id] = PersonState(
            row.id,
            row.roll_number,
            row.name,
            row.sex,
            row.birth_year,
            row.birth_month,
            row.household_id,
            row.residence,
            bool(row.active),
            flags,
        )
    memberships = select(
        GroupMembership.id,
        GroupMembership.person_id,
        GroupMembership.group_id,
        GroupMembership.kind,
    ).join(Person, Person.id == GroupMembership.person_id)
    for row in session.execute(memberships.where(Person.village_id == village_id)):
        person = people[row.person_id]
        person.groups[row.kind] = row.group_id
        person.memberships[row.kind] = row.id
    return VillageState(village_id, list(people.values()), households, groups)


@dataclass(frozen=True)
class FieldChange:
    key: str  # a roll column key, or "active"
    old: str
    new: str


@dataclass
class PersonChange:
    row: RollRow
    person: PersonState
    changes: list[FieldChange]


@dataclass
class HouseholdPlan:
    """A household the file names: existing (id set) or to be created."""

    key: str
    number: str
    address: str | None  # None: the file does not say (no 住址 column)
    existing: HouseholdState | None
    first_row: int


@dataclass
class RollDiff:
    added: list[RollRow] = field(default_factory=list)
    changed: list[PersonChange] = field(default_factory=list)
    unchanged: list[PersonChange] = field(default_factory=list)
    not_in_file: list[PersonState] = field(default_factory=list)
    households: dict[str, HouseholdPlan] = field(default_factory=dict)
    new_groups: list[tuple[GroupKind, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Names of the columns the file leaves out: current values are kept for those.
    kept_columns: list[str] = field(default_factory=list)

    @property
    def new_households(self) -> list[HouseholdPlan]:
        return [plan for plan in self.households.values() if plan.existing is None]

    @property
    def address_changes(self) -> list[HouseholdPlan]:
        return [
            plan
            for plan in self.households.values()
            if plan.existing is not None
            and plan.address is not None
            and plan.address != plan.existing.address
        ]

    @property
    def changes_anything(self) -> bool:
        return bool(self.added or self.changed or self.new_groups or self.address_changes) or bool(
            self.new_households
        )


def _yes_no(value: bool) -> str:
    return YES if value else NO


def final_representative(row: RollRow, person: PersonState | None, same_household: bool) -> bool:
    """Without a 户代表 column a person stays representative only in the same household."""
    if row.household_representative is not None:
        return row.household_representative
    return bool(person and same_household and person.flags["is_household_representative"])


def _person_fields(row: RollRow, person: PersonState, state: VillageState) -> list[FieldChange]:
    """Each field the file would change, shown as the file writes it."""
    household = state.households[person.household_id]
    same_household = code_key(household.number) == code_key(row.household)
    pairs: list[tuple[str, str, str]] = [
        ("name", person.name, row.name),
        ("sex", SEX_TEXT[person.sex], SEX_TEXT[row.sex]),
        (
            "birth",
            birth_text(person.birth_year, person.birth_month),
            birth_text(row.birth_year, row.birth_month),
        ),
        ("household", household.number, household.number if same_household else row.household),
        (
            "household_representative",
            _yes_no(person.flags["is_household_representative"]),
            _yes_no(final_representative(row, person, same_household)),
        ),
    ]
    for kind, new_name in row.groups.items():
        current = state.groups.get(person.groups.get(kind, 0))
        old_name = current.name if current else ""
        if name_key(old_name) != name_key(new_name):
            pairs.append((KIND_COLUMN[kind], old_name, new_name))
    for attribute, value in row.flags.items():
        pairs.append((FLAG_KEY[attribute], _yes_no(person.flags[attribute]), _yes_no(value)))
    if row.residence is not None:
        pairs.append(("residence", RESIDENCE_TEXT[person.residence], RESIDENCE_TEXT[row.residence]))
    if not person.active:
        pairs.append(("active", NO, YES))
    return [FieldChange(key, old, new) for key, old, new in pairs if old != new]


def compute_diff(validation: Validation, state: VillageState) -> RollDiff:
    diff = RollDiff()
    headers = validation.headers
    diff.kept_columns = [
        headers.label(key)
        for key in (*GROUP_COLUMNS, *FLAG_COLUMNS, "household_representative", "residence")
        if not headers.has(key)
    ]
    listed: set[int] = set()
    new_group_keys: set[tuple[GroupKind, str]] = set()
    for row in validation.rows:
        _plan_household(diff, state, row)
        for kind, name in row.groups.items():
            key = (kind, name_key(name))
            if name and key not in state.group_by_key and key not in new_group_keys:
                new_group_keys.add(key)
                diff.new_groups.append((kind, name))
        person = state.find_person(row.roll_number)
        if person is None:
            diff.added.append(row)
            continue
        listed.add(person.id)
        change = PersonChange(row, person, _person_fields(row, person, state))
        (diff.changed if change.changes else diff.unchanged).append(change)
    others = [p for p in state.people if p.id not in listed]
    diff.not_in_file = [p for p in others if p.active]
    _check_representatives(diff, validation, state, others)
    return diff


def _plan_household(diff: RollDiff, state: VillageState, row: RollRow) -> None:
    key = code_key(row.household)
    plan = diff.households.get(key)
    if plan is None:
        existing = state.find_household(row.household)
        number = existing.number if existing else row.household
        address = None if row.address is None else ""
        plan = HouseholdPlan(key, number, address, existing, row.row)
        diff.households[key] = plan
    if row.address:
        plan.address = row.address


def _check_representatives(
    diff: RollDiff, validation: Validation, state: VillageState, others: list[PersonState]
) -> None:
    """A household keeps one representative, counting people the file does not list."""
    holders: dict[str, PersonState] = {}
    for other in others:
        if other.flags["is_household_representative"]:
            holders[code_key(state.households[other.household_id].number)] = other
    column = validation.headers.label(
        "household_representative"
        if validation.headers.has("household_representative")
        else "household"
    )
    for row in validation.rows:
        person = state.find_person(row.roll_number)
        current = state.households[person.household_id] if person else None
        same = current is not None and code_key(current.number) == code_key(row.household)
        holder = holders.get(code_key(row.household))
        if holder is None or not final_representative(row, person, same):
            continue
        diff.problems.append(
            Problem(
                row.row,
                column,
                gettext_(
                    "户 %(household)s 已有户代表 %(name)s（编号 %(number)s，不在这份名单里），一户只能有一位户代表。请把此人也列进名单并把“户代表”改成“否”，或在村民页面修改。",
                    household=row.household,
                    name=holder.name,
                    number=holder.roll_number,
                ),
            )
        )
