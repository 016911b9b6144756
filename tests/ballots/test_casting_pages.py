"""The villager's pages through the real app: vote, confirm, receipt; every bad link gets
a clear Chinese page and stores nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.accounts.models import SigninFailure
from app.actors import Actor
from app.db import utcnow
from app.permissions import Role
from app.sealed_box.models import SealedChoice
from ballots.models import Ballot, Channel, CredentialUse, Receipt, RoundStatus, Stage
from ballots.setup import credentials
from slips.links import slip_short_code, slip_token
from slips.services import issue_slips, resolve_slip, revoke_and_reissue
from tests import factories
from tests.app.helpers import signed_in, table_counts
from tests.ballots import factories_elections as fe
from tests.ballots.box_pages import open_as_tellers, round_path
from tests.ballots.photo_support import add_photo
from tests.conftest import csrf_from, post_form
from tests.html import soup

ACTOR = Actor(label="测试")
PAGE_BUDGET = 14_000  # bytes of HTML plus CSS: the first network round trip


@pytest.fixture
def v(db):
    return fe.voting(db, voters=3)


def _token(db, settings, v, person=None):
    person = person or v.people[0]
    (slip,) = issue_slips(db, ACTOR, v.assembly, [person.id], settings=settings)
    return slip_token(settings, slip)


def _ballot_path(v, token, entry=None, step=""):
    entry = entry or v.entries[0]
    return f"/s/{token}/b/{v.round.id}/{entry.id}{step}"


def _submit(client, v, token, data, step="/cast", entry=None):
    csrf = csrf_from(client, "/s")  # one token per browser session; any form page has it
    return client.post(_ballot_path(v, token, entry, step), data={**data, "csrf_token": csrf})


def _ballots(db):
    return db.scalar(select(func.count()).select_from(Ballot))


def test_a_villager_votes_confirms_and_reads_a_receipt(app, client, db, settings, v):
    token = _token(db, settings, v)
    home = client.get(f"/s/{token}")
    assert home.status_code == 200
    assert v.people[0].name in home.text and v.election.title in home.text
    assert home.headers["cache-control"] == "no-store"
    assert _ballot_path(v, token) in home.text

    page = client.get(_ballot_path(v, token))
    assert page.status_code == 200
    assert re.findall(r'name="mark" value="([^"]+)"', page.text) == ["张三", "李四", "王五"]
    assert "应选 1 人" in page.text

    confirm = _submit(client, v, token, {"mark": "李四"}, step="/confirm")
    assert confirm.status_code == 200
    assert "请核对您的选票" in confirm.text
    # Each choice shows its number on the ballot, then the name.
    assert [li.get_text() for li in soup(confirm.text).select("ul.chosen li")] == ["2李四"]
    assert _ballots(db) == 0  # confirming stores nothing

    cast = _submit(client, v, token, {"mark": "李四", "action": "cast"})
    assert cast.status_code == 200, cast.text
    shown = soup(cast.text).select_one("strong#receipt").get_text()
    # Cast, and sealed in the round's box: no open ballot or receipt until it is opened.
    assert db.scalar(select(func.count()).select_from(SealedChoice)) == 1
    assert _ballots(db) == 0 and db.scalar(select(Receipt.code)) is None

    again = client.get(f"/s/{token}")
    assert "已投票" in again.text and _ballot_path(v, token) not in again.text

    # Voting closes and two tellers open the box on the round page: the ballot and the
    # receipt the villager was shown are there now.
    organizer = signed_in(app, v.organizer)
    closed = post_form(
        organizer,
        round_path(app, v.round.id, "ballots:close_voting"),
        {},
        page=round_path(app, v.round.id),
    )
    assert closed.status_code == 303, closed.text
    open_as_tellers(app, db, v.round.id)
    assert db.scalars(select(Receipt.code)).all() == [shown]
    assert db.scalar(select(Ballot.marks)) == '["李四"]'


def test_going_back_from_the_confirmation_keeps_the_choice(client, db, settings, v):
    token = _token(db, settings, v)
    back = _submit(client, v, token, {"mark": "王五", "write_in": "", "action": "edit"})
    assert back.status_code == 200
    assert 'value="王五" checked' in back.text
    assert _ballots(db) == 0


def test_a_replayed_submission_says_already_voted_and_stores_nothing(
    client, db, connection, settings, v
):
    token = _token(db, settings, v)
    assert _submit(client, v, token, {"mark": "张三", "action": "cast"}).status_code == 200
    before = table_counts(connection)
    replay = _submit(client, v, token, {"mark": "王五", "action": "cast"})
    assert replay.status_code == 409
    assert "已投票" in replay.text and "每人只能投一次" in replay.text
    # The villager is told the first vote stands, not that something was lost.
    assert "票已经收好" in replay.text and "没有保存" not in replay.text
    assert table_counts(connection) == before
    assert client.get(_ballot_path(v, token)).status_code == 409


def test_over_marking_is_refused_by_the_server(client, db, connection, settings, v):
    token = _token(db, settings, v)
    before = table_counts(connection)
    # Straight to the cast step, as a crafted request would, past the form.
    response = _submit(client, v, token, {"mark": ["张三", "李四"], "action": "cast"})
    assert response.status_code == 422
    assert "最多只能选 1 人，您选了 2 人" in response.text
    assert table_counts(connection) == before


def _expect_refusal(client, connection, path_token, v, message, status=403):
    before = table_counts(connection)
    page = client.get(f"/s/{path_token}")
    assert page.status_code == status, page.text
    assert message in page.text
    assert "<script" not in page.text
    csrf = csrf_from(client, "/s")
    post = client.post(
        f"/s/{path_token}/b/{v.round.id}/{v.entries[0].id}/cast",
        data={"mark": "张三", "action": "cast", "csrf_token": csrf},
    )
    assert post.status_code == status
    assert message in post.text
    assert table_counts(connection) == before


def test_a_forged_link_is_refused(client, db, connection, settings, v):
    token = _token(db, settings, v)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    _expect_refusal(client, connection, forged, v, "这个二维码无法识别")


def test_an_expired_link_is_refused(client, db, connection, settings, v):
    token = _token(db, settings, v)
    v.assembly.links_expire_at = utcnow()
    db.flush()
    _expect_refusal(client, connection, token, v, "二维码已经停止使用")


def test_a_revoked_link_is_refused(client, db, connection, settings, v):
    token = _token(db, settings, v)
    slip = resolve_slip(db, settings, token).slip
    revoke_and_reissue(db, ACTOR, slip, "纸条丢失", settings=settings)
    _expect_refusal(client, connection, token, v, "这张二维码已经作废")


def test_another_elections_ballot_is_refused(client, db, connection, settings, v):
    token = _token(db, settings, v)
    elsewhere = fe.assembly(db, v.village, title="另一次大会")
    other = fe.election(db, v.village, title="协会会长选举", assembly_id=elsewhere.id)
    other_round = fe.round_(db, other)
    (entry,) = fe.roll(db, other, v.people[:1])
    before = table_counts(connection)
    for path in (
        f"/s/{token}/b/{other_round.id}/{entry.id}",  # on the roll, but another assembly
        _ballot_path(v, token, entry=v.entries[1]),  # another voter's ballot
    ):
        assert client.get(path).status_code == 403
        response = client.post(
            path + "/cast",
            data={"mark": "张三", "action": "cast", "csrf_token": csrf_from(client, "/s")},
        )
        assert response.status_code == 403
        assert "不在您这张二维码能投的范围里" in response.text
    assert table_counts(connection) == before


def test_a_browser_signed_in_as_staff_cannot_vote(app, db, connection, settings, v):
    token = _token(db, settings, v)
    browser = signed_in(app, factories.staff(Role.AUDITOR, township=v.village.township))
    assert "不能在这里投票" in browser.get(f"/s/{token}").text
    before = table_counts(connection)
    response = browser.post(
        _ballot_path(v, token, step="/cast"),
        data={"mark": "张三", "action": "cast", "csrf_token": csrf_from(browser, "/")},
    )
    assert response.status_code == 403 and "没有权限" in response.text
    assert table_counts(connection) == before


@pytest.mark.parametrize("photos", [False, True], ids=["no-photos", "eight-photos"])
def test_the_ballot_page_fits_one_round_trip_and_needs_no_script(client, db, settings, photos):
    names = ["欧阳明月", "司马长风", "诸葛青云", "上官飞燕", "张三丰", "李四海", "王五岳", "赵六合"]
    v = fe.voting(db, seats=3)
    big = fe.election(
        db, v.village, seats=3, title="计生协会理事选举（三名）", assembly_id=v.assembly.id
    )
    big_round = fe.round_(db, big, candidates=names)
    # The photos are requests of their own; their addresses are on the page.
    for name in names if photos else ():
        add_photo(db, big, name)
    (entry,) = fe.roll(db, big, v.people[:1])
    token = _token(db, settings, v)
    css = client.get("/static/css/app.css").content
    for path in (f"/s/{token}", f"/s/{token}/b/{big_round.id}/{entry.id}"):
        html = client.get(path)
        assert html.status_code == 200
        assert "<script" not in html.text and " style=" not in html.text
        stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html.text)
        assert stylesheets == ["/static/css/app.css"]
        total = len(html.content) + len(css)
        assert total < PAGE_BUDGET, f"{path}: {total} bytes"
    assert all(name in html.text for name in names)
    assert html.text.count('name="write_in"') == 3
    assert len(soup(html.text).select("label.cand img")) == (8 if photos else 0)


def test_a_typed_code_opens_the_slip_and_wrong_codes_are_counted(client, db, settings, v):
    token = _token(db, settings, v)
    slip = resolve_slip(db, settings, token).slip
    code = slip_short_code(settings, slip)
    form = client.get("/s")
    assert form.status_code == 200 and "8 位号码" in form.text

    wrong = client.post("/s", data={"code": "0000-0000", "csrf_token": csrf_from(client, "/s")})
    assert wrong.status_code == 403 and "号码不对" in wrong.text
    failures = select(func.count()).where(SigninFailure.key.like("slip-code:%"))
    assert db.scalar(failures) == 1

    right = client.post("/s", data={"code": code.lower(), "csrf_token": csrf_from(client, "/s")})
    assert right.status_code == 303
    assert right.headers["location"] == f"/s/{token}"
    assert db.scalar(failures) == 1


def test_the_slip_page_leads_to_nominating_while_nominations_are_open(client, db, settings, v):
    token = _token(db, settings, v)
    nominate = f"/s/{token}/nominate/{v.election.id}"
    assert nominate not in client.get(f"/s/{token}").text
    v.election.stage = Stage.NOMINATIONS
    db.flush()
    page = client.get(f"/s/{token}")
    assert nominate in page.text and "提名候选人" in page.text


def test_a_proxy_votes_the_entrusted_ballot_from_their_own_slip(client, db, settings, v):
    fe.entrust(db, v.election, voter=v.entries[1], proxy=v.entries[0])
    token = _token(db, settings, v)
    home = client.get(f"/s/{token}")
    assert f"代 {v.people[1].name} 投票（委托投票）" in home.text
    page = client.get(_ballot_path(v, token, entry=v.entries[1]))
    assert f"您正在代 {v.people[1].name} 投票" in page.text
    cast = _submit(client, v, token, {"mark": "王五", "action": "cast"}, entry=v.entries[1])
    assert cast.status_code == 200
    # The receipt says whose ballot the proxy cast, not the proxy's own.
    said = soup(cast.text).select_one("#on-behalf").get_text()
    assert f"您代 {v.people[1].name} 投的票已经投进票箱" in said
    (use,) = db.scalars(select(CredentialUse))
    credential = credentials.credential_for(db, v.election, v.entries[1])
    assert (use.credential_id, use.channel) == (credential.id, Channel.PROXY)
    # The proxy's own ballot is still open; the entrusting voter's slip cannot vote.
    assert _ballot_path(v, token) in client.get(f"/s/{token}").text
    away = _token(db, settings, v, person=v.people[1])
    assert "您已委托" in client.get(f"/s/{away}").text
    refused = client.get(_ballot_path(v, away, entry=v.entries[1]))
    assert refused.status_code == 409
    assert "这张选票已经投过了" in refused.text


def test_after_the_close_an_unused_slip_says_voting_has_ended(client, db, settings, v):
    token = _token(db, settings, v)
    v.round.status = RoundStatus.COUNTING
    v.election.stage = Stage.COUNTING
    db.flush()
    card = soup(client.get(f"/s/{token}").text).select_one("li.card")
    assert "投票已经结束，正在计票。" in card.get_text()
    assert "请等工作人员宣布开始" not in card.get_text() and card.select("a") == []
    v.election.stage = Stage.CERTIFIED
    db.flush()
    card = soup(client.get(f"/s/{token}").text).select_one("li.card")
    assert "这一轮投票已经结束。" in card.get_text()
    (results,) = card.select("a")
    assert results.get_text(strip=True) == "看选举结果"
    assert client.get(results["href"]).status_code == 200


def test_a_refused_slip_page_speaks_in_sentences_without_a_status_code(client, db, settings, v):
    token = _token(db, settings, v)
    page = soup(client.get(f"/s/{token}x").text)  # a mistyped or forged link
    assert page.select_one("h1").get_text(strip=True)
    assert "错误代码" not in page.get_text() and "409" not in page.get_text()
