"""The groups pages: groups by kind with member counts, add, rename, member list."""

from __future__ import annotations

from sqlalchemy import select

from app.audit.models import AuditEntry
from app.permissions import Role
from app.registry.models import Group, GroupKind
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


def section(html: str, heading: str) -> str:
    return html.split(f"<h2>{heading}</h2>", 1)[1].split("</section>", 1)[0]


def test_groups_by_kind_with_active_member_counts(client, db):
    place = make_place(db)
    for n in range(3):
        join(db, person_in(place, roll_number=f"A{n}"), place.first)
    join(db, person_in(place, roll_number="B1", active=False), place.first)
    join(db, person_in(place, roll_number="C1"), place.women)
    signed_in(client, Role.ORGANIZER, place.village)

    html = client.get(place.url("/groups")).text

    villagers = section(html, "村民小组")
    assert "第一村民小组" in villagers and "3 人" in villagers
    assert "第二村民小组" in villagers and "0 人" in villagers
    assert "一组育龄妇女小组" in section(html, "育龄妇女小组")
    assert "协会联户组1" in section(html, "协会联户组")


def test_groups_page_empty_kind_says_so(client, db):
    village = factories.VillageFactory()
    signed_in(client, Role.ORGANIZER, village)
    html = client.get(f"/villages/{village.id}/groups").text
    assert "还没有村民小组" in html
    assert f"/villages/{village.id}/groups/new?kind=villagers" in html


def test_add_group_and_audit(client, db):
    place = make_place(db)
    signed_in(client, Role.ORGANIZER, place.village)
    response = post_form(
        client, place.url("/groups/new"), {"kind": "association", "name": "协会联户组2"}
    )
    assert response.status_code == 303
    group = db.scalar(select(Group).where(Group.name == "协会联户组2"))
    assert group is not None
    assert (group.village_id, group.kind) == (place.village.id, GroupKind.ASSOCIATION)
    [entry] = audit_entries(db, "group.create")
    assert entry == {"kind": "association", "name": "协会联户组2", "_object_id": str(group.id)}


def test_add_group_with_taken_name_or_no_kind_is_refused(client, db):
    place = make_place(db)
    signed_in(client, Role.ORGANIZER, place.village)
    before = count(db, Group), count(db, AuditEntry)

    taken = post_form(
        client, place.url("/groups/new"), {"kind": "villagers", "name": "第一村民小组"}
    )
    assert taken.status_code == 422
    assert "本村已经有叫“第一村民小组”的村民小组了" in taken.text

    no_kind = post_form(client, place.url("/groups/new"), {"kind": "", "name": "新组"})
    assert no_kind.status_code == 422
    assert "请选择小组的类别" in no_kind.text

    no_name = post_form(client, place.url("/groups/new"), {"kind": "women", "name": ""})
    assert "请填写小组名称" in no_name.text
    assert (count(db, Group), count(db, AuditEntry)) == before


def test_same_name_in_another_kind_is_fine(client, db):
    place = make_place(db)
    signed_in(client, Role.ORGANIZER, place.village)
    response = post_form(
        client, place.url("/groups/new"), {"kind": "women", "name": "第一村民小组"}
    )
    assert response.status_code == 303


def test_rename_group_and_audit_old_and_new(client, db):
    place = make_place(db)
    signed_in(client, Role.ORGANIZER, place.village)
    path = place.url(f"/groups/{place.first.id}/rename")
    assert 'value="第一村民小组"' in client.get(path).text

    response = post_form(client, path, {"name": "一组"})

    assert response.status_code == 303
    db.expire_all()
    assert db.get(Group, place.first.id).name == "一组"
    [entry] = audit_entries(db, "group.rename")
    assert entry["changes"] == {"name": ["第一村民小组", "一组"]}


def test_rename_to_a_taken_name_is_refused(client, db):
    place = make_place(db)
    signed_in(client, Role.ORGANIZER, place.village)
    path = place.url(f"/groups/{place.first.id}/rename")
    response = post_form(client, path, {"name": "第二村民小组"})
    assert response.status_code == 422
    assert "本村已经有叫“第二村民小组”的村民小组了" in response.text
    db.expire_all()
    assert db.get(Group, place.first.id).name == "第一村民小组"
    assert audit_entries(db, "group.rename") == []


def test_group_member_list(client, db):
    place = make_place(db)
    join(db, person_in(place, name="张建国", roll_number="1"), place.first)
    join(db, person_in(place, name="张远走", roll_number="2", active=False), place.first)
    join(db, person_in(place, name="李二组", roll_number="3"), place.second)
    signed_in(client, Role.AUDITOR, place.village)

    html = client.get(place.url(f"/groups/{place.first.id}")).text

    assert "在册成员 1 人" in html
    assert "张建国" in html
    assert "张远走" not in html and "李二组" not in html
    assert "改名" not in html  # an auditor changes nothing


def test_group_of_another_village_is_not_found(client, db):
    place = make_place(db)
    other = make_place(db, factories.VillageFactory(township=place.village.township))
    signed_in(client, Role.ORGANIZER, place.village)
    assert client.get(place.url(f"/groups/{other.first.id}")).status_code == 404
    response = post_form(
        client,
        place.url(f"/groups/{other.first.id}/rename"),
        {"name": "x"},
        page=place.url("/groups"),
    )
    assert response.status_code == 404
    db.expire_all()
    assert db.get(Group, other.first.id).name == "第一村民小组"
