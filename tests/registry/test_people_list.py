"""The people list as an organizer sees it: search, filters, paging, empty state, links."""

from __future__ import annotations

import re

from app.permissions import Role
from tests import factories
from tests.registry.people_support import join, make_place, person_in, signed_in

ROW_RE = re.compile(r"<tbody>(.*?)</tbody>", re.S)


def names_shown(html: str) -> list[str]:
    """The names in the people table, in order (the second cell of each row)."""
    body = ROW_RE.search(html)
    assert body, "no people table on the page"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)
    cells = [re.findall(r"<td>(.*?)</td>", row, re.S) for row in rows]
    return [re.sub(r"<[^>]+>.*", "", c[1]).strip() for c in cells]


def test_list_shows_columns_flags_and_total(client, db):
    place = make_place(db)
    rep = person_in(
        place,
        name="张建国",
        roll_number="001-0001",
        sex="M",
        birth_year=1960,
        birth_month=1,
        is_household_representative=True,
        is_cadre=True,
    )
    join(db, rep, place.first)
    person_in(place, name="李秀英", roll_number="001-0002")
    signed_in(client, Role.ORGANIZER, place.village)

    response = client.get(place.url("/people"))

    assert response.status_code == 200
    html = response.text
    assert '<table class="table people">' in html
    assert names_shown(html) == ["张建国", "李秀英"]
    assert "共 2 人" in html
    assert "1960-01" in html
    assert "第一村民小组" in html
    assert '<span class="tag">户代表</span>' in html
    assert '<span class="tag">村干部</span>' in html
    assert '<span class="tag">村民代表</span>' not in html


def test_search_by_name_and_by_roll_number(client, db):
    place = make_place(db)
    person_in(place, name="张建国", roll_number="001-0001")
    person_in(place, name="李秀英", roll_number="001-0002")
    person_in(place, name="张桂兰", roll_number="002-0003")
    signed_in(client, Role.ORGANIZER, place.village)

    by_name = client.get(place.url("/people"), params={"q": "张"})
    assert names_shown(by_name.text) == ["张建国", "张桂兰"]
    assert "共 2 人" in by_name.text

    by_number = client.get(place.url("/people"), params={"q": "001-0002"})
    assert names_shown(by_number.text) == ["李秀英"]

    nothing = client.get(place.url("/people"), params={"q": "赵"})
    assert "没有找到符合条件的村民" in nothing.text
    assert "清除条件" in nothing.text


def test_search_treats_percent_as_a_plain_character(client, db):
    place = make_place(db)
    person_in(place, name="张建国")
    signed_in(client, Role.ORGANIZER, place.village)
    response = client.get(place.url("/people"), params={"q": "%"})
    assert "没有找到符合条件的村民" in response.text


def test_filter_by_group(client, db):
    place = make_place(db)
    first = person_in(place, name="张一组", roll_number="1")
    second = person_in(place, name="李二组", roll_number="2")
    join(db, first, place.first)
    join(db, second, place.second)
    signed_in(client, Role.ORGANIZER, place.village)

    response = client.get(place.url("/people"), params={"group": place.second.id})

    assert names_shown(response.text) == ["李二组"]
    assert f'<option value="{place.second.id}" selected>' in response.text


def test_filter_by_each_flag(client, db):
    place = make_place(db)
    flagged = {
        "villager_representative": person_in(place, name="代表", is_villager_representative=True),
        "cadre": person_in(place, name="干部", is_cadre=True),
        "association_member": person_in(place, name="会员", is_association_member=True),
        "household_representative": person_in(place, name="户主", is_household_representative=True),
    }
    person_in(place, name="普通")
    signed_in(client, Role.ORGANIZER, place.village)
    for flag, person in flagged.items():
        response = client.get(place.url("/people"), params={"flag": flag})
        assert names_shown(response.text) == [person.name], flag


def test_filter_active_inactive_and_all(client, db):
    place = make_place(db)
    person_in(place, name="在册人", roll_number="1")
    person_in(place, name="迁出人", roll_number="2", active=False)
    signed_in(client, Role.ORGANIZER, place.village)

    assert names_shown(client.get(place.url("/people")).text) == ["在册人"]
    inactive = client.get(place.url("/people"), params={"status": "inactive"})
    assert names_shown(inactive.text) == ["迁出人"]
    assert "已注销" in inactive.text
    everyone = client.get(place.url("/people"), params={"status": "all"})
    assert names_shown(everyone.text) == ["在册人", "迁出人"]


def test_paging_fifty_a_page_keeps_filters(client, db):
    place = make_place(db)
    for n in range(1, 53):
        person_in(place, name=f"村民{n:03d}", roll_number=f"R{n:03d}")
    person_in(place, name="外人", roll_number="X001")
    signed_in(client, Role.ORGANIZER, place.village)

    first = client.get(place.url("/people"), params={"q": "村民"})
    assert len(names_shown(first.text)) == 50
    assert "共 52 人" in first.text
    assert "第 1 / 2 页" in first.text
    assert "page=2" in first.text and "q=%E6%9D%91%E6%B0%91" in first.text

    second = client.get(place.url("/people"), params={"q": "村民", "page": "2"})
    assert names_shown(second.text) == ["村民051", "村民052"]
    assert "第 2 / 2 页" in second.text

    beyond = client.get(place.url("/people"), params={"q": "村民", "page": "99"})
    assert names_shown(beyond.text) == ["村民051", "村民052"]


def test_empty_village_says_what_to_do_with_links(client, db):
    place = make_place(db)
    signed_in(client, Role.ORGANIZER, place.village)
    response = client.get(place.url("/people"))
    assert response.status_code == 200
    assert "名单里还没有村民" in response.text
    assert f'href="{place.url("/people/new")}"' in response.text
    assert f'href="{place.url("/import")}"' in response.text


def test_links_to_import_export_households_and_groups(client, db):
    place = make_place(db)
    person_in(place)
    signed_in(client, Role.ORGANIZER, place.village)
    html = client.get(place.url("/people")).text
    for suffix in (
        "/people/new",
        "/import",
        "/export.csv",
        "/export.xlsx",
        "/households",
        "/groups",
    ):
        assert f'href="{place.url(suffix)}"' in html, suffix


def test_auditor_sees_the_list_without_write_links(client, db):
    place = make_place(db)
    person = person_in(place, name="张建国")
    auditor = factories.staff(Role.AUDITOR, township=place.village.township)
    from tests.conftest import sign_in

    sign_in(client, auditor.username)
    response = client.get(place.url("/people"))
    assert response.status_code == 200
    assert names_shown(response.text) == ["张建国"]
    assert place.url("/people/new") not in response.text
    assert place.url(f"/people/{person.id}/edit") not in response.text
    assert place.url("/export.csv") in response.text


def test_other_village_people_are_not_listed(client, db):
    place = make_place(db)
    other = make_place(db, factories.VillageFactory(township=place.village.township))
    person_in(place, name="本村人")
    person_in(other, name="外村人")
    signed_in(client, Role.ORGANIZER, place.village)
    assert names_shown(client.get(place.url("/people")).text) == ["本村人"]
