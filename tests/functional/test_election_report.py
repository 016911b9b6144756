"""Done when (issue 17, "The township's election report"): the report's figures equal an
independent count from the database, for an election run through the pages with every
channel, a proxy, helped ballots and a further round (另行选举).

Twelve voters elect two association council members (two seats, three candidates). In
the first round six vote by QR, two on paper at the hall (one blank, one spoiled), one at
the mobile ballot box, and one by proxy; 王芳 passes half and is elected, the second seat
is left open. The further round between 李强 and 张敏 elects 李强; it is certified by the
three tellers. Two voters who cannot write have help in the first round, one in the
second. The organizer enters the polling facilities on the report page (a bad number is
refused beside its field), then the report page, its CSV and its .xlsx (read back with
openpyxl: every figure a number), and the township admin's roll-up, are compared, figure
by figure, with counts made here with plain SQL on the tables, not with the report's code.

Help in writing (代写) is recorded as the teller does it: on the "请谁代写？" page of the
issue desk and of the mobile ballot box, finding the helper the voter names in the
registry. Only the calendar is moved, as in test_election_assembly: the election's
stored dates shift back as if the weeks had passed.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta

from sqlalchemy import select, text

from app.permissions import Role
from app.registry.models import Person, Sex
from app.registry.rules import today_in_china
from ballots.models import Channel, Round
from slips.links import slip_token
from slips.models import Slip
from tests import factories
from tests.ballots import factories_elections as fe
from tests.ballots.report_support import by_label, csv_tables, page_tables, xlsx_tables
from tests.conftest import csrf_from
from tests.functional.test_election_assembly import (
    Staff,
    _box_password,
    _days_pass,
    _entry_id,
    _open_box,
    _vote,
)
from tests.html import soup

TITLE = "计生协会理事选举"
# name: (sex, birth year, birth month)
PEOPLE = {
    "王芳": (Sex.FEMALE, 1985, 5), "李强": (Sex.MALE, 1962, 1), "张敏": (Sex.FEMALE, 1978, 9),
    "陈刚": (Sex.MALE, 1950, 3), "林霞": (Sex.FEMALE, 1990, 7), "周伟": (Sex.MALE, 1970, 2),
    "吴娟": (Sex.FEMALE, 1941, 4), "郑磊": (Sex.MALE, 1958, 11), "孙丽": (Sex.FEMALE, 1939, 6),
    "朱明": (Sex.MALE, 1995, 8), "胡军": (Sex.MALE, 1966, 10), "高燕": (Sex.FEMALE, 1988, 12),
}  # fmt: skip
NOMINEES = ["王芳", "李强", "张敏", "王芳", "李强", "张敏"]
# Round 1: QR ballots (voter: names), paper (in the stack's order), the mobile box, a proxy.
QR_1 = {
    "王芳": ["王芳", "李强"], "李强": ["王芳", "李强"], "张敏": ["王芳", "张敏"], "陈刚": ["王芳"],
    "林霞": ["李强", "张敏"], "周伟": ["王芳"],
}  # fmt: skip
PAPER_1 = {"吴娟": "blank", "郑磊": "invalid"}
MOBILE = ("孙丽", ["王芳", "张敏"])
PROXY = ("朱明", "周伟")  # 朱明 is away and entrusts 周伟 in writing
PROXY_1 = ["王芳", "李强"]
HELP_1 = {"吴娟": "胡军", "孙丽": "高燕"}  # voter: the helper they chose
# Round 2 (另行选举: 李强 or 张敏, one seat).
QR_2 = {
    "王芳": ["李强"], "李强": ["李强"], "张敏": ["张敏"], "陈刚": ["李强"], "林霞": ["张敏"],
    "周伟": ["李强"],
}  # fmt: skip
PAPER_2 = {"吴娟": ["李强"], "郑磊": "blank"}
PROXY_2 = ["张敏"]
HELP_2 = {"吴娟": "胡军"}


def _village(db):
    village = factories.VillageFactory(name="青山村")
    for name, (sex, year, month) in PEOPLE.items():
        household = factories.HouseholdFactory(village_id=village.id)
        factories.PersonFactory(
            household=household, name=name, sex=sex, birth_year=year, birth_month=month
        )
    db.flush()
    return village


def _prepare(db, organizer, village):
    """Create, roll, publish, nominate and list the candidates, through the pages."""
    created = organizer.post(
        f"/villages/{village.id}/elections/new",
        title=TITLE, office="other", office_label="协会理事", electorate="village", group_id="",
        seats="2", profile_name="", election_day=(today_in_china() + timedelta(days=20)).isoformat(),
    )  # fmt: skip
    election_id = int(created.headers["location"].rsplit("/", 1)[1])
    organizer.post(f"/elections/{election_id}/roll/build")
    organizer.post(f"/elections/{election_id}/advance", target="roll_published")
    _days_pass(db, [election_id], 5)
    organizer.post(f"/elections/{election_id}/advance", target="objections_closed")
    organizer.post(f"/elections/{election_id}/advance", target="nominations")
    for number, nominee in enumerate(NOMINEES, start=1):
        organizer.post(
            f"/elections/{election_id}/nominations/new",
            nominee_name=nominee, nominee_person_id="", nominator="paper", paper_number=str(number),
        )  # fmt: skip
    organizer.post(f"/elections/{election_id}/candidates/publish", count="3")
    _days_pass(db, [election_id], 15)
    return election_id


def _ready_round(organizer, tellers, round_id):
    """The round's three tellers are named and each sets a box password."""
    organizer.post(f"/rounds/{round_id}/tellers", tellers=[str(t.user.id) for t in tellers])
    for teller in tellers:
        password = _box_password(teller.user.display_name)
        teller.post(
            f"/rounds/{round_id}/box-password", box_password=password, box_password_confirm=password
        )


def _links(db, settings):
    return {
        person.name: "/s/" + slip_token(settings, slip)
        for slip, person in db.execute(
            select(Slip, Person).join(Person, Person.id == Slip.person_id)
        )
    }


def _helper_id(teller, page, helper):
    """The helper the voter names, found on the "请谁代写？" page as the teller finds them."""
    found = soup(teller.get(page, q=helper))
    cards = found.select("input[name=helper_id]")
    assert len(cards) == 1, found.select_one("main").get_text(" ", strip=True)
    return cards[0]["value"]


def _issue_paper(teller, round_id, names, helped):
    """Paper ballots at the desk; a voter who asked for help gets theirs through the help
    page, which records the helper and issues the ballot in one step."""
    for name in names:
        entry = _entry_id(teller, f"/rounds/{round_id}/paper/issue", name)
        if name in helped:
            page = f"/rounds/{round_id}/paper/issue/{entry}/help"
            teller.post(page, helper_id=_helper_id(teller, page, helped[name]), q=helped[name])
        else:
            teller.post(f"/rounds/{round_id}/paper/issue", entry_id=entry, q=name)


def _mobile_box(organizer, teller, election_id, round_id, helped):
    name, marks = MOBILE
    entry = _entry_id(organizer, f"/elections/{election_id}/homebound", name)
    organizer.post(f"/elections/{election_id}/homebound/mark", entry_id=entry, homebound="1")
    if name in helped:  # the teller checks the helper before the phone leaves their hands
        page = f"/rounds/{round_id}/mobile/{entry}/help"
        handed = teller.post(page, helper_id=_helper_id(teller, page, helped[name]))
    else:
        handed = teller.post(f"/rounds/{round_id}/mobile/{entry}/hand-over")
    ballot = handed.headers["location"]
    teller.get(ballot)
    teller.post(ballot, expect=200, mark=marks, step="confirm")
    teller.post(ballot, expect=200, mark=marks, step="cast")
    teller.post("/account/resume", password=factories.PASSWORD)
    teller.token = csrf_from(teller.client, "/")


def _public_count(tellers, round_id, stack):
    """Two tellers enter the paper stack independently; then the paper count closes."""
    for teller in tellers[:2]:
        count = teller.post(f"/rounds/{round_id}/paper/counts", stack="1").headers["location"]
        for position, reading in enumerate(stack.values(), start=1):
            data = {"action": reading} if isinstance(reading, str) else {"mark": reading}
            teller.post(count, expect=200, position=str(position), **data)
    tellers[0].post(f"/rounds/{round_id}/paper/close")


def _close_and_count(organizer, tellers, round_id, paper):
    page = f"/rounds/{round_id}"
    organizer.post(f"{page}/close")
    _open_box(tellers, round_id)
    _public_count(tellers, round_id, paper)
    tellers[0].post(f"{page}/announce")


# --- the independent count: plain SQL on the tables, plain arithmetic -------------------


BANDS = ["35 岁及以下", "36 至 45 岁", "46 至 55 岁", "56 至 60 岁", "61 岁及以上"]


def _age(year, month, day):
    return day.year - year - (1 if day.month < month else 0)


def _band(age):
    for most, label in ((35, "35 岁及以下"), (45, "36 至 45 岁"), (55, "46 至 55 岁")):
        if age <= most:
            return label
    return "56 至 60 岁" if age <= 60 else "61 岁及以上"


def _ledger(db, election_id):
    def one(sql, **params):
        return db.execute(text(sql), params).scalar_one()

    def rows(sql, **params):
        return db.execute(text(sql), params).all()

    day = date.fromisoformat(
        str(one("SELECT election_day FROM election WHERE id = :e", e=election_id))
    )
    figures = {
        "registered": one(
            "SELECT count(*) FROM roll_entry WHERE election_id = :e AND NOT struck", e=election_id
        ),
        "proxies": one(
            "SELECT count(*) FROM entrustment WHERE election_id = :e AND revoked_at IS NULL",
            e=election_id,
        ),
        "rounds": [],
        "elected": [],
    }
    for round_id, seats, status in rows(
        "SELECT id, seats, status FROM election_round WHERE election_id = :e ORDER BY number",
        e=election_id,
    ):
        channels = dict(
            rows(
                "SELECT channel, count(*) FROM credential_use WHERE round_id = :r GROUP BY channel",
                r=round_id,
            )
        )
        marks = [
            json.loads(m)
            for (m,) in rows("SELECT marks FROM ballot WHERE round_id = :r", r=round_id)
        ]
        invalid = sum(len(set(m)) > seats for m in marks)
        figures["rounds"].append(
            {
                "took_part": sum(channels.values()),
                **{c.value: channels.get(c.value, 0) for c in Channel},
                "helped": one("SELECT count(*) FROM ballot_help WHERE round_id = :r", r=round_id),
                "cast": len(marks),
                "valid": len(marks) - invalid,
                "blank": sum(not m for m in marks),
                "invalid": invalid,
            }
        )
        if status in ("announced", "certified"):
            (result,) = rows(
                "SELECT result_json FROM round_outcome WHERE round_id = :r AND kind = 'announced'",
                r=round_id,
            )
            for name in json.loads(result[0])["elected"]:
                sex, year, month = rows(
                    "SELECT DISTINCT p.sex, p.birth_year, p.birth_month FROM candidate c "
                    "JOIN election_round r ON r.id = c.round_id JOIN person p ON p.id = c.person_id "
                    "WHERE r.election_id = :e AND c.name = :n",
                    e=election_id,
                    n=name,
                )[0]
                age = _age(year, month, day)
                figures["elected"].append(
                    (name, {"F": "女", "M": "男"}[sex], age, _band(age), len(figures["rounds"]))
                )
    facilities = rows(
        "SELECT ballot_boxes, mobile_boxes, booths FROM election_facilities "
        "WHERE election_id = :e ORDER BY id DESC",
        e=election_id,
    )
    figures["facilities"] = tuple(facilities[0]) if facilities else None
    figures["day"] = day.isoformat()
    return figures


ROUND_ROWS = [
    ("参加投票的人数", "took_part"), ("其中扫码投票", "online"), ("其中纸质选票", "paper"),
    ("其中流动票箱", "mobile"), ("其中委托投票", "proxy"), ("代写的选票", "helped"),
    ("投出的选票", "cast"), ("有效票（含空白票）", "valid"), ("其中空白票", "blank"),
    ("无效票（废票）", "invalid"),
]  # fmt: skip


def _women_share(elected):
    women = sum(sex == "女" for _name, sex, *_rest in elected)
    return women, f"{100 * women / len(elected):.1f}%", women / len(elected)


def _check_election_report(tables, ledger, as_text):
    """The report's tables (page or CSV: `as_text`; .xlsx: numbers) against the ledger."""

    def shown(value):
        return str(value) if as_text else value

    rounds = by_label(tables["各轮投票情况"])
    for label, key in ROUND_ROWS:
        assert rounds[label] == [shown(r[key]) for r in ledger["rounds"]], label
    summary = by_label(tables["基本情况"])
    assert summary["登记选民"][0] == shown(ledger["registered"])
    assert summary["投票轮数"][0] == shown(len(ledger["rounds"]))
    assert summary["委托投票（登记的委托）"][0] == shown(ledger["proxies"])
    boxes = [summary[k][0] for k in ("票箱", "流动票箱", "秘密写票处")]
    assert boxes == [shown(n) for n in ledger["facilities"]]
    elected = by_label(tables["当选人"])
    assert elected == {
        name: [sex, shown(age), band, shown(number)]
        for name, sex, age, band, number in ledger["elected"]
    }
    structure = tables["当选人结构"][1]  # its one row, below the header
    women, percent, fraction = _women_share(ledger["elected"])
    assert structure[:2] == [shown(len(ledger["elected"])), shown(women)]
    assert structure[2] == (percent if as_text else fraction)
    bands = [band for _name, _sex, _age, band, _round in ledger["elected"]]
    assert structure[3:] == [shown(bands.count(label)) for label in BANDS]
    if not as_text:
        numbers = [v for row in rounds.values() for v in row] + structure[:2]
        assert all(type(v) is int for v in numbers), numbers


def _check_roll_up(tables, ledger, village, as_text):
    def shown(value):
        return str(value) if as_text else value

    first = ledger["rounds"][0]
    elections = [r for r in tables["各村的选举"][1:] if r and r[0] == village.name]
    # A date cell of the .xlsx is a date (openpyxl reads it back as a datetime).
    day = ledger["day"] if as_text else datetime.fromisoformat(ledger["day"])
    # The drill held in the village that day is not in the roll-up.
    assert elections == [
        [village.name, TITLE, day, shown(2), shown(len(ledger["rounds"])), "结果已生效"]
    ]
    (row,) = [r for r in tables["参加投票的人数（第一轮）"][1:] if r and r[0] == village.name]
    assert row[2:] == [
        shown(ledger["registered"]),
        *(shown(first[key]) for key in ("took_part", "online", "paper", "mobile", "proxy")),
        shown(first["helped"]),
    ]
    total = by_label(tables["参加投票的人数（第一轮）"])["合计"]
    assert total == ["1 场选举", *row[2:]]  # one election: the total is its row
    ballots = by_label(tables["选票（第一轮）和投票设施"])
    assert ballots["合计"] == [
        "1 场选举",
        *(shown(first[key]) for key in ("cast", "valid", "blank", "invalid")),
        shown(ledger["proxies"]),
        *(shown(n) for n in ledger["facilities"]),
    ]
    sexes = by_label(tables["当选人和女性当选人（按村）"])[village.name]
    women, percent, fraction = _women_share(ledger["elected"])
    elected = shown(len(ledger["elected"]))
    assert sexes == [shown(1), shown(1), elected, shown(women), percent if as_text else fraction]
    ages = by_label(tables["当选人的年龄（按村）"])[village.name]
    bands = [band for _name, _sex, _age, band, _round in ledger["elected"]]
    assert ages == [elected, *(shown(bands.count(label)) for label in BANDS)]


def test_the_report_is_the_ledger(app, db, settings):
    village = _village(db)
    organizer = Staff(app, factories.staff(Role.ORGANIZER, village))
    tellers = [
        Staff(app, factories.staff(Role.TELLER, village, display_name=n))
        for n in ("甲监票", "乙计票", "丙监票")
    ]
    election_id = _prepare(db, organizer, village)
    db.expire_all()
    first = db.scalar(select(Round.id).where(Round.election_id == election_id))
    _ready_round(organizer, tellers, first)
    today = today_in_china()
    assembly = organizer.post(
        f"/villages/{village.id}/assemblies/new",
        title="青山村协会理事选举大会", held_on=today.isoformat(), place="村委会礼堂",
        expires_on=(today + timedelta(days=1)).isoformat(), expires_time="23:59",
    ).headers["location"]  # fmt: skip
    organizer.post(f"{assembly}/elections", election_id=str(election_id))
    organizer.post(f"{assembly}/slips")
    links = _links(db, settings)
    # One entrustment written and withdrawn before the vote, one that stands.
    entrustments = f"/elections/{election_id}/entrustments"
    organizer.post(
        f"{entrustments}/new",
        voter="胡军",
        proxy="高燕",
        written_on=today.isoformat(),
        relation="妻子",
    )
    revoke = re.search(r'action="(/entrustments/\d+/revoke)"', organizer.get(entrustments)).group(1)
    organizer.post(revoke, reason="本人能回来投票")
    voter, proxy = PROXY
    organizer.post(
        f"{entrustments}/new",
        voter=voter,
        proxy=proxy,
        written_on=today.isoformat(),
        relation="邻居",
    )
    organizer.post(f"/elections/{election_id}/advance", target="voting_open")
    # A drill in the same village on the same day is in no report but its own.
    fe.election(db, village, title="演练：协会理事选举", drill_day_seconds=60)

    # Round 1: every channel.
    _issue_paper(tellers[0], first, PAPER_1, HELP_1)
    _mobile_box(organizer, tellers[0], election_id, first, HELP_1)
    for name, marks in QR_1.items():
        _vote(app, links[name], TITLE, marks)
    _vote(app, links[proxy], TITLE, PROXY_1, proxy_for=voter)
    _close_and_count(organizer, tellers, first, PAPER_1)
    public = soup(organizer.get(f"/public/elections/{election_id}/results")).get_text()
    assert "当选：王芳" in public and "还有 1 个名额没有选出。" in public

    # Round 2: the further round for the open seat.
    further = organizer.post(f"/rounds/{first}/further").headers["location"]
    second = int(further.rsplit("/", 1)[1])
    _ready_round(organizer, tellers, second)
    organizer.post(f"/elections/{election_id}/advance", target="voting_open")
    _issue_paper(tellers[0], second, PAPER_2, HELP_2)
    for name, marks in QR_2.items():
        _vote(app, links[name], TITLE, marks)
    _vote(app, links[proxy], TITLE, PROXY_2, proxy_for=voter)
    _close_and_count(organizer, tellers, second, PAPER_2)
    for teller in tellers:
        teller.post(f"/rounds/{second}/certify", password=factories.PASSWORD)

    # The organizer enters the facilities on the report page; a bad number writes nothing.
    report = f"/elections/{election_id}/report"
    assert report in organizer.get(f"/elections/{election_id}")  # linked from the election
    refused = organizer.post(
        f"{report}/facilities", expect=422, ballot_boxes="2", mobile_boxes="-1", booths="2"
    )
    assert (
        "请填 0 到 9999 之间的整数" in soup(refused.text).select_one("#e-mobile_boxes").get_text()
    )
    assert _ledger(db, election_id)["facilities"] is None
    organizer.post(f"{report}/facilities", ballot_boxes="2", mobile_boxes="1", booths="3")
    organizer.post(f"{report}/facilities", ballot_boxes="2", mobile_boxes="1", booths="2")

    db.expire_all()
    ledger = _ledger(db, election_id)
    # The ledger says what the pages were asked to do (the plan above), round by round.
    assert ledger["rounds"][0] == {
        "took_part": 10, "online": 6, "paper": 2, "mobile": 1, "proxy": 1, "helped": 2,
        "cast": 10, "valid": 9, "blank": 1, "invalid": 1,
    }  # fmt: skip
    assert ledger["rounds"][1] == {
        "took_part": 9, "online": 6, "paper": 2, "mobile": 0, "proxy": 1, "helped": 1,
        "cast": 9, "valid": 9, "blank": 1, "invalid": 0,
    }  # fmt: skip
    assert (ledger["registered"], ledger["proxies"], ledger["facilities"]) == (12, 1, (2, 1, 2))
    assert [(name, number) for name, _s, _a, _b, number in ledger["elected"]] == [
        ("王芳", 1),
        ("李强", 2),
    ]

    # The report: its page, its CSV, its .xlsx.
    _check_election_report(page_tables(organizer.get(report)), ledger, as_text=True)
    assert page_tables(organizer.get(f"{report}/print")) == page_tables(organizer.get(report))
    csv_data = organizer.client.get(f"{report}/csv").content
    _check_election_report(csv_tables(csv_data), ledger, as_text=True)
    xlsx = organizer.client.get(f"{report}/xlsx")
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    _check_election_report(xlsx_tables(xlsx.content), ledger, as_text=False)

    # The township admin's roll-up, found in the menu: page, CSV, .xlsx.
    admin = Staff(app, factories.staff(Role.TOWNSHIP_ADMIN, village))
    menu = soup(admin.get("/")).select("nav a")
    (roll_up,) = [a["href"] for a in menu if a.get_text(strip=True) == "选举汇总"]
    period = {"from": (today - timedelta(days=30)).isoformat(), "to": today.isoformat()}
    page = admin.get(roll_up, **period)
    assert report in [a["href"] for a in soup(page).select("main li a")]
    _check_roll_up(page_tables(page), ledger, village, as_text=True)
    csv_data = admin.client.get(f"{roll_up}/csv", params=period).content
    _check_roll_up(csv_tables(csv_data), ledger, village, as_text=True)
    xlsx_data = admin.client.get(f"{roll_up}/xlsx", params=period).content
    _check_roll_up(xlsx_tables(xlsx_data), ledger, village, as_text=False)
