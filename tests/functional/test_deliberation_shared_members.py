"""A deliberation round to a villagers' group and a women's group that share members,
through the real pages (issue 14, "Lost people and dead ends").

The organizer opens the round on its form. 李桂英 and 王秀英 sit in both groups; 张建军
and 刘大伟 only in the villagers' group, 陈小红 only in the women's group; the villagers'
group also lists a child, who gets no slip and counts nowhere. Each adult's slip opens the
round once per group of theirs; each votes in each group. The women's group leader sees
every one of her members (the shared ones too) and enters 陈小红's opinion from paper.
The coverage page and the township's assessment count each group's own members, and the
round's people once each.
"""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from starlette.testclient import TestClient

from app.actors import SYSTEM
from app.permissions import Role
from app.registry.models import GroupKind
from app.registry.rules import today_in_china
from assessment.participation import Ratio, participation
from compacts.models import Comment, DeliberationRound, MemberVote
from slips.holders import assembly_audience
from slips.links import slip_token
from slips.services import issue_slips
from tests import factories
from tests.app.helpers import second_client, signed_in
from tests.ballots import factories_elections as fe
from tests.compacts.rounds_support import version_of
from tests.conftest import csrf_from
from tests.html import soup

BOTH = ("李桂英", "王秀英")
VILLAGERS_ONLY = ("张建军", "刘大伟")
WOMEN_ONLY = ("陈小红",)


def post(browser: TestClient, path: str, data: dict[str, Any], page: str) -> Any:
    return browser.post(path, data={**data, "csrf_token": csrf_from(browser, page)})


def _rows(html: str) -> dict[str, list[str]]:
    """The coverage table: each row's heading -> its first three figures."""
    table = soup(html).select_one("table.coverage")
    assert table is not None
    return {
        row.select_one("th").get_text(strip=True): [
            td.get_text(strip=True) for td in row.select("td")[:3]
        ]
        for row in table.select("tbody tr, tfoot tr")
    }


def test_two_groups_that_share_members_each_hear_all_of_theirs(app, db, settings):
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    leader = factories.staff(Role.GROUP_LEADER, village)
    villagers = factories.GroupFactory(village_id=village.id, name="第一村民小组")
    women = factories.GroupFactory(
        village_id=village.id, name="一组育龄妇女小组", kind=GroupKind.WOMEN
    )
    people = {}
    for name, person in zip(BOTH + VILLAGERS_ONLY + WOMEN_ONLY, fe.adults(village, 5), strict=True):
        person.name = name
        people[name] = person
    child = factories.PersonFactory(
        household=people["张建军"].household,
        name="张小宝",
        birth_year=today_in_china().year - 9,
        birth_month=3,
    )
    for name in (*BOTH, *VILLAGERS_ONLY):
        factories.MembershipFactory(person_id=people[name].id, group_id=villagers.id)
    factories.MembershipFactory(person_id=child.id, group_id=villagers.id)
    for name in (*BOTH, *WOMEN_ONLY):
        factories.MembershipFactory(
            person_id=people[name].id, group_id=women.id, kind=GroupKind.WOMEN
        )
    assembly = fe.assembly(db, village, title="公约征求意见")
    compact = factories.CompactFactory(village_id=village.id, created_by_id=organizer.id)
    version = version_of(db, compact, organizer)

    staff = signed_in(app, organizer)
    new = f"/compacts/{compact.id}/rounds/new"
    opened = post(
        staff,
        new,
        {
            "version_id": str(version.id),
            "groups": [str(villagers.id), str(women.id)],
            "deadline": (today_in_china() + timedelta(days=7)).isoformat(),
            "assembly_id": str(assembly.id),
        },
        new,
    )
    assert opened.status_code == 303
    round_ = db.scalars(select(DeliberationRound)).one()

    # Slips go to the five adults, not to the child.
    audience = assembly_audience(db, assembly)
    assert audience == {p.id for p in people.values()}
    slips = issue_slips(db, SYSTEM, assembly, sorted(audience), settings=settings)
    token = {s.person_id: slip_token(settings, s) for s in slips}

    # Every adult finds one link per group of theirs on the slip page and votes in each.
    expected_links = {
        **{name: ["第一村民小组", "一组育龄妇女小组"] for name in BOTH},
        **{name: ["第一村民小组"] for name in VILLAGERS_ONLY},
        **{name: ["一组育龄妇女小组"] for name in WOMEN_ONLY},
    }
    for name, groups in expected_links.items():
        if name == "陈小红":
            continue  # she gives her opinion on paper to her leader
        phone = second_client(app)
        slip = soup(phone.get(f"/s/{token[people[name].id]}").text)
        links = slip.select(f"a[href*='/compacts/rounds/{round_.id}/groups/']")
        assert [a.get_text(strip=True) for a in links] == [f"村规民约征求意见：{g}" for g in groups]
        for link in links:
            page = str(link["href"])
            voted = post(phone, page + "/vote", {"choice": "approve"}, page)
            assert voted.status_code == 200 and "已投票" in voted.text
    post_comment = f"/s/{token[people['李桂英'].id]}/compacts/rounds/{round_.id}/groups/{women.id}"
    commented = post(
        second_client(app),
        post_comment + "/comment",
        {"article": "1", "text": "妇女小组希望写上照顾老人"},
        post_comment,
    )
    assert commented.status_code == 200

    # Each leader's page lists every adult member of the group, shared ones included.
    lead = signed_in(app, leader)
    for group, names in ((villagers, (*BOTH, *VILLAGERS_ONLY)), (women, (*BOTH, *WOMEN_ONLY))):
        page = soup(lead.get(f"/compacts/rounds/{round_.id}/groups/{group.id}").text)
        shown = {
            li.select_one("strong").get_text(strip=True): " ".join(li.get_text().split())
            for li in page.select("ul.cards li")
        }
        assert sorted(shown) == sorted(names)
        assert "张小宝" not in page.get_text()
        for name in names:
            assert ("已投票" in shown[name]) == (name != "陈小红"), (group.name, name)
        for chooser in page.select("select[name=person_id]"):
            options = [o.get_text() for o in chooser.select("option") if o.get("value")]
            assert sorted(options) == sorted(names)
    paper = f"/compacts/rounds/{round_.id}/groups/{women.id}"
    entered = post(
        lead,
        paper + "/vote",
        {"person_id": str(people["陈小红"].id), "choice": "reject"},
        paper,
    )
    assert entered.status_code == 303

    # The ledger: shared members voted once in each group, nobody twice in one.
    votes = db.scalars(select(MemberVote).where(MemberVote.round_id == round_.id)).all()
    by_group: dict[int, list[int]] = {}
    for vote in votes:
        by_group.setdefault(vote.group_id, []).append(vote.person_id)
    assert sorted(by_group[villagers.id]) == sorted(people[n].id for n in (*BOTH, *VILLAGERS_ONLY))
    assert sorted(by_group[women.id]) == sorted(people[n].id for n in (*BOTH, *WOMEN_ONLY))
    assert db.scalars(select(Comment.group_id)).all() == [women.id]

    # The organizer's coverage page: each group's own members; the round once per person.
    rows = _rows(staff.get(f"/compacts/rounds/{round_.id}").text)
    assert rows == {
        "第一村民小组": ["4", "4", "100%"],
        "一组育龄妇女小组": ["3", "3", "100%"],
        "全部小组（每人算一次）": ["5", "5", "100%"],
    }

    # The township's assessment agrees: 5 people, 5 took part, counted once each.
    (figure,) = [
        f for f in participation(db, village.id, round_.deadline.year) if f.code == "deliberation"
    ]
    assert figure.overall == Ratio(5, 5)
    table = {r["group"]: (r["members"], r["reached"], r["share"]) for r in figure.tables[0].rows}
    assert table == {
        "第一村民小组": (4, 4, Fraction(1)),
        "一组育龄妇女小组": (3, 3, Fraction(1)),
        "全部小组（每人算一次）": (5, 5, Fraction(1)),
    }
