"""Irreversible buttons have a confirmation step, without script (issue 13): the button
opens a page saying what will happen and what cannot be undone; nothing changes until its
own button is pressed."""

from __future__ import annotations

from datetime import timedelta

from app.registry.rules import today_in_china
from ballots import setup
from ballots.models import RoundStatus, Stage
from tests.app.helpers import signed_in, table_counts
from tests.ballots.results_support import make_poll
from tests.ballots.setup_support import election, place
from tests.html import soup


def _press(browser, page: str, button: str):  # type: ignore[no-untyped-def]
    """Press `button` on `page` as a browser does: a GET form goes to its action with its
    fields, a POST form with its fields and the CSRF token."""
    form = next(
        f for f in soup(browser.get(page).text).select("form")
        if any(b.get_text(strip=True) == button for b in f.select("button"))
    )  # fmt: skip
    data = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
    if form.get("method", "get").lower() == "get":
        return browser.get(form["action"], params=data)
    return browser.post(form["action"], data=data)


def test_ending_the_vote_asks_first_and_says_what_cannot_be_undone(app, db, connection):
    poll = make_poll(db, voters=10)
    poll.votes([["甲"]] * 3)
    browser = signed_in(app, poll.organizer)
    round_page = f"/rounds/{poll.round.id}"
    before = table_counts(connection)
    asked = _press(browser, round_page, "结束投票，开始计票")
    assert asked.status_code == 200
    step = soup(asked.text).select_one("section.confirm")
    assert "现在已有 3 人投票" in step.get_text()
    assert "投票结束以后不能重新打开" in step.get_text()
    assert table_counts(connection) == before and poll.round.status is RoundStatus.OPEN
    back = step.select_one("a.button")
    assert back.get_text(strip=True) == "返回，先不做" and back["href"] == round_page
    done = browser.post(
        asked.url.path, data={i["name"]: i["value"] for i in step.select("input[name]")}
    )
    assert done.status_code == 303
    db.refresh(poll.round)
    assert poll.round.status is RoundStatus.COUNTING

    teller = signed_in(app, poll.teller())
    asked = _press(teller, round_page, "计票并当场公布结果")
    step = soup(asked.text).select_one("section.confirm")
    assert "不能撤回或重算" in step.get_text()
    db.refresh(poll.round)
    assert poll.round.status is RoundStatus.COUNTING
    assert _press(teller, asked.url.path, "确认计票并公布").status_code == 303
    db.refresh(poll.round)
    assert poll.round.status is not RoundStatus.COUNTING


def test_publishing_the_roll_asks_first(app, db):
    where = place(db, voters=3)
    found = election(db, where, election_day=today_in_china() + timedelta(days=30))
    setup.build_roll(db, where.actor, found)
    browser = signed_in(app, where.organizer)
    asked = _press(browser, f"/elections/{found.id}", "公示选民名单")
    step = soup(asked.text).select_one("section.confirm")
    assert "公示日期记为今天；共 3 人" in step.get_text()
    assert "不能退回" in step.get_text()
    db.refresh(found)
    assert found.stage is Stage.DRAFT
    assert _press(browser, str(asked.url), "确认公示选民名单").status_code == 303
    db.refresh(found)
    assert found.stage is Stage.ROLL_PUBLISHED
