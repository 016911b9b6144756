"""代写 from the issue desk to the announced result, through the pages, no mocks.

Two tellers run a round: three paper ballots are issued, two of them written with help
(one helper tried first is a candidate and refused: nothing issued until another is
chosen), and a homebound voter votes at the mobile box with her carer writing. The public
count, the opening of the box and the announcement follow; the round's pages show the
helped ballots, equal to an independent count of the records, and the ballots table
holds nothing that tells a helped ballot from another.
"""

from __future__ import annotations

import json
import re

from sqlalchemy import func, select, text

from app.registry.models import Household, Person
from ballots.models import Ballot, BallotHelp
from ballots.paper import mobile
from tests import factories
from tests.app.helpers import signed_in
from tests.ballots.box_pages import open_as_tellers
from tests.ballots.paper_support import make_scene
from tests.conftest import csrf_from, post_form
from tests.factories import PASSWORD
from tests.html import soup

POSITION_RE = re.compile(r'name="position" value="(\d+)"')


def _villager(db, village_id: int, name: str, household: Household | None = None) -> Person:  # type: ignore[no-untyped-def]
    household = household or factories.HouseholdFactory(village_id=village_id)
    return factories.PersonFactory(household=household, name=name)


def _helped_line(html: str) -> str:
    figures = soup(html).select_one("dl.channels")
    return figures.find_next_sibling("p", class_="helped").get_text(strip=True)


def test_helped_ballots_from_the_desk_to_the_public_result(app, db, client, connection):
    scene = make_scene(db, voters=6)
    round_id = scene.round.id
    desk = signed_in(app, scene.teller("王监票"))
    other = signed_in(app, scene.teller("李计票"))
    candidate = scene.person(scene.candidates[1])  # 乙
    grandchild = _villager(db, scene.village.id, "小孙女")
    neighbour = _villager(db, scene.village.id, "热心邻居")
    carer = _villager(db, scene.village.id, "护工")
    homebound = scene.entries[3]
    mobile.set_homebound(db, scene.actor, homebound, True)

    # At the desk: two ballots written with help, one without.
    def issue_with_help(entry, helper, expect):  # type: ignore[no-untyped-def]
        path = f"/rounds/{round_id}/paper/issue/{entry.id}/help"
        sent = post_form(desk, path, {"helper_id": str(helper.id)}, page=path)
        assert sent.status_code == expect, sent.text
        return sent

    refused = issue_with_help(scene.entries[0], candidate, 422)
    assert "候选人不能为选民代写" in soup(refused.text).select_one("#e-q").get_text()
    issue_with_help(scene.entries[0], grandchild, 303)
    issue_with_help(scene.entries[1], neighbour, 303)
    issue = f"/rounds/{round_id}/paper/issue"
    plain = post_form(desk, issue, {"entry_id": str(scene.entries[2].id)})
    assert plain.status_code == 303

    # At the mobile box: the carer chosen before the phone is handed over.
    help_path = f"/rounds/{round_id}/mobile/{homebound.id}/help"
    handed = post_form(desk, help_path, {"helper_id": str(carer.id)})
    ballot = handed.headers["location"]
    post_form(desk, ballot, {"mark": "丙", "step": "cast"})
    assert post_form(desk, "/account/resume", {"password": PASSWORD}).status_code == 303
    # And one more voter at the mobile box without help, to pass half the roll.
    mobile.set_homebound(db, scene.actor, scene.entries[4], True)
    hand_over = f"/rounds/{round_id}/mobile/{scene.entries[4].id}/hand-over"
    post_form(desk, hand_over, {}, page=f"/rounds/{round_id}/mobile")
    post_form(desk, ballot, {"mark": "甲", "step": "cast"})
    post_form(desk, "/account/resume", {"password": PASSWORD})

    assert _helped_line(desk.get(f"/rounds/{round_id}/turnout").text) == "代写选票 3 张"

    # Voting closes; both tellers enter the three paper ballots; the box is opened.
    organizer = signed_in(app, scene.organizer)
    page = f"/rounds/{round_id}"
    assert post_form(organizer, f"{page}/close", {}, page=page).status_code == 303
    for teller in (desk, other):
        started = post_form(teller, f"{page}/paper/counts", {"stack": "1"}, page=f"{page}/paper")
        screen = started.headers["location"]
        token = csrf_from(teller, screen)
        shown = teller.get(screen).text
        for mark in ("甲", "乙", "甲"):
            position = POSITION_RE.search(shown).group(1)
            data = {"mark": mark, "position": position, "csrf_token": token}
            shown = teller.post(screen, data=data).text
    assert post_form(desk, f"{page}/paper/close", {}, page=f"{page}/paper").status_code == 303
    open_as_tellers(app, db, round_id)
    announcer = signed_in(app, scene.teller("张监票"))
    assert post_form(announcer, f"{page}/announce", {}, page=page).status_code == 303

    # The figure equals an independent count of the records, on every page of the round.
    recorded = connection.scalar(
        text("SELECT count(*) FROM ballot_help WHERE round_id = :r"), {"r": round_id}
    )
    assert recorded == db.scalar(select(func.count()).select_from(BallotHelp)) == 3
    public = client.get(f"/public/elections/{scene.election.id}/results").text
    assert "当选：甲" in soup(public).select_one(".result").get_text()
    for html in (public, organizer.get(page).text, organizer.get(f"{page}/turnout").text):
        assert _helped_line(html) == "代写选票 3 张"
    for name in ("小孙女", "热心邻居", "护工"):
        assert name not in public  # the count only, never who helped whom

    # Five ballots counted, helped or not alike (tests/ballots/test_secrecy.py reads the
    # schema: nothing in a ballot row refers to the help).
    ballots = db.scalars(select(Ballot.marks).where(Ballot.round_id == round_id)).all()
    assert sorted(json.loads(marks)[0] for marks in ballots) == sorted(
        ["甲", "乙", "甲", "丙", "甲"]
    )
