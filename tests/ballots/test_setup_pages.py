"""Organizer pages: election list, create form, election page and its stage button, the
roll and the public roll page (real app over the test database)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from app.registry.rules import today_in_china
from ballots import setup
from ballots.models import Election, RollEntry, Stage
from tests.app.helpers import table_counts
from tests.ballots.setup_support import election, person, place
from tests.conftest import post_form, sign_in
from tests.html import soup


def _signed_in(client, db, voters=3):
    where = place(db, voters=voters)
    sign_in(client, where.organizer.username)
    return where


def _elections(db):
    return db.scalar(select(func.count()).select_from(Election))


def test_home_links_to_the_village_elections(client, db):
    where = _signed_in(client, db)
    page = client.get("/")
    assert f'href="/villages/{where.village.id}/elections"' in page.text


def test_election_list_shows_elections_and_the_create_button(client, db):
    where = _signed_in(client, db)
    election(db, where, election_day=today_in_china() + timedelta(days=40))
    page = client.get(f"/villages/{where.village.id}/elections")
    assert page.status_code == 200
    assert "2026年计生主任选举" in page.text and "准备" in page.text
    assert "新建选举" in page.text


def test_create_form_refuses_with_messages_beside_fields_and_writes_nothing(client, db):
    where = _signed_in(client, db)
    path = f"/villages/{where.village.id}/elections/new"
    response = post_form(
        client,
        path,
        {"title": "", "office": "other", "electorate": "village", "seats": "0",
         "election_day": "2020-01-01", "roll_publication_days": "abc"},
    )  # fmt: skip
    assert response.status_code == 422
    text = response.text
    assert "请填写选举名称。" in text
    assert "应选人数请填 1 到 50 之间的整数。" in text
    assert "选举日不能早于今天" in text
    assert "选民名单至少公示天数请填 0 到 365 之间的整数" in text
    assert 'id="e-title"' in text and 'aria-invalid="true"' in text
    assert _elections(db) == 0


def test_create_form_reports_database_checks_beside_fields(client, db):
    where = _signed_in(client, db)
    path = f"/villages/{where.village.id}/elections/new"
    day = (today_in_china() + timedelta(days=40)).isoformat()
    response = post_form(
        client,
        path,
        {"title": "计生协会副会长选举", "office": "other", "electorate": "village",
         "seats": "1", "election_day": day},
    )  # fmt: skip
    assert response.status_code == 422
    assert "请写明职务名称，例如：计生协会副会长。" in response.text
    assert _elections(db) == 0


def test_a_group_number_too_long_to_store_is_refused_beside_its_field(client, db, connection):
    """A forged group_id of 21 digits is no group: a 422 naming the field, not a 500."""
    where = _signed_in(client, db)
    path = f"/villages/{where.village.id}/elections/new"
    day = (today_in_china() + timedelta(days=40)).isoformat()
    before = table_counts(connection)
    response = post_form(
        client,
        path,
        {"title": "第一组组长选举", "office": "group_leader", "electorate": "group",
         "group_id": "100000000000000000000", "seats": "1", "election_day": day},
    )  # fmt: skip
    assert response.status_code == 422
    field = re.search(r'<select[^>]*name="group_id"[^>]*>', response.text)
    assert field is not None and 'aria-invalid="true"' in field.group(0)
    assert '<p class="error" id="e-group_id">请从列表里选择小组。</p>' in response.text
    assert table_counts(connection) == before


def test_create_election_then_see_its_page(client, db):
    where = _signed_in(client, db)
    path = f"/villages/{where.village.id}/elections/new"
    day = today_in_china() + timedelta(days=40)
    response = post_form(
        client,
        path,
        {"title": "第一组组长选举", "office": "group_leader", "electorate": "group",
         "group_id": str(where.group.id), "seats": "1", "election_day": day.isoformat(),
         "objection_days": "3"},
    )  # fmt: skip
    assert response.status_code == 303
    created = db.scalar(select(Election))
    assert created.profile_name == "group-meeting"  # the office's default
    assert created.group_id == where.group.id
    assert setup.profile_for(created).objection_days == 3
    assert response.headers["location"] == f"/elections/{created.id}"
    page = client.get(response.headers["location"])
    assert "已创建选举“第一组组长选举”" in page.text
    assert re.search(r'aria-current="step"><strong>准备</strong>', page.text)
    assert "第一组" in page.text


def test_the_stage_button_says_why_not_then_publishes_the_roll(client, db, connection):
    where = _signed_in(client, db)
    found = election(db, where, election_day=today_in_china() + timedelta(days=30))
    page = client.get(f"/elections/{found.id}")
    assert "现在还不能“公示选民名单”" in page.text
    assert "选民名单是空的，不能公示" in page.text
    refused = post_form(
        client, f"/elections/{found.id}/advance", {"target": "roll_published"},
        page=f"/elections/{found.id}",
    )  # fmt: skip
    assert refused.status_code == 409
    assert "还不能进入下一阶段" in refused.text
    db.refresh(found)
    assert found.stage is Stage.DRAFT
    built = post_form(
        client, f"/elections/{found.id}/roll/build", {}, page=f"/elections/{found.id}/roll"
    )
    assert built.status_code == 303
    assert "选民名单已生成，共 3 人" in client.get(built.headers["location"]).text
    done = post_form(
        client, f"/elections/{found.id}/advance", {"target": "roll_published"},
        page=f"/elections/{found.id}",
    )  # fmt: skip
    assert done.status_code == 303
    db.refresh(found)
    assert found.stage is Stage.ROLL_PUBLISHED
    assert found.roll_published_on == today_in_china()
    assert "选举已进入“选民名单公示”阶段" in client.get(f"/elections/{found.id}").text


def test_unknown_stage_target_is_refused(client, db):
    where = _signed_in(client, db)
    found = election(db, where, election_day=today_in_china() + timedelta(days=30))
    response = post_form(
        client, f"/elections/{found.id}/advance", {"target": "certified"},
        page=f"/elections/{found.id}",
    )  # fmt: skip
    assert response.status_code == 404
    db.refresh(found)
    assert found.stage is Stage.DRAFT


def test_roll_page_lists_voters_with_group_and_search(client, db):
    where = _signed_in(client, db)
    found = election(db, where, election_day=today_in_china() + timedelta(days=30))
    # Roll numbers chosen against the group order, so only group order can explain it.
    person(where.village, where.other_group, name="李红", roll_number="A0001")
    person(where.village, name="孤零", roll_number="Z9999")
    setup.build_roll(db, where.actor, found)
    page = client.get(f"/elections/{found.id}/roll")
    assert page.status_code == 200
    assert "共 5 人" in page.text and "第二组" in page.text and "李红" in page.text
    # Posted by group: the second group's 李红 after every voter of the first group.
    assert page.text.index("李红") > page.text.index("选民2")
    assert page.text.index("孤零") < page.text.index("选民0")  # no group: listed first
    found_page = client.get(f"/elections/{found.id}/roll?q=李")
    assert "李红" in found_page.text and "选民0" not in found_page.text


def test_public_roll_is_hidden_until_published_then_shows_names_and_groups_only(client, db):
    where = place(db, voters=2)
    special = person(where.village, where.group, name="赵六", birth_year=1961, birth_month=3)
    found = election(db, where, election_day=today_in_china() + timedelta(days=30))
    setup.build_roll(db, where.actor, found)
    hidden = client.get(f"/public/elections/{found.id}/roll")
    assert hidden.status_code == 404
    assert "这份选民名单还没有公示" in hidden.text
    setup.advance(db, where.actor, found, Stage.ROLL_PUBLISHED, today_in_china())
    objection = setup.file_objection(
        db, where.actor, found, person_id=where.people[0].id, filed_by="王五", text="已迁出",
        today=today_in_china(),
    )  # fmt: skip
    setup.decide_objection(
        db, where.actor, objection, upheld=True, reason="经核实已迁出", today=today_in_china()
    )
    page = client.get(f"/public/elections/{found.id}/roll")  # anonymous
    assert page.status_code == 200
    assert "赵六" in page.text and "第一组" in page.text
    assert "共 2 人" in page.text
    assert special.roll_number not in page.text and "1961" not in page.text
    assert "关于 选民0：异议成立。理由：经核实已迁出" in page.text
    struck = db.scalar(select(RollEntry).where(RollEntry.person_id == where.people[0].id))
    assert struck.struck


def test_edit_a_draft_election(client, db):
    where = _signed_in(client, db)
    found = election(db, where, election_day=today_in_china() + timedelta(days=30))
    later = (today_in_china() + timedelta(days=60)).isoformat()
    response = post_form(
        client, f"/elections/{found.id}/edit",
        {"title": "改过的名字", "seats": "2", "election_day": later},
    )  # fmt: skip
    assert response.status_code == 303
    db.refresh(found)
    assert (found.title, found.seats, found.election_day.isoformat()) == ("改过的名字", 2, later)


def test_a_refused_local_rule_opens_its_section_so_the_message_is_seen(client, db):
    where = _signed_in(client, db)
    path = f"/villages/{where.village.id}/elections/new"
    day = (today_in_china() + timedelta(days=40)).isoformat()
    blank = soup(client.get(path).text).select_one("form details")
    assert not blank.has_attr("open")  # folded away when nothing in it is set
    response = post_form(
        client,
        path,
        {"title": "计生主任选举", "office": "director", "electorate": "village", "seats": "1",
         "election_day": day, "roll_publication_days": "abc"},
    )  # fmt: skip
    assert response.status_code == 422
    section = soup(response.text).select_one("form details")
    assert section.has_attr("open")
    message = section.select_one("#e-roll_publication_days").get_text(strip=True)
    assert "选民名单至少公示天数请填 0 到 365 之间的整数" in message
