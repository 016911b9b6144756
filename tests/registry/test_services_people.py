"""The registry services called directly: checks come before writes; the database agrees."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.actors import Actor
from app.audit.models import AuditEntry
from app.registry import forms, services, structure
from app.registry.exceptions import InvalidRegistryInput, PersonStateConflict
from app.registry.models import GroupKind, Household, Person, Residence, Sex
from app.registry.rules import PersonData, Placement
from tests import factories
from tests.registry.people_support import audit_entries, count, join, make_place, person_in

ACTOR = Actor(label="测试 (test)")


def data(place, **overrides) -> PersonData:
    placement = overrides.pop(
        "placement",
        Placement(place.household.id, "", {GroupKind.VILLAGERS: place.first.id}),
    )
    fields = {
        "roll_number": "S-1",
        "name": "王秀英",
        "sex": Sex.FEMALE,
        "birth_year": 1970,
        "birth_month": 2,
        "residence": Residence.REGISTERED_RESIDENT,
        "placement": placement,
    }
    fields.update(overrides)
    return PersonData(**fields)


def test_create_person_checks_everything_before_writing(db):
    place = make_place(db)
    person_in(place, roll_number="S-1", is_household_representative=True)
    other = make_place(db, factories.VillageFactory(township=place.village.township))
    bad = data(
        place,
        is_household_representative=True,
        placement=Placement(None, "777", {GroupKind.VILLAGERS: other.first.id}),
    )
    before = count(db, Person), count(db, Household), count(db, AuditEntry)

    with pytest.raises(InvalidRegistryInput) as caught:
        services.create_person(db, ACTOR, place.village, bad)

    assert set(caught.value.errors) == {"roll_number", "group_villagers"}
    assert (count(db, Person), count(db, Household), count(db, AuditEntry)) == before


def test_create_person_in_new_household_writes_both_audit_entries(db):
    place = make_place(db)
    person = services.create_person(
        db, ACTOR, place.village, data(place, placement=Placement(None, "500", {}))
    )
    assert person.household.number == "500"
    assert [e["number"] for e in audit_entries(db, "household.create")] == ["500"]
    assert audit_entries(db, "person.create")[0]["household"] == "500"


def test_update_can_drop_a_group(db):
    place = make_place(db)
    person = person_in(place, roll_number="S-1", name="王秀英", birth_year=1970, birth_month=2)
    join(db, person, place.first)
    join(db, person, place.women)
    db.refresh(person)
    changed = services.update_person(
        db,
        ACTOR,
        place.village,
        person,
        data(
            place,
            placement=Placement(
                place.household.id, "", {GroupKind.VILLAGERS: None, GroupKind.WOMEN: None}
            ),
        ),
    )
    assert changed == {
        "group_villagers": ["第一村民小组", None],
        "group_women": ["一组育龄妇女小组", None],
    }
    db.expire_all()
    assert db.get(Person, person.id).memberships == []


def test_database_refuses_a_second_representative_even_without_the_check(db):
    place = make_place(db)
    person_in(place, is_household_representative=True)
    with pytest.raises(IntegrityError), db.begin_nested():
        person_in(place, is_household_representative=True)


def test_set_representative_swaps_without_breaking_the_unique_index(db):
    place = make_place(db)
    old = person_in(place, is_household_representative=True)
    new = person_in(place)
    household = structure.get_household(db, place.village.id, place.household.id)
    assert structure.set_representative(db, ACTOR, place.village, household, new.id)
    assert not old.is_household_representative and new.is_household_representative
    assert not structure.set_representative(db, ACTOR, place.village, household, new.id)
    assert len(audit_entries(db, "household.representative")) == 1


def test_deactivate_and_reactivate_state_conflicts(db):
    place = make_place(db)
    person = person_in(place)
    services.deactivate_person(db, ACTOR, place.village, person, "deceased", "")
    with pytest.raises(PersonStateConflict):
        services.deactivate_person(db, ACTOR, place.village, person, "deceased", "")
    services.reactivate_person(db, ACTOR, place.village, person, "登记有误")
    with pytest.raises(PersonStateConflict):
        services.reactivate_person(db, ACTOR, place.village, person, "再次")
    assert [e["changes"]["active"] for e in audit_entries(db, "person.deactivate")] == [
        [True, False]
    ]


def test_search_people_combines_filters(db):
    place = make_place(db)
    match = person_in(place, name="张代表", is_villager_representative=True)
    join(db, match, place.first)
    person_in(place, name="张普通")
    join(db, person_in(place, name="张二组", is_villager_representative=True), place.second)
    filters = services.PeopleFilter(q="张", group_id=place.first.id, flag="villager_representative")
    found = services.search_people(db, place.village.id, filters)
    assert [p.name for p in found.people] == ["张代表"]
    assert found.paging.total == 1


def test_people_filter_ignores_unreadable_values():
    parsed = forms.parse_people_filter(
        {"q": " 张 ", "group": "abc", "flag": "fined", "status": "nope", "page": "x"}
    )
    assert parsed == services.PeopleFilter(q="张")


def test_group_and_household_lists_are_per_village(db):
    place = make_place(db)
    other = make_place(db, factories.VillageFactory(township=place.village.township))
    assert {g.id for g in structure.village_groups(db, place.village.id)} == {
        place.first.id,
        place.second.id,
        place.women.id,
        place.association.id,
    }
    assert [h.id for h in structure.village_households(db, other.village.id)] == [
        other.household.id
    ]
    assert db.scalar(select(Household.number).where(Household.id == place.household.id)) == "001"
