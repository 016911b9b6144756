"""Slips go to those with something to do at the assembly (issue 18, item 5): an assembly for
two group-leader elections gives a slip to each group's voters and nobody else; a meeting
held with the same slips adds the people on its list."""

from __future__ import annotations

from sqlalchemy import select

from app.permissions import Role
from ballots.models import Electorate, Office, Stage
from meetings.models import MeetingStatus
from slips.models import Slip
from tests import factories
from tests.app.helpers import signed_in
from tests.ballots import factories_elections as fe
from tests.conftest import post_form
from tests.html import soup
from tests.meetings.meetings_support import villagers_assembly


def _holders(db, assembly):  # type: ignore[no-untyped-def]
    stmt = select(Slip.person_id).where(Slip.assembly_id == assembly.id, Slip.revoked_at.is_(None))
    return set(db.scalars(stmt))


def _issue_hint(browser, assembly) -> str:  # type: ignore[no-untyped-def]
    page = soup(browser.get(f"/assemblies/{assembly.id}").text)
    form = page.select_one(f"form[action='/assemblies/{assembly.id}/slips']")
    return form.get_text(" ", strip=True)


def test_two_group_leader_elections_give_slips_to_their_groups_only(app, db):
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    assembly = fe.assembly(db, village, title="小组长选举大会")
    first = factories.GroupFactory(village_id=village.id, name="第一组")
    second = factories.GroupFactory(village_id=village.id, name="第二组")
    groups = {
        first: fe.adults(village, 3, group_id=first.id),
        second: fe.adults(village, 2, group_id=second.id),
    }
    others = fe.adults(village, 4)  # in no group voting here
    for group, members in groups.items():
        election = fe.election(
            db,
            village,
            organizer=organizer,
            title=f"{group.name}组长选举",
            profile_name="group-meeting",
            office=Office.GROUP_LEADER,
            stage=Stage.CANDIDATES_PUBLISHED,
            assembly_id=assembly.id,
        )
        election.electorate = Electorate.GROUP
        fe.roll(db, election, members)
    browser = signed_in(app, organizer)
    assert "有事要办的有 5 人" in _issue_hint(browser, assembly)

    issued = post_form(browser, f"/assemblies/{assembly.id}/slips", {}, page="/")
    assert issued.status_code == 303
    voters = {p.id for members in groups.values() for p in members}
    assert _holders(db, assembly) == voters
    assert "有效 5 张" in browser.get(f"/assemblies/{assembly.id}").text

    # A villagers' assembly held with the same slips is for every adult: pressing again
    # adds those four, and nobody gets a second slip.
    villagers_assembly(
        db,
        village,
        organizer,
        organizer,
        title="村民会议",
        place="礼堂",
        starts_at=assembly.links_expire_at,
        status=MeetingStatus.NOTIFIED,
        assembly_id=assembly.id,
    )
    assert "有事要办的有 9 人" in _issue_hint(browser, assembly)
    post_form(browser, f"/assemblies/{assembly.id}/slips", {}, page="/")
    assert _holders(db, assembly) == voters | {p.id for p in others}
    assert "有效 9 张" in browser.get(f"/assemblies/{assembly.id}").text


def test_an_assembly_nothing_points_at_yet_gives_every_adult_a_slip(app, db):
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    assembly = fe.assembly(db, village)
    people = fe.adults(village, 3)
    browser = signed_in(app, organizer)
    assert "还没有关联选举、会议、问卷或征求意见" in _issue_hint(browser, assembly)
    post_form(browser, f"/assemblies/{assembly.id}/slips", {}, page="/")
    assert _holders(db, assembly) == {p.id for p in people}
