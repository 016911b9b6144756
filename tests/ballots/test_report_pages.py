"""The election report's pages through HTTP: the report with its facilities form, its A4
print and downloads, who may see and change what, and the township's roll-up."""

from __future__ import annotations

from sqlalchemy import func, select

from app.permissions import Role
from ballots.models import ElectionFacilities
from ballots.results import services as results
from tests import factories
from tests.app.helpers import signed_in
from tests.ballots import factories_elections as fe
from tests.ballots.report_support import (
    by_label,
    csv_tables,
    page_tables,
    reported_election,
    xlsx_tables,
)
from tests.ballots.results_support import ELECTION_DAY, make_poll
from tests.conftest import csrf_from
from tests.html import soup


def _post(browser, path, page, **data):
    return browser.post(path, data={**data, "csrf_token": csrf_from(browser, page)})


def _facility_rows(db):
    return db.scalar(select(func.count()).select_from(ElectionFacilities))


def test_the_report_shows_every_round_and_the_elected(app, db):
    made = reported_election(db)
    page = signed_in(app, made.poll.organizer).get(f"/elections/{made.poll.election.id}/report")
    assert page.status_code == 200
    tables = page_tables(page.text)
    rounds = by_label(tables["各轮投票情况"])
    assert tables["各轮投票情况"][0] == ["项目", "第 1 轮", "第 2 轮"]
    assert rounds["参加投票的人数"] == ["7", "6"]
    assert rounds["其中扫码投票"] == ["3", "3"]
    assert rounds["其中流动票箱"] == ["1", "0"]
    assert rounds["代写的选票"] == ["2", "1"]
    assert rounds["有效票（含空白票）"] == ["6", "6"]
    assert rounds["无效票（废票）"] == ["1", "0"]
    summary = by_label(tables["基本情况"])
    assert summary["登记选民"][0] == "10" and summary["投票轮数"][0] == "2"
    assert summary["票箱"][0] == "未填写"
    elected = by_label(tables["当选人"])
    assert elected == {
        "甲": ["女", "36", "36 至 45 岁", "1"],
        "乙": ["男", "60", "56 至 60 岁", "2"],
    }
    (structure,) = tables["当选人结构"][1:]
    assert structure[:3] == ["2", "1", "50.0%"]


def test_the_election_page_links_to_its_report(app, db):
    poll = make_poll(db)
    page = signed_in(app, poll.organizer).get(f"/elections/{poll.election.id}")
    hrefs = [a["href"] for a in soup(page.text).select("main a")]
    assert f"/elections/{poll.election.id}/report" in hrefs


def test_the_facilities_form_suggests_from_the_ledger_and_refuses_bad_numbers(app, db):
    made = reported_election(db)
    report = f"/elections/{made.poll.election.id}/report"
    organizer = signed_in(app, made.poll.organizer)
    form = soup(organizer.get(report).text).select_one("#facilities form")
    # Paper was handed out and a mobile box went round: one of each is suggested; the
    # ledger knows nothing of booths, so that one is asked, not guessed.
    assert {i["name"]: i["value"] for i in form.select("input[inputmode]")} == {
        "ballot_boxes": "1",
        "mobile_boxes": "1",
        "booths": "",
    }
    refused = _post(
        organizer, f"{report}/facilities", report, ballot_boxes="-1", mobile_boxes="1", booths=""
    )
    assert refused.status_code == 422
    page = soup(refused.text)
    assert "请填 0 到 9999 之间的整数" in page.select_one("#e-ballot_boxes").get_text()
    assert "没有就填 0" in page.select_one("#e-booths").get_text()
    assert page.select_one("#f-ballot_boxes")["value"] == "-1"  # what was typed stays
    assert _facility_rows(db) == 0
    saved = _post(
        organizer, f"{report}/facilities", report, ballot_boxes="2", mobile_boxes="1", booths="3"
    )
    assert saved.status_code == 303 and saved.headers["location"] == report
    summary = by_label(page_tables(organizer.get(report).text)["基本情况"])
    assert [summary[k][0] for k in ("票箱", "流动票箱", "秘密写票处")] == ["2", "1", "3"]
    assert _facility_rows(db) == 1


def test_read_only_staff_see_the_report_but_cannot_enter_facilities(app, db):
    made = reported_election(db)
    report = f"/elections/{made.poll.election.id}/report"
    teller = signed_in(app, factories.staff(Role.TELLER, made.poll.village))
    page = teller.get(report)
    assert page.status_code == 200 and soup(page.text).select_one("#facilities form") is None
    refused = _post(
        teller, f"{report}/facilities", report, ballot_boxes="1", mobile_boxes="1", booths="1"
    )
    assert refused.status_code == 403 and _facility_rows(db) == 0
    outsider = signed_in(app, factories.staff(Role.ORGANIZER))
    assert outsider.get(report).status_code == 403


def test_the_report_prints_and_downloads_the_same_figures(app, db):
    made = reported_election(db)
    base = f"/elections/{made.poll.election.id}/report"
    browser = signed_in(app, made.poll.organizer)
    printed = browser.get(f"{base}/print")
    assert printed.status_code == 200 and "print-a4" in soup(printed.text).body["class"]
    assert page_tables(printed.text) == page_tables(browser.get(base).text)
    csv_rounds = by_label(csv_tables(browser.get(f"{base}/csv").content)["各轮投票情况"])
    assert csv_rounds["投出的选票"] == ["7", "6"]
    sheets = xlsx_tables(browser.get(f"{base}/xlsx").content)
    rounds = by_label(sheets["各轮投票情况"])
    assert rounds["投出的选票"] == [7, 6] and all(type(n) is int for n in rounds["投出的选票"])
    summary = by_label(sheets["基本情况"])
    assert summary["票箱"][0] is None  # not entered: an empty cell, not text


def test_the_township_roll_up_per_village_and_in_total(app, db):
    made = reported_election(db)
    village = made.poll.village
    admin = signed_in(app, factories.staff(Role.TOWNSHIP_ADMIN, village))
    home = admin.get("/")
    assert "/election-report" in [a["href"] for a in soup(home.text).select("nav a")]
    page = admin.get("/election-report", params={"from": "2026-12-01", "to": "2026-12-31"})
    assert page.status_code == 200
    tables = page_tables(page.text)
    elections = tables["各村的选举"]
    assert elections[0] == ["村", "选举", "选举日", "应选名额", "投票轮数", "状态"]
    assert elections[1] == [village.name, "计生主任选举", "2026-12-20", "2", "2", "结果已生效"]
    turnout = tables["参加投票的人数（第一轮）"]
    assert turnout[0][:4] == ["村", "选举", "登记选民", "参加投票"]
    assert turnout[1][:4] == [village.name, "计生主任选举", "10", "7"]
    assert turnout[2][:4] == ["合计", "1 场选举", "10", "7"]
    structure = by_label(tables["当选人和女性当选人（按村）"])
    assert structure[village.name][:5] == ["1", "1", "2", "1", "50.0%"]
    empty = admin.get("/election-report", params={"from": "2025-01-01", "to": "2025-12-31"})
    assert "这段时间里没有选举。" in empty.text
    sheets = xlsx_tables(
        admin.get(
            "/election-report/xlsx", params={"from": "2026-12-01", "to": "2026-12-31"}
        ).content
    )
    total = by_label(sheets["参加投票的人数（第一轮）"])["合计"]
    assert total[1:3] == [10, 7]


def test_a_wrong_period_is_refused_beside_its_field(app, db):
    admin = signed_in(app, factories.staff(Role.TOWNSHIP_ADMIN))
    refused = admin.get("/election-report", params={"from": "2026-05-01", "to": "2026-04-01"})
    assert refused.status_code == 422
    assert "不能早于开始日期" in soup(refused.text).select_one("#e-to").get_text()
    download = admin.get("/election-report/csv", params={"from": "2026-05-01", "to": "2026-04-01"})
    assert download.status_code == 422 and "text/html" in download.headers["content-type"]


def test_a_village_organizer_sees_only_their_village_in_the_roll_up(app, db):
    made = reported_election(db)
    other = factories.VillageFactory(township=made.poll.village.township, name="后山村")
    make_poll(db).election.village_id = other.id
    db.flush()
    page = signed_in(app, made.poll.organizer).get(
        "/election-report", params={"from": "2026-01-01", "to": "2026-12-31"}
    )
    assert "后山村" not in page.text
    assert made.poll.village.name in page.text


def test_a_round_waiting_to_open_has_no_column(app, db):
    made = reported_election(db, certify=False)
    page = signed_in(app, made.poll.organizer).get(f"/elections/{made.poll.election.id}/report")
    assert page_tables(page.text)["各轮投票情况"][0] == ["项目", "第 1 轮", "第 2 轮"]
    poll = make_poll(db, voters=4, seats=2)
    poll.votes([["甲"], ["甲"], ["乙"]])
    results.close_voting(db, poll.actor, poll.round, ELECTION_DAY)
    outcome = results.announce(db, poll.actor, poll.round, ELECTION_DAY)
    results.further_round(db, poll.actor, poll.election, results.result_of(outcome))
    page = signed_in(app, poll.organizer).get(f"/elections/{poll.election.id}/report")
    tables = page_tables(page.text)
    assert tables["各轮投票情况"][0] == ["项目", "第 1 轮"]
    assert by_label(tables["基本情况"])["投票轮数"][0] == "1"
    assert "第 2 轮：另行选举，等待投票" in by_label(tables["基本情况"])["投票轮数"][1]


def test_a_drill_s_report_says_drill_on_the_page_and_in_the_files(app, db):
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    drill = fe.election(db, village, organizer=organizer, drill_day_seconds=60)
    browser = signed_in(app, organizer)
    base = f"/elections/{drill.id}/report"
    page = soup(browser.get(base).text)
    assert page.select_one(".drill-banner") is not None
    assert all(title.startswith("【演练】") for title in page_tables(str(page)))
    assert all(
        name.startswith("【演练】") for name in xlsx_tables(browser.get(f"{base}/xlsx").content)
    )
