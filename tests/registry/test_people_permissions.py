"""Who may read and who may change the registry pages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.permissions import Role
from app.registry.models import Group, Person
from tests import factories
from tests.conftest import post_form, sign_in
from tests.registry.people_support import (
    count,
    join,
    make_place,
    person_in,
    signed_in,
    valid_person_form,
)


def write_requests(place, person) -> list[tuple[str, dict[str, str]]]:
    """Every registry form (path, a valid submission) outside the roll import."""
    base = f"/people/{person.id}"
    return [
        ("/people/new", valid_person_form(place, roll_number="NEW-1")),
        (f"{base}/edit", valid_person_form(place, name="改过的名字")),
        (
            f"{base}/move",
            {
                "household_id": str(place.household.id),
                "group_villagers": str(place.second.id),
                "confirm": "1",
            },
        ),
        (f"{base}/deactivate", {"reason": "deceased", "note": ""}),
        (f"{base}/reactivate", {"note": "迁回"}),
        (f"/households/{place.household.id}/representative", {"person_id": str(person.id)}),
        ("/groups/new", {"kind": "villagers", "name": "第九村民小组"}),
        (f"/groups/{place.first.id}/rename", {"name": "新名字"}),
    ]


READ_PAGES = [
    "/people",
    "/households",
    "/households/{household}",
    "/groups",
    "/groups/{group}",
]


def read_pages(place) -> list[str]:
    return [
        place.url(page.format(household=place.household.id, group=place.first.id))
        for page in READ_PAGES
    ]


def _setup(db):
    place = make_place(db)
    person = person_in(place, name="张建国")
    join(db, person, place.first)
    return place, person


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.TELLER, Role.RECORDER, Role.GROUP_LEADER])
def test_readers_get_403_on_every_write_page_and_change_nothing(client, db, role):
    place, person = _setup(db)
    signed_in(client, role, place.village)
    before = count(db, AuditEntry), count(db, Person), count(db, Group)
    for suffix, data in write_requests(place, person):
        path = place.url(suffix)
        if not suffix.endswith("/representative"):
            page = client.get(path)
            assert page.status_code == 403, (role, "GET", suffix)
            assert "没有权限" in page.text
        response = post_form(client, path, data, page=place.url("/people"))
        assert response.status_code == 403, (role, "POST", suffix)
    assert (count(db, AuditEntry), count(db, Person), count(db, Group)) == before
    db.expire_all()
    assert db.get(Person, person.id).name == "张建国"


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.TELLER])
def test_readers_may_see_the_lists(client, db, role):
    place, _person = _setup(db)
    signed_in(client, role, place.village)
    for path in read_pages(place):
        assert client.get(path).status_code == 200, path


def test_township_admin_may_write(client, db):
    place, person = _setup(db)
    admin = factories.staff(Role.TOWNSHIP_ADMIN, township=place.village.township)
    sign_in(client, admin.username)
    data = valid_person_form(place, name="改过的名字")
    response = post_form(client, place.url(f"/people/{person.id}/edit"), data)
    assert response.status_code == 303


@pytest.mark.parametrize("role", [Role.ORGANIZER, Role.AUDITOR])
def test_user_of_another_village_gets_403_everywhere(client, db, role):
    place, person = _setup(db)
    elsewhere = factories.VillageFactory(township=place.village.township)
    user = factories.staff(role, elsewhere)
    sign_in(client, user.username)
    for path in read_pages(place):
        assert client.get(path).status_code == 403, path
    for suffix, data in write_requests(place, person):
        path = place.url(suffix)
        page = f"/villages/{elsewhere.id}/people"
        response = post_form(client, path, data, page=page)
        assert response.status_code == 403, suffix
        assert "不在您的管辖范围内" in response.text or "没有权限" in response.text
    assert db.scalar(select(Person.name).where(Person.id == person.id)) == "张建国"


def test_other_township_admin_gets_403(client, db):
    place, _person = _setup(db)
    admin = factories.staff(Role.TOWNSHIP_ADMIN)
    sign_in(client, admin.username)
    assert client.get(place.url("/people")).status_code == 403


def test_anonymous_visitor_is_sent_to_sign_in(client, db):
    place, person = _setup(db)
    for path in [*read_pages(place), place.url(f"/people/{person.id}/edit")]:
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/signin")
