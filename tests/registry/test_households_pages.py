"""The households pages: members, the representative, and changing the representative."""

from __future__ import annotations

import re

from app.audit.models import AuditEntry
from app.permissions import Role
from app.registry.models import Person
from tests import factories
from tests.conftest import post_form
from tests.registry.people_support import audit_entries, count, make_place, person_in, signed_in


def household_rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", r, re.S)]
        for r in rows
    ]


def test_households_list_members_and_representative(client, db):
    place = make_place(db)
    second = factories.HouseholdFactory(village_id=place.village.id, number="002")
    person_in(place, name="张建国", roll_number="1", is_household_representative=True)
    person_in(place, name="张秀英", roll_number="2")
    person_in(place, name="张远走", roll_number="3", active=False)
    person_in(place, second, name="李桂兰", roll_number="4")
    signed_in(client, Role.ORGANIZER, place.village)

    response = client.get(place.url("/households"))

    assert response.status_code == 200
    assert "共 2 户" in response.text
    assert household_rows(response.text) == [
        ["001", "", "张建国", "张建国、张秀英"],
        ["002", "", "未设", "李桂兰"],
    ]


def test_households_search_by_number_or_member_name(client, db):
    place = make_place(db)
    second = factories.HouseholdFactory(village_id=place.village.id, number="002")
    person_in(place, name="张建国")
    person_in(place, second, name="李桂兰")
    signed_in(client, Role.ORGANIZER, place.village)
    by_name = client.get(place.url("/households"), params={"q": "桂兰"})
    assert [row[0] for row in household_rows(by_name.text)] == ["002"]
    by_number = client.get(place.url("/households"), params={"q": "001"})
    assert [row[0] for row in household_rows(by_number.text)] == ["001"]


def test_households_page_empty_state(client, db):
    village = factories.VillageFactory()
    signed_in(client, Role.ORGANIZER, village)
    response = client.get(f"/villages/{village.id}/households")
    assert "还没有登记任何户" in response.text


def test_household_page_lists_members(client, db):
    place = make_place(db)
    person_in(place, name="张建国", is_household_representative=True)
    person_in(place, name="张远走", active=False)
    signed_in(client, Role.ORGANIZER, place.village)
    html = client.get(place.url(f"/households/{place.household.id}")).text
    assert "户代表：张建国" in html
    assert "张远走" in html and "已注销" in html
    # Only members still on the roll can be chosen as representative.
    options = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', html)
    assert [o.split("（")[0] for o in options] == ["张建国"]


def test_set_representative_swaps_and_audits(client, db):
    place = make_place(db)
    old = person_in(place, name="张建国", roll_number="1", is_household_representative=True)
    new = person_in(place, name="张秀英", roll_number="2")
    signed_in(client, Role.ORGANIZER, place.village)
    path = place.url(f"/households/{place.household.id}/representative")

    response = post_form(
        client,
        path,
        {"person_id": str(new.id)},
        page=place.url(f"/households/{place.household.id}"),
    )

    assert response.status_code == 303
    db.expire_all()
    assert not db.get(Person, old.id).is_household_representative
    assert db.get(Person, new.id).is_household_representative
    [entry] = audit_entries(db, "household.representative")
    assert entry["number"] == "001"
    assert entry["changes"] == {"representative": ["张建国 (1)", "张秀英 (2)"]}


def test_clear_representative(client, db):
    place = make_place(db)
    old = person_in(place, name="张建国", is_household_representative=True)
    signed_in(client, Role.ORGANIZER, place.village)
    page = place.url(f"/households/{place.household.id}")
    response = post_form(client, page + "/representative", {"person_id": ""}, page=page)
    assert response.status_code == 303
    db.expire_all()
    assert not db.get(Person, old.id).is_household_representative
    assert audit_entries(db, "household.representative")[0]["changes"]["representative"][1] is None


def test_representative_from_another_household_or_inactive_is_refused(client, db):
    place = make_place(db)
    other = factories.HouseholdFactory(village_id=place.village.id, number="002")
    stranger = person_in(place, other, name="李桂兰")
    gone = person_in(place, name="张远走", active=False)
    person_in(place, name="张建国")
    signed_in(client, Role.ORGANIZER, place.village)
    page = place.url(f"/households/{place.household.id}")
    before = count(db, AuditEntry)
    for person in (stranger, gone):
        response = post_form(
            client, page + "/representative", {"person_id": str(person.id)}, page=page
        )
        assert response.status_code == 422
        assert "请从本户在册的成员中选择户代表" in response.text
    db.expire_all()
    assert not db.get(Person, stranger.id).is_household_representative
    assert count(db, AuditEntry) == before


def test_household_of_another_village_is_not_found(client, db):
    place = make_place(db)
    other = make_place(db, factories.VillageFactory(township=place.village.township))
    signed_in(client, Role.ORGANIZER, place.village)
    response = client.get(place.url(f"/households/{other.household.id}"))
    assert response.status_code == 404
    assert "本村没有这一户" in response.text


def test_auditor_sees_no_representative_form(client, db):
    place = make_place(db)
    person_in(place, name="张建国")
    signed_in(client, Role.AUDITOR, place.village)
    html = client.get(place.url(f"/households/{place.household.id}")).text
    assert "设定户代表" not in html
