"""Shared set-up for the registry page tests: a village with groups, sign-in, audit reads."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.accounts.models import StaffUser
from app.audit.models import AuditEntry
from app.permissions import Role
from app.registry.models import Group, GroupKind, GroupMembership, Household, Person, Village
from tests import factories
from tests.conftest import sign_in


@dataclass
class Place:
    """A village with one group of each kind (two villagers' groups) and a household."""

    village: Village
    first: Group  # 第一村民小组
    second: Group  # 第二村民小组
    women: Group
    association: Group
    household: Household

    def url(self, suffix: str = "") -> str:
        return f"/villages/{self.village.id}{suffix}"


def make_place(db: Session, village: Village | None = None) -> Place:
    village = village or factories.VillageFactory()
    groups = [
        factories.GroupFactory(village_id=village.id, kind=kind, name=name)
        for kind, name in (
            (GroupKind.VILLAGERS, "第一村民小组"),
            (GroupKind.VILLAGERS, "第二村民小组"),
            (GroupKind.WOMEN, "一组育龄妇女小组"),
            (GroupKind.ASSOCIATION, "协会联户组1"),
        )
    ]
    household = factories.HouseholdFactory(village_id=village.id, number="001")
    return Place(village, *groups, household=household)


def person_in(place: Place, household: Household | None = None, **fields: Any) -> Person:
    person: Person = factories.PersonFactory(household=household or place.household, **fields)
    return person


def join(db: Session, person: Person, group: Group) -> GroupMembership:
    membership = GroupMembership(person_id=person.id, group_id=group.id, kind=group.kind)
    db.add(membership)
    db.flush()
    return membership


def signed_in(client: TestClient, role: Role, village: Village) -> StaffUser:
    user: StaffUser = factories.staff(role, village)
    sign_in(client, user.username)
    return user


def valid_person_form(place: Place, **overrides: str) -> dict[str, str]:
    data = {
        "roll_number": "A-0001",
        "name": "王秀英",
        "sex": "F",
        "birth_year": "1968",
        "birth_month": "3",
        "residence": "registered_resident",
        "household_id": str(place.household.id),
        "household_number": "",
        "group_villagers": str(place.first.id),
        "group_women": "",
        "group_association": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def audit_entries(db: Session, action: str) -> list[dict[str, Any]]:
    """Summaries of the audit entries with this action, oldest first."""
    rows = db.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
    )
    return [json.loads(row.summary) | {"_object_id": row.object_id} for row in rows]


def count(db: Session, model: type[Any]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0
