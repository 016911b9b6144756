"""The staff home page opens on the day's work: a teller signing in on assembly day is
pointed at the vote in progress (paper ballots, the mobile box), the count to make and the
meeting to check people in to."""

from __future__ import annotations

from datetime import timedelta

from app.db import utcnow
from app.permissions import Role
from ballots.models import RoundStatus
from meetings.models import MeetingStatus
from tests import factories
from tests.app.helpers import signed_in
from tests.ballots import factories_elections as fe
from tests.html import soup
from tests.meetings.meetings_support import villagers_assembly


def _today(browser) -> list[tuple[str, list[str]]]:  # type: ignore[no-untyped-def]
    section = soup(browser.get("/").text).select_one("section.today")
    if section is None:
        return []
    return [
        (
            li.select_one("strong").get_text(strip=True),
            [a.get_text(strip=True) for a in li.select("a")],
        )
        for li in section.select("li")
    ]


def test_a_teller_is_pointed_at_the_day_s_tasks(app, db):
    v = fe.voting(db, voters=2)
    teller = factories.staff(Role.TELLER, v.village)
    organizer = v.organizer
    villagers_assembly(
        db, v.village, organizer, organizer, title="村民会议", place="礼堂",
        starts_at=utcnow() - timedelta(minutes=10), status=MeetingStatus.OPEN,
    )  # fmt: skip
    browser = signed_in(app, teller)
    assert _today(browser) == [
        (f"正在投票：{v.election.title}（第 1 轮）", ["本轮投票页面", "发纸质选票", "流动票箱"]),
        ("正在开会：村民会议", ["签到"]),
    ]
    v.round.status = RoundStatus.COUNTING
    db.flush()
    tasks = _today(browser)
    assert tasks[0] == (
        f"投票已结束，等待计票：{v.election.title}（第 1 轮）",
        ["开箱、计票、公布结果"],
    )
    for link in soup(browser.get("/").text).select("section.today a"):
        assert browser.get(link["href"]).status_code == 200


def test_nothing_to_do_shows_no_section(app, db):
    village = factories.VillageFactory()
    assert _today(signed_in(app, factories.staff(Role.TELLER, village))) == []
