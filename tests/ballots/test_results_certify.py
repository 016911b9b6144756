"""Naming tellers, their certification by password, and the auditor's annulment (Art 21)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.actors import Actor
from app.permissions import Role
from ballots.exceptions import Conflict, ElectionError, NotNamedTeller, WrongPassword
from ballots.models import Certification, RoundOutcome, RoundStatus, Stage
from ballots.results import certification as results_certify
from ballots.results import services as results
from tests import factories
from tests.app.helpers import signed_in
from tests.ballots.results_support import ELECTION_DAY, make_poll
from tests.conftest import csrf_from


def announced(db, ballots=None, voters=5, tellers=2):
    poll = make_poll(db, voters=voters)
    poll.votes(ballots or [["甲"]] * 4)
    named = [poll.teller(f"监票人{n}") for n in range(tellers)]
    if tellers >= 2:
        results_certify.set_tellers(db, poll.actor, poll.round, [t.id for t in named])
    results.close_voting(db, poll.actor, poll.round, ELECTION_DAY)
    outcome = results.announce(db, poll.actor, poll.round, ELECTION_DAY)
    return poll, named, outcome


def certified(db):
    poll, named, outcome = announced(db)
    for teller in named:
        final = results_certify.certify(db, teller, outcome, factories.PASSWORD, ELECTION_DAY)
    return poll, final


def count(db, model):
    return db.scalar(select(func.count()).select_from(model))


def test_tellers_are_at_least_two_of_the_villages_teller_accounts(db):
    poll = make_poll(db)
    one, two, three = poll.teller(), poll.teller(), poll.teller()
    elsewhere = factories.staff(Role.TELLER)
    with pytest.raises(ElectionError, match="至少选择两名"):
        results_certify.set_tellers(db, poll.actor, poll.round, [one.id])
    with pytest.raises(ElectionError, match="本村的监计票人"):
        results_certify.set_tellers(db, poll.actor, poll.round, [one.id, elsewhere.id])
    results_certify.set_tellers(db, poll.actor, poll.round, [one.id, two.id])
    results_certify.set_tellers(db, poll.actor, poll.round, [two.id, three.id])
    assert {t.id for t in results_certify.named_tellers(db, poll.round)} == {two.id, three.id}


def test_each_named_teller_confirms_then_the_election_is_certified(db):
    poll, (first, second), outcome = announced(db)
    assert results_certify.certify(db, first, outcome, factories.PASSWORD, ELECTION_DAY) is None
    assert poll.round.status is RoundStatus.ANNOUNCED
    final = results_certify.certify(db, second, outcome, factories.PASSWORD, ELECTION_DAY)
    assert final is not None and final.kind == "certified"
    assert final.result_json == outcome.result_json
    assert poll.round.status is RoundStatus.CERTIFIED
    assert poll.election.stage is Stage.CERTIFIED
    with pytest.raises(Conflict):
        results_certify.certify(db, first, outcome, factories.PASSWORD, ELECTION_DAY)


def test_a_wrong_password_or_an_unnamed_teller_confirms_nothing(db):
    _poll, (first, _second), outcome = announced(db)
    with pytest.raises(WrongPassword, match="密码不对"):
        results_certify.certify(db, first, outcome, "not the password", ELECTION_DAY)
    stranger = factories.staff(Role.TELLER, _poll.village)
    with pytest.raises(NotNamedTeller, match="本轮指定的监计票人"):
        results_certify.certify(db, stranger, outcome, factories.PASSWORD, ELECTION_DAY)
    assert count(db, Certification) == 0


def test_certification_needs_two_named_tellers_and_a_valid_round(db):
    _poll, _named, outcome = announced(db, tellers=0)
    teller = factories.staff(Role.TELLER, _poll.village)
    with pytest.raises(ElectionError, match="至少两名监计票人"):
        results_certify.certify(db, teller, outcome, factories.PASSWORD, ELECTION_DAY)
    void_poll, (first, _), void = announced(db, ballots=[["甲"]] * 2, voters=10)
    assert void_poll.round.status is RoundStatus.VOID
    with pytest.raises(ElectionError, match="本轮选举无效"):
        results_certify.certify(db, first, void, factories.PASSWORD, ELECTION_DAY)


def test_an_auditor_annuls_a_certified_result_once_with_a_reason(db):
    poll, final = certified(db)
    auditor = Actor(label="监督委员会")
    with pytest.raises(ElectionError, match="理由"):
        results_certify.annul(db, auditor, final, "   ")
    annulled = results_certify.annul(db, auditor, final, "查实有贿选行为")
    assert (annulled.kind, annulled.reason) == ("annulled", "查实有贿选行为")
    assert poll.round.status is RoundStatus.ANNULLED
    with pytest.raises(Conflict):
        results_certify.annul(db, auditor, final, "再一次")
    # The earlier records stay as they were: three outcomes, none edited.
    kinds = db.scalars(select(RoundOutcome.kind).order_by(RoundOutcome.id))
    assert list(kinds) == ["announced", "certified", "annulled"]


def test_only_a_certified_result_can_be_annulled(db):
    _poll, _named, outcome = announced(db)
    with pytest.raises(Conflict, match="已经确认的结果"):
        results_certify.annul(db, Actor(label="监督委员会"), outcome, "理由")


# --- Through the pages ------------------------------------------------------------------


def test_teller_confirms_on_the_round_page_and_a_wrong_password_writes_nothing(app, db):
    poll, (first, second), _outcome = announced(db)
    page = f"/rounds/{poll.round.id}"
    browser = signed_in(app, first)
    assert "我确认这个结果" in browser.get(page).text
    token = csrf_from(browser, page)
    wrong = browser.post(f"{page}/certify", data={"password": "wrong", "csrf_token": token})
    assert wrong.status_code == 422
    assert "密码不对，结果没有确认" in wrong.text
    assert count(db, Certification) == 0
    ok = browser.post(f"{page}/certify", data={"password": factories.PASSWORD, "csrf_token": token})
    assert ok.status_code == 303
    assert "还要等其他监计票人确认" in browser.get(page).text
    other = signed_in(app, second)
    done = other.post(
        f"{page}/certify",
        data={"password": factories.PASSWORD, "csrf_token": csrf_from(other, page)},
    )
    assert done.status_code == 303
    db.refresh(poll.election)
    assert poll.election.stage is Stage.CERTIFIED
    assert "结果已确认" in other.get(page).text


def test_guessing_a_tellers_password_is_throttled_like_sign_in(app, db, settings):
    poll, (first, _second), _outcome = announced(db)
    page = f"/rounds/{poll.round.id}"
    browser = signed_in(app, first)
    token = csrf_from(browser, page)
    for _ in range(settings.signin_max_failures_per_account):
        wrong = browser.post(f"{page}/certify", data={"password": "guess", "csrf_token": token})
        assert wrong.status_code == 422
    right = browser.post(
        f"{page}/certify", data={"password": factories.PASSWORD, "csrf_token": token}
    )
    assert right.status_code == 422
    assert "登录失败次数太多" in right.text
    assert count(db, Certification) == 0


def test_auditor_annuls_through_the_page_and_the_reason_is_public(app, client, db):
    poll, _final = certified(db)
    auditor = factories.staff(Role.AUDITOR, township=poll.village.township)
    browser = signed_in(app, auditor)
    page = f"/rounds/{poll.round.id}"
    assert "宣布这个结果无效" in browser.get(page).text
    token = csrf_from(browser, page)
    empty = browser.post(f"{page}/annul", data={"reason": " ", "csrf_token": token})
    assert empty.status_code == 422
    assert "请填写宣布无效的理由" in empty.text
    assert count(db, RoundOutcome) == 2
    done = browser.post(f"{page}/annul", data={"reason": "伪造选票", "csrf_token": token})
    assert done.status_code == 303
    public = client.get(f"/public/elections/{poll.election.id}/results")
    assert "这个结果已被宣布无效。理由：伪造选票" in public.text


def test_auditor_cannot_annul_an_uncertified_result_and_others_cannot_annul(app, db):
    poll, _named, _outcome = announced(db)
    auditor = factories.staff(Role.AUDITOR, township=poll.village.township)
    browser = signed_in(app, auditor)
    page = f"/rounds/{poll.round.id}"
    refused = browser.post(
        f"{page}/annul", data={"reason": "理由", "csrf_token": csrf_from(browser, page)}
    )
    assert refused.status_code == 409
    organizer = signed_in(app, poll.organizer)
    forbidden = organizer.post(
        f"{page}/annul", data={"reason": "理由", "csrf_token": csrf_from(organizer, page)}
    )
    assert forbidden.status_code == 403
    assert count(db, RoundOutcome) == 1
