"""Done when (issue 13, Rehearsal): a drill election runs end to end and appears nowhere
outside its drill pages.

A drill (演练) of the director's election in a village of six, from creation to
certification, through the pages and with the real clock: each drill day lasts one
second (the setting; the create form leaves the length blank), and the test sleeps until
the drill's days have passed, exactly as the law's day rules ask (roll 20 days before
election day, objections 5 days, candidate list 5 days). Every page and printout of it
says 演练 (the slip sheet on each slip, the paper ballot, the public results, the
tracker, the villagers' pages). The assessment, the API, the home page and the audit log
of real work do not count it; removing it afterwards leaves nothing behind but its
audit entries, marked drill, and the chain still verifies.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.drill import china_today
from app.permissions import Role
from app.registry.models import Person
from ballots.models import Ballot, Credential, Election, Receipt, RollEntry, Round, RoundOutcome
from slips.links import slip_token
from slips.models import Assembly, Slip
from tests import factories
from tests.functional.drill_support import (
    NAMES,
    Outside,
    banner,
    chain_intact,
    village_of_six,
    wait_for_drill_day,
    with_short_days,
)
from tests.functional.test_election_assembly import Staff, _box_password, _open_box, _vote
from tests.html import soup

TITLE = "计生主任选举（演练）"
VOTES = {"王芳": "王芳", "陈刚": "王芳", "林霞": "陈刚", "周伟": "王芳", "吴娟": "陈刚"}


@pytest.fixture
def settings(settings):
    return with_short_days(settings)


def test_a_whole_drill_election(app, client, db, settings):
    village = village_of_six()
    organizer = Staff(app, factories.staff(Role.ORGANIZER, village))
    tellers = [
        Staff(app, factories.staff(Role.TELLER, village, display_name=n))
        for n in ("甲监票", "乙计票", "丙监票")
    ]
    outside = Outside(app, db, client, village)
    db.flush()
    before = outside.figures(organizer)

    # Created from the ordinary form with 这是演练 ticked; a bad day length is refused
    # beside its field, and nothing is written.
    day_one = china_today()
    election_day = day_one + timedelta(days=22)
    form = {
        "title": TITLE, "office": "director", "office_label": "", "electorate": "village",
        "group_id": "", "seats": "1", "profile_name": "", "election_day": election_day.isoformat(),
        "drill": "1",
    }  # fmt: skip
    refused = organizer.post(
        f"/villages/{village.id}/elections/new", expect=422, **form, drill_day_seconds="5"
    )
    error = soup(refused.text).select_one("#e-drill_day_seconds").get_text()
    assert "10 到 3600" in error
    assert db.scalar(select(func.count()).select_from(Election)) == 0
    created = organizer.post(f"/villages/{village.id}/elections/new", **form)
    election_id = int(created.headers["location"].rsplit("/", 1)[1])
    page = organizer.get(f"/elections/{election_id}")
    assert "演练第 1 天" in banner(page) and "每天 1 秒" in banner(page)

    organizer.post(f"/elections/{election_id}/roll/build")
    organizer.post(f"/elections/{election_id}/advance", target="roll_published")
    db.expire_all()
    published = db.get(Election, election_id).roll_published_on
    # The law's five days of objections hold in the drill too, on the drill's clock.
    blocked = organizer.post(
        f"/elections/{election_id}/advance", expect=409, target="objections_closed"
    )
    assert "异议期还没有结束" in blocked.text and "演练" in banner(blocked.text)
    public_roll = client.get(f"/public/elections/{election_id}/roll").text
    assert "演练" in banner(public_roll)
    wait_for_drill_day(db, db.get(Election, election_id), published + timedelta(days=5))
    late = organizer.post(
        f"/elections/{election_id}/objections/new",
        expect=409,
        filed_by="王芳",
        person_name="",
        person_id="",
        text="漏登了一个人",
    )
    assert "已经过了" in late.text
    organizer.post(f"/elections/{election_id}/advance", target="objections_closed")
    organizer.post(f"/elections/{election_id}/advance", target="nominations")
    for number, nominee in enumerate(["王芳", "陈刚", "王芳", "林霞"], start=1):
        organizer.post(
            f"/elections/{election_id}/nominations/new",
            nominee_name=nominee,
            nominee_person_id="",
            nominator="paper",
            paper_number=str(number),
        )
    organizer.post(f"/elections/{election_id}/candidates/publish", count="3")

    # A drill assembly: its slips say 演练, one by one.
    assembly = organizer.post(
        f"/villages/{village.id}/assemblies/new",
        title="青山村选举演练大会",
        held_on=election_day.isoformat(),
        place="村委会礼堂",
        expires_on=(election_day + timedelta(days=1)).isoformat(),
        expires_time="23:59",
        drill="1",
    ).headers["location"]
    organizer.post(f"{assembly}/elections", election_id=str(election_id))
    organizer.post(f"{assembly}/slips")
    sheet = soup(organizer.get(f"{assembly}/slips/sheet"))
    slips = sheet.select("li.slip")
    assert len(slips) == len(NAMES)
    assert all("演练" in s.select_one(".slip-drill-mark").get_text() for s in slips)
    assert sheet.select_one(".drill-banner") is not None

    round_id = db.scalar(select(Round.id).where(Round.election_id == election_id))
    organizer.post(f"/rounds/{round_id}/tellers", tellers=[str(t.user.id) for t in tellers])
    for teller in tellers:
        password = _box_password(teller.user.display_name)
        teller.post(
            f"/rounds/{round_id}/box-password", box_password=password, box_password_confirm=password
        )
    early = organizer.post(f"/elections/{election_id}/advance", expect=409, target="voting_open")
    assert f"还没到选举日（{election_day.isoformat()}）" in early.text
    wait_for_drill_day(db, db.get(Election, election_id), election_day)
    organizer.post(f"/elections/{election_id}/advance", target="voting_open")

    # Nowhere outside its pages while it runs: not among the home page's tasks.
    assert TITLE not in organizer.get("/")
    ballot_print = organizer.get(f"/rounds/{round_id}/paper/ballot")
    assert "演练" in banner(ballot_print)
    links = {
        person.name: "/s/" + slip_token(settings, slip)
        for slip, person in db.execute(
            select(Slip, Person).join(Person, Person.id == Slip.person_id)
        )
    }
    receipts = [_vote(app, links[voter], TITLE, [choice]) for voter, choice in VOTES.items()]
    assert "演练" in banner(client.get(links["郑磊"]).text)  # the villager's page too

    page = f"/rounds/{round_id}"
    organizer.post(f"{page}/close")
    _open_box(tellers, round_id)
    tellers[0].post(f"{page}/announce")
    for teller in tellers:
        teller.post(f"{page}/certify", password=factories.PASSWORD)
    db.expire_all()
    assert db.get(Election, election_id).stage.value == "certified"
    result = json.loads(
        db.scalar(
            select(RoundOutcome.result_json).where(
                RoundOutcome.round_id == round_id, RoundOutcome.kind == "certified"
            )
        )
    )
    assert (result["ballots_cast"], result["elected"]) == (5, ["王芳"])

    # Its own public-looking pages say 演练; the export says drill.
    results = client.get(f"/public/elections/{election_id}/results").text
    assert "当选：王芳" in results and "演练" in banner(results)
    tracker = client.get(f"/public/rounds/{round_id}/tracker").text
    assert all(code in tracker for code in receipts) and "演练" in banner(tracker)
    export = client.get(f"/public/rounds/{round_id}/export.json")
    assert export.json()["metadata"]["drill"] is True
    assert "drill-election" in export.headers["content-disposition"]

    # Counted nowhere: the assessment (page and API), the API's results, the home page.
    assert outside.figures(organizer) == before
    assert outside.api(f"/elections/{election_id}/results")[0] == 404
    # The audit log keeps its entries, each marked drill.
    summaries = [
        json.loads(s)
        for s in db.scalars(select(AuditEntry.summary).where(AuditEntry.object_type == "election"))
    ]
    assert summaries and all(s.get("drill") is True for s in summaries)

    # Removed afterwards, after a confirmation step: everything it made goes.
    remove = f"/elections/{election_id}/drill/remove"
    confirm = soup(organizer.get(remove))
    assert confirm.select_one(f"form[action='{remove}']") is not None
    organizer.post(remove)
    db.expire_all()
    for model in (
        Election,
        Round,
        RollEntry,
        Credential,
        Ballot,
        Receipt,
        RoundOutcome,
        Slip,
        Assembly,
    ):
        assert db.scalar(select(func.count()).select_from(model)) == 0, model
    assert chain_intact(db)
    removal = db.scalar(select(AuditEntry).where(AuditEntry.action == "election.drill_remove"))
    assert json.loads(removal.summary)["drill"] is True
    listed = soup(organizer.get(f"/villages/{village.id}/elections"))
    assert "已删除" in listed.select_one(".flash").get_text()
    assert listed.select("table.elections") == [] and listed.select_one(".empty") is not None
    assert client.get(f"/public/elections/{election_id}/results").status_code == 404
