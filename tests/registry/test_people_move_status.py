"""Moving a person (with a confirmation page) and taking them off / back on the roll."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.audit.models import AuditEntry
from app.permissions import Role
from app.registry.models import GroupKind, Household, Person
from tests import factories
from tests.conftest import post_form
from tests.registry.people_support import (
    audit_entries,
    count,
    join,
    make_place,
    person_in,
    signed_in,
)


def move_form(place, household_id="", household_number="", villagers="", women="", association=""):
    return {
        "household_id": str(household_id),
        "household_number": household_number,
        "group_villagers": str(villagers),
        "group_women": str(women),
        "group_association": str(association),
    }


def confirm_rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [[re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td>(.*?)</td>", r)] for r in rows]


def test_move_shows_from_and_to_and_writes_nothing_until_confirmed(client, db):
    place = make_place(db)
    target = factories.HouseholdFactory(village_id=place.village.id, number="002")
    person = person_in(place, name="张建国")
    join(db, person, place.first)
    signed_in(client, Role.ORGANIZER, place.village)
    path = place.url(f"/people/{person.id}/move")
    before = count(db, AuditEntry)

    page = post_form(client, path, move_form(place, target.id, villagers=place.second.id))

    assert page.status_code == 200
    assert confirm_rows(page.text) == [
        ["户号", "001", "002"],
        ["村民小组", "第一村民小组", "第二村民小组"],
    ]
    assert 'id="confirm-move"' in page.text
    db.expire_all()
    assert db.get(Person, person.id).household_id == place.household.id
    assert count(db, AuditEntry) == before


def test_confirmed_move_changes_household_and_groups_and_audits(client, db):
    place = make_place(db)
    target = factories.HouseholdFactory(village_id=place.village.id, number="002")
    person = person_in(place, name="张建国")
    join(db, person, place.first)
    signed_in(client, Role.ORGANIZER, place.village)
    data = move_form(place, target.id, villagers=place.second.id, women=place.women.id)

    response = post_form(client, place.url(f"/people/{person.id}/move"), {**data, "confirm": "1"})

    assert response.status_code == 303
    db.expire_all()
    person = db.get(Person, person.id)
    assert person.household_id == target.id
    assert person.group_of(GroupKind.VILLAGERS).id == place.second.id
    assert person.group_of(GroupKind.WOMEN).id == place.women.id
    [entry] = audit_entries(db, "person.move")
    assert entry["changes"] == {
        "household": ["001", "002"],
        "group_villagers": ["第一村民小组", "第二村民小组"],
        "group_women": [None, "一组育龄妇女小组"],
    }


def test_move_into_a_new_household_number_creates_it_on_confirmation(client, db):
    place = make_place(db)
    person = person_in(place)
    signed_in(client, Role.ORGANIZER, place.village)
    path = place.url(f"/people/{person.id}/move")
    data = move_form(place, household_number="120")

    page = post_form(client, path, data)
    assert "户号 120 还没有登记，确认后会新建这一户" in page.text
    assert db.scalar(select(Household).where(Household.number == "120")) is None

    assert post_form(client, path, {**data, "confirm": "1"}).status_code == 303
    household = db.scalar(select(Household).where(Household.number == "120"))
    assert household is not None
    db.expire_all()
    assert db.get(Person, person.id).household_id == household.id
    assert [e["number"] for e in audit_entries(db, "household.create")] == ["120"]


def test_representative_who_moves_out_stops_representing(client, db):
    place = make_place(db)
    target = factories.HouseholdFactory(village_id=place.village.id, number="002")
    person = person_in(place, is_household_representative=True)
    signed_in(client, Role.ORGANIZER, place.village)
    path = place.url(f"/people/{person.id}/move")

    page = post_form(client, path, move_form(place, target.id))
    assert ["户代表", "是", "否"] in confirm_rows(page.text)

    post_form(client, path, {**move_form(place, target.id), "confirm": "1"})
    db.expire_all()
    assert not db.get(Person, person.id).is_household_representative
    assert audit_entries(db, "person.move")[0]["changes"]["is_household_representative"] == [
        True,
        False,
    ]


def test_move_to_the_same_place_says_nothing_changes(client, db):
    place = make_place(db)
    person = person_in(place)
    join(db, person, place.first)
    signed_in(client, Role.ORGANIZER, place.village)
    data = move_form(place, place.household.id, villagers=place.first.id)
    response = post_form(client, place.url(f"/people/{person.id}/move"), data)
    assert response.status_code == 422
    assert "所选的户和小组与现在完全一样" in response.text


def test_move_to_a_group_of_another_village_is_refused_even_when_confirmed(client, db):
    place = make_place(db)
    other = make_place(db, factories.VillageFactory(township=place.village.township))
    person = person_in(place)
    signed_in(client, Role.ORGANIZER, place.village)
    data = {**move_form(place, place.household.id, villagers=other.first.id), "confirm": "1"}
    response = post_form(client, place.url(f"/people/{person.id}/move"), data)
    assert response.status_code == 422
    assert "所选的小组不属于本村" in response.text
    assert audit_entries(db, "person.move") == []


# Deactivate / reactivate ---------------------------------------------------------------


def test_deactivation_asks_for_a_reason_first(client, db):
    place = make_place(db)
    person = person_in(place, name="张建国")
    signed_in(client, Role.ORGANIZER, place.village)
    path = place.url(f"/people/{person.id}/deactivate")

    page = client.get(path)
    assert page.status_code == 200
    assert "迁出本村" in page.text and "去世" in page.text

    refused = post_form(client, path, {"reason": "", "note": ""})
    assert refused.status_code == 422
    assert "请选择注销的原因" in refused.text
    other = post_form(client, path, {"reason": "other", "note": ""})
    assert "请写明具体原因" in other.text
    db.expire_all()
    assert db.get(Person, person.id).active
    assert audit_entries(db, "person.deactivate") == []


def test_deactivate_keeps_the_record_and_audits_the_reason(client, db):
    place = make_place(db)
    person = person_in(place, name="张建国", is_household_representative=True)
    signed_in(client, Role.ORGANIZER, place.village)
    path = place.url(f"/people/{person.id}/deactivate")
    assert "暂时没有户代表" in client.get(path).text

    response = post_form(client, path, {"reason": "moved_away", "note": "迁往县城"})

    assert response.status_code == 303
    db.expire_all()
    person = db.get(Person, person.id)
    assert person is not None  # kept on record
    assert not person.active
    assert not person.is_household_representative
    [entry] = audit_entries(db, "person.deactivate")
    assert entry["reason"] == "moved_away"
    assert entry["reason_text"] == "迁出本村"
    assert entry["note"] == "迁往县城"
    assert entry["changes"] == {
        "active": [True, False],
        "is_household_representative": [True, False],
    }
    listed = client.get(place.url("/people")).text
    assert "已注销 张建国" in listed  # the flash
    assert "<td>张建国" not in listed  # no longer among the active people


def test_deactivating_twice_is_a_clear_conflict(client, db):
    place = make_place(db)
    person = person_in(place, active=False)
    signed_in(client, Role.ORGANIZER, place.village)
    path = place.url(f"/people/{person.id}/deactivate")
    assert "这位村民已经注销了" in client.get(path).text
    response = post_form(client, path, {"reason": "deceased", "note": ""}, page=path)
    assert response.status_code == 409
    assert "已经注销了" in response.text


def test_reactivate_needs_a_reason_and_is_audited(client, db):
    place = make_place(db)
    person = person_in(place, name="张建国", active=False)
    signed_in(client, Role.ORGANIZER, place.village)
    path = place.url(f"/people/{person.id}/reactivate")

    refused = post_form(client, path, {"note": ""})
    assert refused.status_code == 422
    assert "请写明恢复在册的原因" in refused.text

    response = post_form(client, path, {"note": "迁回本村"})
    assert response.status_code == 303
    db.expire_all()
    assert db.get(Person, person.id).active
    [entry] = audit_entries(db, "person.reactivate")
    assert entry["note"] == "迁回本村"
    assert entry["changes"] == {"active": [False, True]}


def test_inactive_person_cannot_be_moved(client, db):
    place = make_place(db)
    target = factories.HouseholdFactory(village_id=place.village.id, number="002")
    person = person_in(place, active=False)
    signed_in(client, Role.ORGANIZER, place.village)
    response = post_form(
        client, place.url(f"/people/{person.id}/move"), move_form(place, target.id)
    )
    assert response.status_code == 409
    assert "已注销，不能迁移" in response.text
