"""The round page, turnout, closing and announcing through HTTP, and the public results."""

from __future__ import annotations

from sqlalchemy import func, select

from app.permissions import Role
from app.registry.models import Person
from ballots.models import Round, RoundOutcome, RoundStatus, RoundTeller, Stage
from ballots.results import certification as results_certify
from tests import factories
from tests.app.helpers import signed_in
from tests.ballots.results_support import make_poll
from tests.conftest import csrf_from


def post(browser, path, data=None, page=None):
    token = csrf_from(browser, page or path.rsplit("/", 1)[0])
    return browser.post(path, data={**(data or {}), "csrf_token": token})


def test_organizer_watches_turnout_per_group_counts_only(app, db):
    poll = make_poll(db, voters=4, groups=2)
    poll.vote(poll.entries[0], ["甲"])
    browser = signed_in(app, poll.organizer)
    page = browser.get(f"/rounds/{poll.round.id}")
    assert page.status_code == 200
    assert "投票进度" in page.text
    assert poll.groups[0].name in page.text
    turnout = browser.get(f"/rounds/{poll.round.id}/turnout")
    assert "已投票 1 人，登记选民 4 人。" in turnout.text
    assert 'http-equiv="refresh"' in turnout.text
    # Counts only: no voter's name appears.
    names = [db.get(Person, entry.person_id).name for entry in poll.entries]
    assert not [name for name in names if name in turnout.text + page.text]


def test_close_by_organizer_then_teller_announces_on_the_spot(app, client, db):
    poll = make_poll(db, voters=5)
    poll.votes([["甲"]] * 3 + [["乙"]])
    page = f"/rounds/{poll.round.id}"
    public = f"/public/elections/{poll.election.id}/results"
    assert "结果还没有公布" in client.get(public).text
    organizer = signed_in(app, poll.organizer)
    assert post(organizer, f"{page}/close", page=page).status_code == 303
    db.refresh(poll.round)
    assert poll.round.status is RoundStatus.COUNTING
    # Announcing is the tellers' (public count); an organizer is refused.
    assert post(organizer, f"{page}/announce", page=page).status_code == 403
    teller = signed_in(app, poll.teller())
    assert post(teller, f"{page}/announce", page=page).status_code == 303
    shown = client.get(public)
    assert shown.status_code == 200
    assert "当选：甲" in shown.text
    assert "投票人数" in shown.text
    # The tally reads most votes first, as announced.
    rows = [shown.text.index(f"<td>{name}") for name in ("甲", "乙", "丙")]
    assert rows == sorted(rows)
    assert db.scalar(select(func.count()).select_from(RoundOutcome)) == 1


def test_a_void_round_is_announced_with_its_reason(app, client, db):
    poll = make_poll(db, voters=10)
    poll.votes([["甲"]] * 3)
    page = f"/rounds/{poll.round.id}"
    post(signed_in(app, poll.organizer), f"{page}/close", page=page)
    post(signed_in(app, poll.teller()), f"{page}/announce", page=page)
    shown = client.get(f"/public/elections/{poll.election.id}/results").text
    assert "本轮选举无效" in shown
    assert "投票的人数没有超过登记选民的一半" in shown


def test_naming_tellers_needs_two(app, db):
    poll = make_poll(db)
    one, two = poll.teller("张监票"), poll.teller("李计票")
    browser = signed_in(app, poll.organizer)
    page = f"/rounds/{poll.round.id}"
    few = post(browser, f"{page}/tellers", {"tellers": str(one.id)}, page=page)
    assert few.status_code == 422
    assert "请至少选择两名监计票人" in few.text
    assert db.scalar(select(func.count()).select_from(RoundTeller)) == 0
    token = csrf_from(browser, page)
    ok = browser.post(
        f"{page}/tellers", data={"tellers": [str(one.id), str(two.id)], "csrf_token": token}
    )
    assert ok.status_code == 303
    assert {t.id for t in results_certify.named_tellers(db, poll.round)} == {one.id, two.id}


def test_attendance_form_explains_each_mistake_beside_its_field(app, db):
    poll = make_poll(db, voters=6, profile="group-meeting", groups=1)
    browser = signed_in(app, poll.organizer)
    page = f"/rounds/{poll.round.id}"
    bad = post(
        browser,
        f"{page}/attendance",
        {"members": "6", "present": "7", "households": "3"},
        page=page,
    )
    assert bad.status_code == 422
    assert "实到人数不能多于应到人数" in bad.text
    assert "户数要么两项都填，要么都不填" in bad.text
    db.refresh(poll.round)
    assert poll.round.present is None
    ok = post(browser, f"{page}/attendance", {"members": "6", "present": "5"}, page=page)
    assert ok.status_code == 303
    db.refresh(poll.round)
    assert (poll.round.members, poll.round.present) == (6, 5)


def test_further_round_from_the_page_after_an_unfilled_seat(app, db):
    poll = make_poll(db, voters=6)
    poll.votes([["甲"]] * 2 + [["乙"]] * 2)
    page = f"/rounds/{poll.round.id}"
    organizer = signed_in(app, poll.organizer)
    post(organizer, f"{page}/close", page=page)
    post(signed_in(app, poll.teller()), f"{page}/announce", page=page)
    assert "安排新一轮投票" in organizer.get(page).text
    response = post(organizer, f"{page}/further", page=page)
    assert response.status_code == 303
    further = db.scalar(select(Round).where(Round.number == 2))
    assert response.headers["location"] == f"/rounds/{further.id}"
    db.refresh(poll.election)
    assert poll.election.stage is Stage.CANDIDATES_PUBLISHED


def test_read_only_staff_and_other_villages_change_nothing(app, db):
    poll = make_poll(db)
    page = f"/rounds/{poll.round.id}"
    leader = signed_in(app, factories.staff(Role.GROUP_LEADER, poll.village))
    assert leader.get(page).status_code == 200
    assert post(leader, f"{page}/close", page=page).status_code == 403
    outsider = signed_in(app, factories.staff(Role.ORGANIZER))
    assert outsider.get(page).status_code == 403
    db.refresh(poll.round)
    assert poll.round.status is RoundStatus.OPEN
