"""委托投票 pages: the organizer's form with each refusal beside its field, revoking, and the
public list anyone can read."""

from __future__ import annotations

from sqlalchemy import select

from ballots.models import Entrustment, RoundStatus, Stage
from ballots.paper import proxies
from tests.app.helpers import second_client, signed_in, table_counts
from tests.ballots.paper_support import ELECTION_DAY, make_scene
from tests.conftest import csrf_from, post_form
from tests.html import soup

FORM = {"written_on": "2026-01-05", "relation": "邻居"}  # past, before election day


def _new(scene) -> str:  # type: ignore[no-untyped-def]
    return f"/elections/{scene.election.id}/entrustments/new"


def test_the_organizer_records_an_entrustment_by_name_or_number(db, app):
    scene = make_scene(db)
    voter, proxy = scene.entries[:2]
    browser = signed_in(app, scene.organizer)
    response = post_form(
        browser,
        _new(scene),
        {**FORM, "voter": scene.person(voter).name, "proxy": scene.person(proxy).roll_number},
    )
    assert response.status_code == 303
    listing = browser.get(response.headers["location"])
    assert (
        f"已登记：{scene.person(voter).name} 委托 {scene.person(proxy).name} 投票" in listing.text
    )
    made = db.scalar(select(Entrustment))
    assert (made.voter_entry_id, made.proxy_entry_id, made.relation) == (voter.id, proxy.id, "邻居")


def test_the_fourth_entrustment_is_refused_beside_the_proxy_field(db, app, connection):
    scene = make_scene(db)
    proxy, *voters = scene.entries[:5]
    for voter in voters[:3]:
        proxies.add_entrustment(db, scene.actor, scene.election, voter, proxy, ELECTION_DAY, "邻居")
    browser = signed_in(app, scene.organizer)
    before = table_counts(connection)
    response = post_form(
        browser,
        _new(scene),
        {**FORM, "voter": scene.person(voters[3]).name, "proxy": scene.person(proxy).name},
    )
    assert response.status_code == 422
    assert 'id="e-proxy"' in response.text
    assert "每人最多接受 3 人的委托" in response.text
    assert table_counts(connection) == before


def test_a_candidate_is_refused_as_proxy_on_the_form(db, app):
    scene = make_scene(db)
    browser = signed_in(app, scene.organizer)
    response = post_form(
        browser, _new(scene), {**FORM, "voter": scene.person(scene.entries[0]).name, "proxy": "甲"}
    )
    assert response.status_code == 422
    assert "候选人不能接受委托" in response.text
    assert db.scalar(select(Entrustment)) is None


def test_names_that_are_ambiguous_or_unknown_are_explained(db, app):
    scene = make_scene(db)
    scene.add_voter("张伟")
    scene.add_voter("张伟")
    browser = signed_in(app, scene.organizer)
    response = post_form(
        browser, _new(scene), {**FORM, "voter": "张伟", "proxy": "查无此人", "written_on": "明天"}
    )
    assert response.status_code == 422
    assert "有 2 位叫“张伟”的，请改填村民编号" in response.text
    assert "选民名单上没有“查无此人”" in response.text
    assert "请按“年-月-日”填写委托书日期" in response.text


def test_revoking_needs_a_reason_and_shows_on_the_list(db, app):
    scene = make_scene(db, status=RoundStatus.PENDING)
    voter, proxy = scene.entries[:2]
    made = proxies.add_entrustment(
        db, scene.actor, scene.election, voter, proxy, ELECTION_DAY, "妻子"
    )
    browser = signed_in(app, scene.organizer)
    listing = f"/elections/{scene.election.id}/entrustments"
    url = f"/entrustments/{made.id}/revoke"
    refused = post_form(browser, url, {"reason": ""}, page=listing)
    assert refused.status_code == 422
    assert "请填写原因" in refused.text
    done = post_form(browser, url, {"reason": "本人已回村"}, page=listing)
    assert done.status_code == 303
    assert "已撤销" in browser.get(listing).text
    db.refresh(made)
    assert made.revoked_at is not None


def test_the_public_list_names_who_entrusts_whom_and_nothing_more(db, app):
    scene = make_scene(db, status=RoundStatus.PENDING)
    voter, proxy, other, gone = scene.entries[:4]
    proxies.add_entrustment(db, scene.actor, scene.election, voter, proxy, ELECTION_DAY, "母亲")
    revoked = proxies.add_entrustment(
        db, scene.actor, scene.election, gone, other, ELECTION_DAY, "邻居"
    )
    proxies.revoke_entrustment(db, scene.actor, revoked, "本人回村了")
    anyone = second_client(app)
    page = anyone.get(f"/public/elections/{scene.election.id}/entrustments")
    assert page.status_code == 200
    assert scene.person(voter).name in page.text and scene.person(proxy).name in page.text
    assert scene.person(gone).name not in page.text
    assert "母亲" not in page.text  # the relation stays with the election committee


def test_once_voting_opens_the_list_offers_no_revoking_and_a_post_is_refused(db, app):
    scene = make_scene(db, status=RoundStatus.PENDING)
    voter, proxy = scene.entries[:2]
    made = proxies.add_entrustment(
        db, scene.actor, scene.election, voter, proxy, ELECTION_DAY, "妻子"
    )
    browser = signed_in(app, scene.organizer)
    listing = f"/elections/{scene.election.id}/entrustments"
    before = soup(browser.get(listing).text)
    assert before.select_one(f"form[action$='/entrustments/{made.id}/revoke']") is not None
    token = csrf_from(browser, listing)
    scene.set_status(RoundStatus.OPEN)
    page = soup(browser.get(listing).text)
    assert page.select("form[action*='/revoke']") == []
    assert "不能再撤销" in page.select_one("main").get_text()
    refused = browser.post(
        f"/entrustments/{made.id}/revoke", data={"reason": "本人回来了", "csrf_token": token}
    )
    assert refused.status_code == 422
    assert "投票已经开始" in soup(refused.text).select_one(".error").get_text()
    db.refresh(made)
    assert made.revoked_at is None


def test_a_written_date_in_the_future_is_refused(db, app):
    scene = make_scene(db)
    browser = signed_in(app, scene.organizer)
    voter, proxy = (scene.person(e).name for e in scene.entries[:2])
    response = post_form(
        browser, _new(scene), {**FORM, "voter": voter, "proxy": proxy, "written_on": "2999-01-01"}
    )
    assert response.status_code == 422
    assert "委托书日期不能晚于今天" in response.text
    assert db.scalar(select(Entrustment)) is None


def test_the_public_list_waits_for_the_roll(db, app):
    scene = make_scene(db)
    scene.election.stage = Stage.DRAFT
    scene.election.roll_published_on = None
    db.flush()
    page = second_client(app).get(f"/public/elections/{scene.election.id}/entrustments")
    assert page.status_code == 404
    assert "委托投票名单也还没有公布" in page.text
