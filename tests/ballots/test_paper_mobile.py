"""The mobile ballot box: the organizer's list, the teller's round list, a private ballot."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.sealed_box.models import SealedChoice
from ballots.exceptions import AlreadyVoted, NotHomebound, StageError
from ballots.models import Ballot, BallotSource, Channel, Receipt, RoundStatus, Stage
from ballots.paper import mobile
from tests.app.helpers import signed_in, table_counts
from tests.ballots import factories_elections as fe
from tests.ballots.box_pages import open_as_tellers, round_path
from tests.ballots.paper_support import audit_count, make_scene, uses
from tests.conftest import post_form, sign_in
from tests.factories import PASSWORD
from tests.html import soup


def _count(db, model):  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(model))


BALLOT = "/mobile-ballot"
RESUME = "/account/resume"


def _homebound(scene, entry):  # type: ignore[no-untyped-def]
    mobile.set_homebound(scene.db, scene.actor, entry, True)


def _hand_over(client, scene, entry):  # type: ignore[no-untyped-def]
    """The teller taps 打开选票 for one voter on the round's mobile-box list."""
    box = f"/rounds/{scene.round.id}/mobile"
    return post_form(client, f"{box}/{entry.id}/hand-over", {}, page=box)


def test_a_homebound_voter_votes_once_with_channel_mobile(db):
    scene = make_scene(db)
    voter = scene.entries[0]
    _homebound(scene, voter)
    before = audit_count(db)

    receipt = mobile.cast_at_mobile_box(db, scene.round, voter, ["乙"])

    assert [u.channel for u in uses(db, scene.round)] == [Channel.MOBILE]
    # Sealed in the round's box like an online vote: nothing open until it is opened.
    assert _count(db, SealedChoice) == 1
    assert db.scalar(select(Ballot)) is None and db.get(Receipt, receipt) is None
    assert audit_count(db) == before  # nothing ties this voter to the moment
    with pytest.raises(AlreadyVoted):
        mobile.cast_at_mobile_box(db, scene.round, voter, ["甲"])
    assert _count(db, SealedChoice) == 1

    scene.set_status(RoundStatus.COUNTING)
    assert fe.open_box(db, scene.round) == 1
    (ballot,) = db.scalars(select(Ballot))
    assert (ballot.source, json.loads(ballot.marks)) == (BallotSource.ONLINE, ["乙"])
    assert db.get(Receipt, receipt) is not None


def test_only_listed_voters_and_only_while_voting(db):
    scene = make_scene(db)
    listed, unlisted = scene.entries[:2]
    _homebound(scene, listed)
    with pytest.raises(NotHomebound):
        mobile.cast_at_mobile_box(db, scene.round, unlisted, ["甲"])
    scene.set_status(RoundStatus.COUNTING)
    with pytest.raises(StageError):
        mobile.cast_at_mobile_box(db, scene.round, listed, ["甲"])
    with pytest.raises(StageError, match="不能再修改流动票箱名单"):
        mobile.set_homebound(db, scene.actor, unlisted, True)
    assert uses(db, scene.round) == []


def test_the_round_list_shows_who_has_voted_never_how(db):
    scene = make_scene(db)
    first, second = scene.entries[:2]
    _homebound(scene, first)
    _homebound(scene, second)
    mobile.cast_at_mobile_box(db, scene.round, first, ["甲"])
    rows = mobile.homebound_voters(db, scene.round)
    assert [(r.entry.id, r.voted) for r in rows] == [
        (first.id, Channel.MOBILE),
        (second.id, None),
    ]
    assert audit_count(db, "mobile_box.mark") == 2


def test_the_organizer_marks_and_the_teller_serves_the_ballot(db, app, client, connection):
    scene = make_scene(db)
    voter = scene.entries[0]
    name = scene.person(voter).name
    organizer = signed_in(app, scene.organizer)
    list_page = f"/elections/{scene.election.id}/homebound"
    found = organizer.get(list_page, params={"q": name})
    assert "加入流动票箱名单" in found.text
    marked = post_form(
        organizer,
        f"{list_page}/mark",
        {"entry_id": str(voter.id), "homebound": "1"},
        page=list_page,
    )
    assert marked.status_code == 303
    assert f"已把 {name} 加入流动票箱名单" in organizer.get(list_page).text

    sign_in(client, scene.teller().username)
    box_path = f"/rounds/{scene.round.id}/mobile"
    box = client.get(box_path)
    assert name in box.text and "打开选票" in box.text
    handed = _hand_over(client, scene, voter)
    assert handed.headers["location"] == BALLOT
    ballot = client.get(BALLOT)
    assert ballot.headers["cache-control"] == "no-store"
    page = soup(ballot.text)
    assert [box["value"] for box in page.select("input[name=mark]")] == ["甲", "乙", "丙"]
    assert f"{name} 的选票" in page.get_text()
    # The teller's sign-in is held aside: the phone in the villager's hands opens no staff page.
    assert client.get(box_path).headers["location"].startswith("/signin")

    too_many = post_form(client, BALLOT, {"mark": ["甲", "乙"], "step": "confirm"})
    assert too_many.status_code == 422
    assert "最多只能选 1 人，您选了 2 人" in too_many.text

    before = table_counts(connection)
    confirm = post_form(client, BALLOT, {"mark": "丙", "step": "confirm"})
    assert confirm.status_code == 200
    assert [li.get_text() for li in soup(confirm.text).select("ul.chosen li")] == ["3丙"]
    assert table_counts(connection) == before  # nothing is cast before confirming

    cast = post_form(client, BALLOT, {"mark": "丙", "step": "cast"})
    assert cast.status_code == 200
    assert "投票成功" in cast.text
    shown = soup(cast.text).select_one("p.receipt strong").get_text(strip=True)
    assert cast.headers["cache-control"] == "no-store"
    assert [u.channel for u in uses(db, scene.round)] == [Channel.MOBILE]
    assert _count(db, SealedChoice) == 1 and _count(db, Receipt) == 0

    assert "已经投过票了，不能再投" in client.get(BALLOT).text
    again = post_form(client, BALLOT, {"mark": "甲", "step": "cast"}, page=RESUME)
    assert again.status_code == 409
    assert len(uses(db, scene.round)) == 1

    # The teller takes the phone back: a wrong password keeps the sign-in held.
    wrong = post_form(client, RESUME, {"password": "not-the-password"})
    assert wrong.status_code == 422
    assert "密码不对" in soup(wrong.text).select_one("#e-password").get_text()
    assert client.get(box_path).headers["location"].startswith("/signin")
    back = post_form(client, RESUME, {"password": PASSWORD})
    assert (back.status_code, back.headers["location"]) == (303, box_path)
    listing = soup(client.get(box_path).text)
    assert "已投票（流动票箱）" in listing.select_one("tbody").get_text()
    assert client.get(BALLOT).status_code == 404  # the ballot went with the handover

    # Voting closes and two tellers open the box on the round page: the receipt shown
    # at the voter's home and the ballot are there now.
    round_page = round_path(app, scene.round.id)
    closed = post_form(
        organizer, round_path(app, scene.round.id, "ballots:close_voting"), {}, page=round_page
    )
    assert closed.status_code == 303, closed.text
    open_as_tellers(app, db, scene.round.id)
    assert db.scalars(select(Receipt.code)).all() == [shown]
    assert [json.loads(m) for m in db.scalars(select(Ballot.marks))] == [["丙"]]


def test_going_back_from_the_confirmation_keeps_the_choice(db, client):
    scene = make_scene(db)
    voter = scene.entries[0]
    _homebound(scene, voter)
    sign_in(client, scene.teller().username)
    _hand_over(client, scene, voter)
    back = post_form(client, BALLOT, {"mark": "王五", "step": "back"})
    assert back.status_code == 200
    assert soup(back.text).select_one("input[name=write_in]")["value"] == "王五"
    assert uses(db, scene.round) == []


def test_a_voter_not_on_the_list_gets_no_ballot(db, client):
    scene = make_scene(db)
    sign_in(client, scene.teller().username)
    response = _hand_over(client, scene, scene.entries[0])
    assert response.status_code == 409
    assert "不在流动票箱名单上" in response.text
    assert client.get(f"/rounds/{scene.round.id}/mobile").status_code == 200  # still signed in


def test_no_ballot_on_a_phone_nobody_handed_over(db, client):
    response = client.get(BALLOT)
    assert response.status_code == 404
    page = soup(response.text)
    assert "这台手机上没有打开的选票" in page.get_text()
    assert "错误代码" not in page.get_text()  # a villager page: sentences, no status codes
    assert page.select("nav, .nav") == []
    assert client.get(RESUME).headers["location"] == "/signin"


def test_the_list_is_frozen_once_voting_ends(db, app):
    scene = make_scene(db)
    scene.election.stage = Stage.COUNTING
    db.flush()
    organizer = signed_in(app, scene.organizer)
    page = f"/elections/{scene.election.id}/homebound"
    response = post_form(
        organizer,
        f"{page}/mark",
        {"entry_id": str(scene.entries[0].id), "homebound": "1"},
        page=page,
    )
    assert response.status_code == 409
    assert "不能再修改流动票箱名单" in response.text
    db.refresh(scene.entries[0])
    assert not scene.entries[0].homebound


def _entrusted_homebound(scene):  # type: ignore[no-untyped-def]
    """A homebound voter who entrusted a proxy in writing before voting opened."""
    voter, proxy = scene.entries[:2]
    _homebound(scene, voter)
    fe.entrust(scene.db, scene.election, voter=voter, proxy=proxy)
    return voter, proxy


def test_an_entrusted_voter_is_refused_before_any_ballot_is_shown(db, client):
    scene = make_scene(db)
    voter, proxy = _entrusted_homebound(scene)
    proxy_name = scene.person(proxy).name
    sign_in(client, scene.teller().username)
    listing = soup(client.get(f"/rounds/{scene.round.id}/mobile").text)
    row = next(tr for tr in listing.select("tbody tr") if scene.person(voter).name in tr.get_text())
    assert f"已委托 {proxy_name} 代投" in row.get_text()
    assert row.select("a") == []
    refused = _hand_over(client, scene, voter)
    assert refused.status_code == 409
    page = soup(refused.text)
    assert page.select("input[name=mark]") == []
    assert f"已委托 {proxy_name} 代为投票" in page.get_text()
    assert uses(db, scene.round) == []


def test_marking_an_entrusted_voter_homebound_warns_and_names_the_proxy(db, app):
    scene = make_scene(db)
    voter, proxy = scene.entries[:2]
    fe.entrust(db, scene.election, voter=voter, proxy=proxy)
    organizer = signed_in(app, scene.organizer)
    page = f"/elections/{scene.election.id}/homebound"
    done = post_form(
        organizer, f"{page}/mark", {"entry_id": str(voter.id), "homebound": "1"}, page=page
    )
    assert done.status_code == 303
    shown = soup(organizer.get(page).text)
    flashes = " ".join(f.get_text() for f in shown.select(".flash"))
    assert f"已委托 {scene.person(proxy).name} 代为投票" in flashes
    assert f"已委托 {scene.person(proxy).name} 代投" in shown.select_one("tbody").get_text()


def test_after_voting_the_homebound_list_is_read_only(db, app):
    scene = make_scene(db)
    _homebound(scene, scene.entries[0])
    scene.set_status(RoundStatus.COUNTING)
    organizer = signed_in(app, scene.organizer)
    page = soup(organizer.get(f"/elections/{scene.election.id}/homebound").text)
    assert scene.person(scene.entries[0]).name in page.select_one("tbody").get_text()
    assert page.select("form[action$='/homebound/mark']") == []
    assert "不能再修改" in page.select_one("main").get_text()
