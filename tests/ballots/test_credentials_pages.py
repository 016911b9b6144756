"""The organizer's assembly and slip pages: create, link, issue, print, reissue."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from app.actors import Actor
from app.audit.models import AuditEntry
from app.db import utcnow
from app.permissions import Role
from app.qr import qr_svg
from app.templating import CHINA_TIME
from ballots.models import Stage
from slips.links import slip_short_code, slip_token
from slips.models import Assembly, Slip
from slips.services import issue_slips
from tests import factories
from tests.app.helpers import signed_in, table_counts
from tests.ballots import factories_elections as fe
from tests.conftest import post_form
from tests.html import soup

ACTOR = Actor(label="测试")


def _organizer(app, village):
    return signed_in(app, factories.staff(Role.ORGANIZER, village))


def test_an_organizer_creates_an_assembly(app, db):
    village = factories.VillageFactory()
    browser = _organizer(app, village)
    tomorrow = (utcnow().astimezone(CHINA_TIME) + timedelta(days=1)).date()
    response = post_form(
        browser,
        f"/villages/{village.id}/assemblies/new",
        {
            "title": "2026 年换届选举大会",
            "held_on": tomorrow.isoformat(),
            "place": "村委会",
            "expires_on": tomorrow.isoformat(),
            "expires_time": "18:30",
        },
    )
    assert response.status_code == 303, response.text
    (assembly,) = db.scalars(select(Assembly).where(Assembly.village_id == village.id))
    assert response.headers["location"] == f"/assemblies/{assembly.id}"
    assert assembly.links_expire_at.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M") == (
        f"{tomorrow.isoformat()} 18:30"
    )
    assert db.scalar(select(func.count()).where(AuditEntry.action == "assembly.create")) == 1
    listing = browser.get(f"/villages/{village.id}/assemblies")
    assert "2026 年换届选举大会" in listing.text


def test_a_bad_assembly_form_says_what_to_fix_and_writes_nothing(app, db, connection):
    village = factories.VillageFactory()
    browser = _organizer(app, village)
    before = table_counts(connection)
    response = post_form(
        browser,
        f"/villages/{village.id}/assemblies/new",
        {"title": "", "held_on": "2026-6-1x", "expires_on": "2020-01-01", "expires_time": "25:00"},
    )
    assert response.status_code == 422
    for message in ("请填写会议名称", "要写成 2026-05-01 这样的日期", "时间要写成 18:00 这样"):
        assert message in response.text
    assert table_counts(connection) == before


def test_elections_are_linked_and_slips_issued_from_the_assembly_page(app, db):
    village = factories.VillageFactory()
    meeting = fe.assembly(db, village)
    contest = fe.election(db, village, stage=Stage.CANDIDATES_PUBLISHED)
    fe.election(db, village, title="已计票的选举", stage=Stage.COUNTING)
    voters = fe.adults(village, 3)[:2]
    fe.roll(db, contest, voters)  # the third adult has no ballot at this assembly
    browser = _organizer(app, village)
    page = browser.get(f"/assemblies/{meeting.id}")
    assert page.status_code == 200
    assert contest.title in page.text and "已计票的选举" not in page.text

    refused = post_form(
        browser, f"/assemblies/{meeting.id}/elections", {"election_id": "999999"}, page="/"
    )
    assert refused.status_code == 422 and "请从列表里选择" in refused.text
    linked = post_form(
        browser, f"/assemblies/{meeting.id}/elections", {"election_id": str(contest.id)}, page="/"
    )
    assert linked.status_code == 303
    db.refresh(contest)
    assert contest.assembly_id == meeting.id

    issued = post_form(browser, f"/assemblies/{meeting.id}/slips", {}, page="/")
    assert issued.status_code == 303
    holders = db.scalars(select(Slip.person_id).where(Slip.assembly_id == meeting.id)).all()
    assert sorted(holders) == sorted(p.id for p in voters)
    assert "有效 2 张" in browser.get(f"/assemblies/{meeting.id}").text


def test_the_slip_sheet_lists_name_group_qr_and_code_by_group_then_household(app, db, settings):
    village = factories.VillageFactory()
    meeting = fe.assembly(db, village)
    second = factories.GroupFactory(village_id=village.id, name="第二组")
    first = factories.GroupFactory(village_id=village.id, name="第一组")
    people = {}
    for name, group, number in [
        ("乙", second, "H2"),
        ("甲", second, "H1"),
        ("丙", first, "H3"),
        ("丁", None, "H0"),
    ]:
        household = factories.HouseholdFactory(village_id=village.id, number=number)
        person = factories.PersonFactory(household=household, name=name)
        if group is not None:
            factories.MembershipFactory(person_id=person.id, group_id=group.id)
        people[name] = person
    issue_slips(db, ACTOR, meeting, settings=settings)
    browser = _organizer(app, village)

    sheet = browser.get(f"/assemblies/{meeting.id}/slips/sheet")
    assert sheet.status_code == 200
    assert re.findall(r'<p class="slip-name">([^<]+)</p>', sheet.text) == ["丙", "甲", "乙", "丁"]
    assert sheet.text.count("<svg") == 4
    slips = {s.person_id: s for s in db.scalars(select(Slip))}
    for person in people.values():
        slip = slips[person.id]
        assert slip_short_code(settings, slip) in sheet.text
        # The QR holds the absolute link a phone opens (the drawing is deterministic).
        link = "http://testserver/s/" + slip_token(settings, slip)
        assert qr_svg(link) in sheet.text
    page = soup(sheet.text)
    first_slip = page.select_one("li.slip")
    lines = [p.get_text(strip=True) for p in first_slip.select(".slip-line")]
    assert lines == ["第一组", "H3 户", f"编号 {people['丙'].roll_number}"]
    hint = first_slip.select_one(".slip-hint").get_text(strip=True)
    # One hint for every use of the slip (voting, check-in, surveys), not "扫码投票".
    assert hint == "用手机扫码打开；扫不了就在 http://testserver/s 输入上面的号码"
    assert "<script" not in sheet.text

    one_group = browser.get(f"/assemblies/{meeting.id}/slips/sheet?group={second.id}")
    assert re.findall(r'<p class="slip-name">([^<]+)</p>', one_group.text) == ["甲", "乙"]


def test_slip_sheets_are_for_organizers_only(app, db, settings):
    village = factories.VillageFactory()
    meeting = fe.assembly(db, village)
    fe.adults(village, 1)
    (slip,) = issue_slips(db, ACTOR, meeting, settings=settings)
    for role in (Role.GROUP_LEADER, Role.TELLER, Role.RECORDER):
        browser = signed_in(app, factories.staff(role, village))
        assert browser.get(f"/assemblies/{meeting.id}").status_code == 200
        for path in (
            f"/assemblies/{meeting.id}/slips/sheet",
            f"/assemblies/{meeting.id}/slips/{slip.id}",
        ):
            response = browser.get(path)
            assert response.status_code == 403 and "没有权限" in response.text


def test_another_villages_assembly_is_out_of_reach(app, db, connection, settings):
    village = factories.VillageFactory()
    other = factories.VillageFactory(township=village.township)
    meeting = fe.assembly(db, other)
    fe.adults(other, 1)
    (slip,) = issue_slips(db, ACTOR, meeting, settings=settings)
    browser = _organizer(app, village)
    before = table_counts(connection)
    for path in (
        f"/assemblies/{meeting.id}",
        f"/assemblies/{meeting.id}/slips/sheet",
        f"/assemblies/{meeting.id}/slips/{slip.id}",
    ):
        response = browser.get(path)
        assert response.status_code == 403 and "这个村不在您的管辖范围内" in response.text
    response = post_form(
        browser, f"/assemblies/{meeting.id}/slips/{slip.id}/reissue", {"reason": "丢失"}, page="/"
    )
    assert response.status_code == 403
    assert table_counts(connection) == before


def test_a_lost_slip_is_found_revoked_and_reissued(app, db, settings):
    village = factories.VillageFactory()
    meeting = fe.assembly(db, village)
    (person,) = fe.adults(village, 1)
    (old,) = issue_slips(db, ACTOR, meeting, settings=settings)
    old_code = slip_short_code(settings, old)
    browser = _organizer(app, village)

    found = browser.get(f"/assemblies/{meeting.id}?q={person.name}")
    assert f"/assemblies/{meeting.id}/slips/{old.id}" in found.text
    detail = browser.get(f"/assemblies/{meeting.id}/slips/{old.id}")
    assert old_code in detail.text and "<svg" in detail.text

    reissue = f"/assemblies/{meeting.id}/slips/{old.id}/reissue"
    empty = post_form(browser, reissue, {"reason": ""}, page="/")
    assert empty.status_code == 422 and "请填写补发原因" in empty.text
    db.refresh(old)
    assert old.revoked_at is None

    done = post_form(browser, reissue, {"reason": "纸条丢失"}, page="/")
    assert done.status_code == 303
    db.refresh(old)
    new = db.scalar(select(Slip).where(Slip.replaces_id == old.id))
    assert old.revoked_reason == "纸条丢失" and new is not None
    assert done.headers["location"] == f"/assemblies/{meeting.id}/slips/{new.id}"
    page = browser.get(done.headers["location"])
    assert slip_short_code(settings, new) in page.text
    assert "旧二维码已作废" in page.text
    assert "已作废：纸条丢失" in browser.get(f"/assemblies/{meeting.id}?q={person.name}").text


def test_namesakes_of_one_household_are_told_apart_by_their_birth_year(app, db, settings):
    village = factories.VillageFactory()
    meeting = fe.assembly(db, village)
    household = factories.HouseholdFactory(village_id=village.id, number="016")
    for year in (1958, 1990):
        factories.PersonFactory(household=household, name="马浩然", birth_year=year)
    other = factories.HouseholdFactory(village_id=village.id, number="017")
    factories.PersonFactory(household=other, name="马浩然", birth_year=1970)
    issue_slips(db, ACTOR, meeting, settings=settings)
    sheet = soup(_organizer(app, village).get(f"/assemblies/{meeting.id}/slips/sheet").text)
    who = {
        " ".join(p.get_text(strip=True) for p in slip.select(".slip-who p"))
        for slip in sheet.select("li.slip")
    }
    assert len(who) == 3  # no two slips alike
    years = sorted(
        line.get_text(strip=True).split("（")[-1]
        for line in sheet.select(".slip-line")
        if "年生" in line.get_text()
    )
    assert years == ["1958 年生）", "1990 年生）"]  # only the two who share household 016


def test_groups_are_offered_as_a_person_counts_them(app, db, settings):
    village = factories.VillageFactory()
    meeting = fe.assembly(db, village)
    for name in ("第三村民小组", "第十村民小组", "第一村民小组", "第二村民小组"):
        group = factories.GroupFactory(village_id=village.id, name=name)
        fe.adults(village, 1, group_id=group.id)
    issue_slips(db, ACTOR, meeting, settings=settings)
    page = soup(_organizer(app, village).get(f"/assemblies/{meeting.id}").text)
    options = [o.get_text(strip=True) for o in page.select("#f-group option")][1:]
    assert options == ["第一村民小组", "第二村民小组", "第三村民小组", "第十村民小组"]
