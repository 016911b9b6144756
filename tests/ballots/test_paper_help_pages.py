"""代写 through HTTP: the teller's 请谁代写？ step at the issue desk and at the mobile box,
refusals beside the field, and the count of helped ballots on the round's pages."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from app.registry.models import Household, Person
from ballots.models import BallotHelp, Channel
from ballots.paper import help as helping
from ballots.paper import mobile
from ballots.results import services as results
from tests import factories
from tests.app.helpers import signed_in, table_counts
from tests.ballots.paper_support import Scene, make_scene, uses
from tests.ballots.results_support import ELECTION_DAY, make_poll
from tests.conftest import post_form, sign_in
from tests.factories import PASSWORD
from tests.html import soup

BALLOT = "/mobile-ballot"
RESUME = "/account/resume"


def _helps(db) -> list[tuple[int, int, Channel]]:  # type: ignore[no-untyped-def]
    rows = db.scalars(select(BallotHelp).order_by(BallotHelp.id))
    return [(h.roll_entry_id, h.helper_person_id, h.channel) for h in rows]


def _villager(scene: Scene, name: str, household: Household | None = None) -> Person:
    household = household or factories.HouseholdFactory(village_id=scene.village.id)
    return factories.PersonFactory(household=household, name=name)


def _cards(page) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The helper search's results: each person's card by name."""
    return {
        card.select_one("strong").get_text(strip=True): card for card in page.select(".helpers li")
    }


def _paper_help_path(scene: Scene, entry) -> str:  # type: ignore[no-untyped-def]
    return f"/rounds/{scene.round.id}/paper/issue/{entry.id}/help"


# At the issue desk ---------------------------------------------------------------------------


def test_a_teller_issues_a_paper_ballot_written_by_the_helper_the_voter_names(db, client):
    scene = make_scene(db)
    sign_in(client, scene.teller().username)
    voter = scene.entries[0]
    name = scene.person(voter).name
    helper = _villager(scene, "王小明")
    issue = f"/rounds/{scene.round.id}/paper/issue"

    found = soup(client.get(issue, params={"q": name}).text)
    (link,) = [a for a in found.select("tbody a") if a.get_text(strip=True) == "选民请人代写"]
    target = urlsplit(link["href"])
    assert target.path == _paper_help_path(scene, voter)
    assert parse_qs(target.query) == {"back": [name]}

    step = soup(client.get(link["href"], params={"q": "王小"}).text)
    assert step.select_one("h1").get_text(strip=True) == "请谁代写？"
    assert f"选民：{name}" in step.select_one("p.lead").get_text()
    card = _cards(step)["王小明"]
    button = card.select_one("form button")
    assert button.get_text(strip=True) == "由 王小明 代写，发给选票"
    assert card.select_one("input[name=helper_id]")["value"] == str(helper.id)

    chosen = post_form(
        client,
        _paper_help_path(scene, voter),
        {"helper_id": str(helper.id), "q": "王小", "back": name},
    )
    assert chosen.status_code == 303
    back = urlsplit(chosen.headers["location"])
    assert (back.path, parse_qs(back.query)) == (issue, {"q": [name]})
    after = soup(client.get(chosen.headers["location"]).text)
    assert after.select_one(".flash").get_text(strip=True) == (
        f"已发给 {name} 一张纸质选票，记录了由 王小明 代写。"
    )
    cell = after.select_one("tbody tr td:last-child").get_text(" ", strip=True)
    assert "已投票（纸质选票）" in cell and "由 王小明 代写" in cell
    assert [u.channel for u in uses(db, scene.round)] == [Channel.PAPER]
    assert _helps(db) == [(voter.id, helper.id, Channel.PAPER)]

    # The step page now says so and offers nothing more.
    again = soup(client.get(_paper_help_path(scene, voter), params={"q": "王小"}).text)
    assert "已经记录了由 王小明 代写" in again.select_one("p.empty").get_text()
    assert again.select("main form[method=post]") == []


def test_a_candidate_is_shown_refused_and_a_forced_choice_is_refused_beside_the_field(
    db, client, connection
):
    scene = make_scene(db)
    sign_in(client, scene.teller().username)
    voter = scene.entries[0]
    candidate = scene.person(scene.candidates[1])  # 乙
    path = _paper_help_path(scene, voter)

    listed = _cards(soup(client.get(path, params={"q": "乙"}).text))["乙"]
    assert listed.select_one("p.error").get_text(strip=True) == (
        "候选人不能为选民代写：乙 是本轮的候选人。请选民另请一位代写人。"
    )
    assert listed.select("button") == []

    before = table_counts(connection)
    refused = post_form(client, path, {"helper_id": str(candidate.id), "q": "乙"}, page=path)
    assert refused.status_code == 422
    page = soup(refused.text)
    assert page.select_one("#e-q").get_text(strip=True) == (
        "候选人不能为选民代写：乙 是本轮的候选人。请选民另请一位代写人。"
    )
    assert page.select_one("#f-q")["aria-invalid"] == "true"
    assert page.select_one("#f-q")["value"] == "乙"
    # Nothing written, the ballot not issued: the teller may choose another helper.
    assert table_counts(connection) == before
    assert uses(db, scene.round) == [] and _helps(db) == []


def test_a_candidates_household_member_is_refused_with_the_reason(db, client, connection):
    scene = make_scene(db)
    sign_in(client, scene.teller().username)
    voter = scene.entries[0]
    candidate = scene.person(scene.candidates[0])  # 甲
    household = db.get(Household, candidate.household_id)
    wife = _villager(scene, "甲的妻子", household)
    path = _paper_help_path(scene, voter)

    before = table_counts(connection)
    refused = post_form(client, path, {"helper_id": str(wife.id), "q": "妻子"}, page=path)
    assert refused.status_code == 422
    assert soup(refused.text).select_one("#e-q").get_text(strip=True) == (
        "候选人的家庭成员不能代写：甲的妻子 与候选人 甲 同户。请选民另请一位代写人。"
    )
    assert table_counts(connection) == before
    # Beside her in the search: the same reason, and no button.
    card = _cards(soup(refused.text))["甲的妻子"]
    assert "与候选人 甲 同户" in card.select_one("p.error").get_text()


def test_the_voter_and_a_missing_choice_are_refused_beside_the_field(db, client):
    scene = make_scene(db)
    sign_in(client, scene.teller().username)
    voter = scene.entries[0]
    path = _paper_help_path(scene, voter)
    own = post_form(client, path, {"helper_id": str(voter.person_id)}, page=path)
    assert own.status_code == 422
    assert "选民不能给自己代写" in soup(own.text).select_one("#e-q").get_text()
    nobody = post_form(client, path, {"helper_id": "x"}, page=path)
    assert nobody.status_code == 422
    assert "请在查找结果里点选" in soup(nobody.text).select_one("#e-q").get_text()
    assert uses(db, scene.round) == []


def test_a_voter_who_has_voted_gets_no_helper_step(db, client):
    scene = make_scene(db)
    sign_in(client, scene.teller().username)
    voter = scene.entries[0]
    helper = _villager(scene, "邻居")
    mobile.set_homebound(db, scene.actor, voter, True)
    mobile.cast_at_mobile_box(db, scene.round, voter, ["甲"])
    path = _paper_help_path(scene, voter)
    page = soup(client.get(path, params={"q": "邻居"}).text)
    assert "已经投过票了（流动票箱）" in page.select_one("p.empty").get_text()
    forced = post_form(client, path, {"helper_id": str(helper.id)}, page=path)
    assert forced.status_code == 409
    assert "已经投过票了" in soup(forced.text).select_one(".errors").get_text()
    assert _helps(db) == []


# At the mobile box ----------------------------------------------------------------------------


def test_at_the_mobile_box_the_teller_chooses_the_helper_before_handing_over(
    db, client, connection
):
    scene = make_scene(db)
    voter = scene.entries[0]
    mobile.set_homebound(db, scene.actor, voter, True)
    carer = _villager(scene, "护工小李")
    sign_in(client, scene.teller().username)
    box_path = f"/rounds/{scene.round.id}/mobile"
    help_path = f"{box_path}/{voter.id}/help"

    box = soup(client.get(box_path).text)
    links = [a["href"] for a in box.select("tbody a") if a.get_text(strip=True) == "选民请人代写"]
    assert links == [help_path]

    # A candidate is refused on the teller's side: the phone is not handed over.
    candidate = scene.person(scene.candidates[2])
    refused = post_form(client, help_path, {"helper_id": str(candidate.id), "q": "丙"})
    assert refused.status_code == 422
    assert "丙 是本轮的候选人" in soup(refused.text).select_one("#e-q").get_text()
    assert client.get(box_path).status_code == 200  # still the teller's sign-in

    card = _cards(soup(client.get(help_path, params={"q": "小李"}).text))["护工小李"]
    assert card.select_one("button").get_text(strip=True) == "由 护工小李 代写，打开选票"
    before = table_counts(connection)
    handed = post_form(client, help_path, {"helper_id": str(carer.id), "q": "小李"})
    assert (handed.status_code, handed.headers["location"]) == (303, BALLOT)
    ballot = soup(client.get(BALLOT).text)
    assert "由 护工小李 代写" in ballot.select_one("main").get_text()
    assert table_counts(connection) == before  # recorded with the ballot, not before

    confirm = post_form(client, BALLOT, {"mark": "乙", "step": "confirm"})
    assert confirm.status_code == 200
    cast = post_form(client, BALLOT, {"mark": "乙", "step": "cast"})
    assert "投票成功" in cast.text
    assert _helps(db) == [(voter.id, carer.id, Channel.MOBILE)]
    assert [u.channel for u in uses(db, scene.round)] == [Channel.MOBILE]

    back = post_form(client, RESUME, {"password": PASSWORD})
    assert (back.status_code, back.headers["location"]) == (303, box_path)
    row = soup(client.get(box_path).text).select_one("tbody tr").get_text(" ", strip=True)
    assert "已投票（流动票箱）" in row and "由 护工小李 代写" in row


def test_a_phone_handed_back_without_voting_leaves_no_record_of_help(db, client):
    scene = make_scene(db)
    voter = scene.entries[0]
    mobile.set_homebound(db, scene.actor, voter, True)
    carer = _villager(scene, "护工")
    sign_in(client, scene.teller().username)
    help_path = f"/rounds/{scene.round.id}/mobile/{voter.id}/help"
    post_form(client, help_path, {"helper_id": str(carer.id)})
    assert client.get(BALLOT).status_code == 200
    assert post_form(client, RESUME, {"password": PASSWORD}, page=BALLOT).status_code == 303
    assert _helps(db) == [] and uses(db, scene.round) == []


def test_a_helper_refused_by_the_time_of_casting_stores_nothing(db, client, connection):
    """The registry changed while the villager held the phone: the carer moved into a
    candidate's household. The ballot is not cast and the villager is told to hand back."""
    scene = make_scene(db)
    voter = scene.entries[0]
    mobile.set_homebound(db, scene.actor, voter, True)
    carer = _villager(scene, "护工")
    sign_in(client, scene.teller().username)
    post_form(
        client, f"/rounds/{scene.round.id}/mobile/{voter.id}/help", {"helper_id": str(carer.id)}
    )
    carer.household_id = scene.person(scene.candidates[0]).household_id
    db.flush()
    before = table_counts(connection)
    cast = post_form(client, BALLOT, {"mark": "乙", "step": "cast"})
    assert cast.status_code == 422
    shown = soup(cast.text).select_one(".errors").get_text()
    assert "护工 与候选人 甲 同户" in shown and "请把手机交还监票人" in shown
    assert table_counts(connection) == before


# The count on the round's pages ------------------------------------------------------------------


def _helped_figure(page) -> str:  # type: ignore[no-untyped-def]
    """The line under the turnout-by-channel figures."""
    figures = page.select_one("dl.channels")
    return figures.find_next_sibling("p", class_="helped").get_text(strip=True)


def test_the_rounds_pages_show_how_many_ballots_were_written_with_help(app, db, client):
    poll = make_poll(db, voters=6)
    helper = factories.PersonFactory(
        household=factories.HouseholdFactory(village_id=poll.village.id), name="代写人"
    )
    # Votes as the count sees them (the mobile box's are sealed online ballots), each
    # helped one with its record.
    for entry, marks in zip(poll.entries[:3], (["甲"], ["乙"], ["甲"]), strict=True):
        poll.vote(entry, marks, Channel.MOBILE)
        helping.add_help(db, poll.round, entry, helper, Channel.MOBILE, today=ELECTION_DAY)
    poll.vote(poll.entries[3], ["甲"])

    staff = signed_in(app, poll.organizer)
    assert _helped_figure(soup(staff.get(f"/rounds/{poll.round.id}").text)) == "代写选票 3 张"
    assert (
        _helped_figure(soup(staff.get(f"/rounds/{poll.round.id}/turnout").text)) == "代写选票 3 张"
    )

    results.close_voting(db, poll.actor, poll.round, ELECTION_DAY)
    results.announce(db, poll.actor, poll.round, ELECTION_DAY)
    public = soup(client.get(f"/public/elections/{poll.election.id}/results").text)
    assert _helped_figure(public) == "代写选票 3 张"
    # The count only: not who was helped, nor by whom.
    assert "代写人" not in public.get_text()
