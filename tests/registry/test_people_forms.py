"""Adding and editing a person: what is saved, what is refused (in Chinese), what is audited."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.permissions import Role
from app.registry.models import GroupKind, GroupMembership, Household, Person, Residence, Sex
from tests import factories
from tests.conftest import post_form
from tests.registry.people_support import (
    audit_entries,
    count,
    join,
    make_place,
    person_in,
    signed_in,
    valid_person_form,
)


def test_add_person_to_an_existing_household(client, db):
    place = make_place(db)
    signed_in(client, Role.ORGANIZER, place.village)
    data = valid_person_form(
        place,
        group_women=str(place.women.id),
        is_villager_representative="1",
        is_household_representative="1",
    )

    response = post_form(client, place.url("/people/new"), data)

    assert response.status_code == 303
    assert response.headers["location"] == place.url("/people")
    person = db.scalar(select(Person).where(Person.roll_number == "A-0001"))
    assert person is not None
    assert (person.name, person.sex, person.birth_year, person.birth_month) == (
        "王秀英",
        Sex.FEMALE,
        1968,
        3,
    )
    assert person.household_id == place.household.id
    assert person.residence is Residence.REGISTERED_RESIDENT
    assert person.is_household_representative and person.is_villager_representative
    assert not person.is_cadre
    kinds = {m.kind: m.group_id for m in db.scalars(select(GroupMembership))}
    assert kinds == {GroupKind.VILLAGERS: place.first.id, GroupKind.WOMEN: place.women.id}
    [created] = audit_entries(db, "person.create")
    assert created["name"] == "王秀英"
    assert created["household"] == "001"
    assert created["group_villagers"] == "第一村民小组"
    assert created["_object_id"] == str(person.id)
    assert "已添加 王秀英" in client.get(place.url("/people")).text


def test_typing_a_new_household_number_creates_the_household(client, db):
    place = make_place(db)
    signed_in(client, Role.ORGANIZER, place.village)
    data = valid_person_form(place, household_id="", household_number="088")

    response = post_form(client, place.url("/people/new"), data)

    assert response.status_code == 303
    household = db.scalar(select(Household).where(Household.number == "088"))
    assert household is not None and household.village_id == place.village.id
    person = db.scalar(select(Person).where(Person.roll_number == "A-0001"))
    assert person is not None and person.household_id == household.id
    assert audit_entries(db, "household.create")[0]["number"] == "088"


def test_typing_an_existing_household_number_uses_that_household(client, db):
    place = make_place(db)
    signed_in(client, Role.ORGANIZER, place.village)
    data = valid_person_form(place, household_id="", household_number="001")
    assert post_form(client, place.url("/people/new"), data).status_code == 303
    assert count(db, Household) == 1
    assert audit_entries(db, "household.create") == []


def _other_village_group(place):
    other = factories.VillageFactory(township=place.village.township)
    return factories.GroupFactory(village_id=other.id, kind=GroupKind.VILLAGERS, name="外村组")


BAD_INPUTS = [
    ({"name": ""}, "name", "请填写姓名。"),
    ({"roll_number": ""}, "roll_number", "请填写编号。"),
    ({"sex": ""}, "sex", "请选择性别。"),
    ({"birth_month": "13"}, "birth_month", "月份请填 1 到 12 之间的数字。"),
    ({"birth_month": "三"}, "birth_month", "月份请填 1 到 12 之间的数字。"),
    ({"birth_year": "1899"}, "birth_year", "出生年份要在 1900 到"),
    ({"birth_year": str(date.today().year + 1)}, "birth_year", "出生年份要在 1900 到"),
    ({"birth_year": "nineteen"}, "birth_year", "请填写出生年份"),
    ({"household_id": ""}, "household_id", "请选择所在的户"),
    ({"household_number": "099"}, "household_number", "“新户号”请留空"),
    ({"group_villagers": "WOMEN"}, "group_villagers", "请从列表里重新选择。"),
]


@pytest.mark.parametrize(("overrides", "field", "message"), BAD_INPUTS)
def test_bad_input_is_refused_beside_its_field(client, db, overrides, field, message):
    place = make_place(db)
    signed_in(client, Role.ORGANIZER, place.village)
    if overrides.get("group_villagers") == "WOMEN":
        overrides = {"group_villagers": str(place.women.id)}
        message = "所选的小组不是村民小组"
    before = (count(db, Person), count(db, Household), count(db, AuditEntry))

    response = post_form(client, place.url("/people/new"), valid_person_form(place, **overrides))

    assert response.status_code == 422
    assert f'<p class="error" id="e-{field}">' in response.text
    error_text = response.text.split(f'id="e-{field}">', 1)[1].split("</p>", 1)[0]
    assert message in error_text
    assert "内容没有保存" in response.text
    assert 'value="王秀英"' in response.text or field == "name"  # what was typed is kept
    assert (count(db, Person), count(db, Household), count(db, AuditEntry)) == before


def test_duplicate_roll_number_names_the_holder(client, db):
    place = make_place(db)
    person_in(place, roll_number="A-0001", name="李桂兰")
    signed_in(client, Role.ORGANIZER, place.village)
    before = count(db, AuditEntry)

    response = post_form(client, place.url("/people/new"), valid_person_form(place))

    assert response.status_code == 422
    assert "编号 A-0001 已经是 李桂兰 的编号" in response.text
    assert count(db, Person) == 1
    assert count(db, AuditEntry) == before


def test_same_roll_number_in_another_village_is_fine(client, db):
    place = make_place(db)
    other = make_place(db, factories.VillageFactory(township=place.village.township))
    person_in(other, roll_number="A-0001")
    signed_in(client, Role.ORGANIZER, place.village)
    assert post_form(client, place.url("/people/new"), valid_person_form(place)).status_code == 303


def test_group_of_another_village_is_refused(client, db):
    place = make_place(db)
    foreign = _other_village_group(place)
    signed_in(client, Role.ORGANIZER, place.village)
    data = valid_person_form(place, group_villagers=str(foreign.id))

    response = post_form(client, place.url("/people/new"), data)

    assert response.status_code == 422
    assert "所选的小组不属于本村" in response.text
    assert count(db, Person) == 0


def test_household_of_another_village_is_refused(client, db):
    place = make_place(db)
    other = make_place(db, factories.VillageFactory(township=place.village.township))
    signed_in(client, Role.ORGANIZER, place.village)
    data = valid_person_form(place, household_id=str(other.household.id))
    response = post_form(client, place.url("/people/new"), data)
    assert response.status_code == 422
    assert "所选的户不在本村" in response.text
    assert count(db, Person) == 0


def test_second_household_representative_names_the_current_one(client, db):
    place = make_place(db)
    person_in(place, name="张建国", roll_number="001-0001", is_household_representative=True)
    signed_in(client, Role.ORGANIZER, place.village)
    data = valid_person_form(place, is_household_representative="1")
    before = count(db, AuditEntry)

    response = post_form(client, place.url("/people/new"), data)

    assert response.status_code == 422
    assert "001 户已经有户代表：张建国（编号 001-0001）" in response.text
    assert 'id="e-is_household_representative"' in response.text
    assert count(db, Person) == 1
    assert count(db, AuditEntry) == before


def test_several_problems_are_all_reported_at_once(client, db):
    place = make_place(db)
    signed_in(client, Role.ORGANIZER, place.village)
    data = valid_person_form(place, name="", birth_year="", birth_month="13", sex="X")
    response = post_form(client, place.url("/people/new"), data)
    assert response.status_code == 422
    for field in ("name", "birth_year", "birth_month", "sex"):
        assert f'id="e-{field}"' in response.text


# Edit ---------------------------------------------------------------------------------


def test_edit_page_is_filled_in(client, db):
    place = make_place(db)
    person = person_in(place, name="张建国", roll_number="001-0001", is_cadre=True)
    join(db, person, place.second)
    signed_in(client, Role.ORGANIZER, place.village)
    html = client.get(place.url(f"/people/{person.id}/edit")).text
    assert 'value="张建国"' in html
    assert f'<option value="{place.second.id}" selected>' in html
    assert 'id="f-is_cadre" name="is_cadre" type="checkbox" value="1" checked' in html


def test_edit_saves_changes_and_audits_old_and_new(client, db):
    place = make_place(db)
    person = person_in(place, name="张建国", roll_number="001-0001", birth_year=1960)
    join(db, person, place.first)
    signed_in(client, Role.ORGANIZER, place.village)
    data = valid_person_form(
        place,
        roll_number="001-0001",
        name="张建华",
        sex="F",
        birth_year="1961",
        birth_month="6",
        group_villagers=str(place.second.id),
        residence="registered_away",
        is_cadre="1",
    )

    response = post_form(client, place.url(f"/people/{person.id}/edit"), data)

    assert response.status_code == 303
    db.expire_all()
    person = db.get(Person, person.id)
    assert (person.name, person.birth_year, person.residence) == (
        "张建华",
        1961,
        Residence.REGISTERED_AWAY,
    )
    assert person.is_cadre
    assert person.group_of(GroupKind.VILLAGERS).id == place.second.id
    [entry] = audit_entries(db, "person.update")
    assert entry["changes"]["name"] == ["张建国", "张建华"]
    assert entry["changes"]["birth"] == ["1960-06", "1961-06"]
    assert entry["changes"]["group_villagers"] == ["第一村民小组", "第二村民小组"]
    assert entry["changes"]["is_cadre"] == [False, True]
    assert "roll_number" not in entry["changes"]


def test_edit_keeping_own_roll_number_and_representative_seat_is_allowed(client, db):
    place = make_place(db)
    person = person_in(place, roll_number="001-0001", is_household_representative=True)
    signed_in(client, Role.ORGANIZER, place.village)
    data = valid_person_form(
        place, roll_number="001-0001", name="新名字", is_household_representative="1"
    )
    assert post_form(client, place.url(f"/people/{person.id}/edit"), data).status_code == 303
    db.expire_all()
    assert db.get(Person, person.id).is_household_representative


def test_edit_without_changes_writes_no_audit_entry(client, db):
    place = make_place(db)
    person = person_in(place, name="张建国", roll_number="001-0001", birth_year=1968, birth_month=3)
    join(db, person, place.first)
    signed_in(client, Role.ORGANIZER, place.village)
    data = valid_person_form(place, roll_number="001-0001", name="张建国")
    response = post_form(client, place.url(f"/people/{person.id}/edit"), data)
    assert response.status_code == 303
    assert audit_entries(db, "person.update") == []
    assert "没有改动" in client.get(place.url("/people")).text


def test_edit_to_a_taken_roll_number_is_refused_and_changes_nothing(client, db):
    place = make_place(db)
    person_in(place, roll_number="001-0001", name="李桂兰")
    person = person_in(place, roll_number="001-0002", name="张建国")
    signed_in(client, Role.ORGANIZER, place.village)
    data = valid_person_form(place, roll_number="001-0001", name="张建华")
    response = post_form(client, place.url(f"/people/{person.id}/edit"), data)
    assert response.status_code == 422
    assert "编号 001-0001 已经是 李桂兰 的编号" in response.text
    db.expire_all()
    assert db.get(Person, person.id).name == "张建国"
    assert audit_entries(db, "person.update") == []


def test_inactive_person_cannot_become_household_representative(client, db):
    place = make_place(db)
    person = person_in(place, roll_number="001-0001", active=False)
    signed_in(client, Role.ORGANIZER, place.village)
    data = valid_person_form(place, roll_number="001-0001", is_household_representative="1")
    response = post_form(client, place.url(f"/people/{person.id}/edit"), data)
    assert response.status_code == 422
    assert "已注销的村民不能担任户代表" in response.text


def test_person_of_another_village_is_not_found(client, db):
    place = make_place(db)
    other = make_place(db, factories.VillageFactory(township=place.village.township))
    stranger = person_in(other)
    signed_in(client, Role.ORGANIZER, place.village)
    response = client.get(place.url(f"/people/{stranger.id}/edit"))
    assert response.status_code == 404
    assert "本村没有这位村民" in response.text
