"""The round page, turnout, closing and announcing through HTTP, and the public results."""

from __future__ import annotations

from sqlalchemy import func, select

from app.permissions import Role
from app.registry.models import Person
from ballots.models import Round, RoundOutcome, RoundStatus, RoundTeller, Stage
from ballots.results import certification as results_certify
from ballots.results import services as results
from tests import factories
from tests.app.helpers import signed_in
from tests.ballots.results_support import ELECTION_DAY, make_poll
from tests.conftest import csrf_from
from tests.html import soup


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
    # No timed reload moves the page under a reader (WCAG 2.2.1): a 刷新 link instead.
    assert soup(turnout.text).select('meta[http-equiv="refresh"]') == []
    refresh = [a for a in soup(turnout.text).select("main a") if a.get_text(strip=True) == "刷新"]
    assert [a["href"] for a in refresh] == [f"/rounds/{poll.round.id}/turnout"]
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
    poll.votes([["甲"]] * 3)
    browser = signed_in(app, poll.organizer)
    page = f"/rounds/{poll.round.id}"
    shown = soup(browser.get(page).text).select_one("#attendance")
    assert "本组选民名单计算：6 人，6 户" in shown.get_text()
    assert shown.select("input[name=members], input[name=households]") == []

    def error_beside(response, name: str) -> str:  # type: ignore[no-untyped-def]
        assert response.status_code == 422
        found = soup(response.text).select_one(f"#attendance #e-{name}")
        assert found is not None, name
        return str(found.get_text())

    typed = post(browser, f"{page}/attendance", {"present": "七"}, page=page)
    assert "请填一个整数" in error_beside(typed, "present")
    beyond = post(browser, f"{page}/attendance", {"present": "7"}, page=page)
    assert "不能多于本组选民名单上的 6 人" in error_beside(beyond, "present")
    assert soup(beyond.text).select_one("#f-present")["value"] == "7"
    below = post(browser, f"{page}/attendance", {"present": "2"}, page=page)
    assert "已经有 3 人投了票" in error_beside(below, "present")
    db.refresh(poll.round)
    assert poll.round.present is None
    ok = post(browser, f"{page}/attendance", {"present": "3"}, page=page)
    assert ok.status_code == 303
    db.refresh(poll.round)
    assert (poll.round.members, poll.round.present) == (6, 3)
    verdict = soup(browser.get(page).text).select_one("#attendance p.bad")
    assert "法定人数没有达到" in verdict.get_text()
    assert "至少要到 4 人" in verdict.get_text()


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


def test_the_round_page_offers_each_staff_member_only_the_links_they_may_follow(app, db):
    poll = make_poll(db)
    page = f"/rounds/{poll.round.id}"
    for role, mobile_link in ((Role.TOWNSHIP_ADMIN, False), (Role.TELLER, True)):
        browser = signed_in(app, factories.staff(role, poll.village))
        toolbar = soup(browser.get(page).text).select("p.toolbar a")
        hrefs = [a["href"] for a in toolbar]
        assert (f"{page}/mobile" in hrefs) is mobile_link, role
        for href in hrefs:
            assert browser.get(href).status_code == 200, (role, href)


def test_a_void_first_round_held_again_is_not_called_the_first_round(app, db, client):
    poll = make_poll(db, voters=10)
    poll.votes([["甲"]] * 3)  # 3 of 10: no more than half voted, void
    results.close_voting(db, poll.actor, poll.round, ELECTION_DAY)
    outcome = results.announce(db, poll.actor, poll.round, ELECTION_DAY)
    again = results.further_round(db, poll.actor, poll.election, results.result_of(outcome))
    browser = signed_in(app, poll.organizer)
    lead = soup(browser.get(f"/rounds/{again.id}").text).select_one("p.lead").get_text()
    assert "第 2 轮：上一轮无效，重新投票" in lead
    assert "第一轮投票" not in lead
    public = soup(client.get(f"/public/elections/{poll.election.id}/results").text)
    assert [h.get_text(" ", strip=True).split(" · ")[0] for h in public.select("h2")] == [
        "第 1 轮：第一轮投票"
    ]


def test_after_a_void_round_the_election_page_says_a_new_round_comes_next(app, db):
    poll = make_poll(db, voters=10)
    poll.votes([["甲"]] * 3)  # void: no more than half voted
    results.close_voting(db, poll.actor, poll.round, ELECTION_DAY)
    results.announce(db, poll.actor, poll.round, ELECTION_DAY)
    browser = signed_in(app, poll.organizer)
    overview = soup(browser.get(f"/elections/{poll.election.id}").text).get_text()
    assert "下一步是：安排新一轮投票（本轮选举无效）" in overview
    assert "确认结果" not in overview
    round_page = soup(browser.get(f"/rounds/{poll.round.id}").text)
    assert "安排新一轮投票" in round_page.get_text()


def test_tellers_are_listed_as_a_person_counts_them(app, db):
    poll = make_poll(db)
    for name in ("监票人丙", "监票人乙", "监票人甲"):
        poll.teller(name)
    page = soup(signed_in(app, poll.organizer).get(f"/rounds/{poll.round.id}").text)
    form = page.select_one("form[action$='/tellers']")
    names = [label.get_text(strip=True) for label in form.select("label")]
    ours = [n for n in names if n.startswith("监票人")]
    assert ours == ["监票人甲", "监票人乙", "监票人丙"]
