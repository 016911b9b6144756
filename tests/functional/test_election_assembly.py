"""Done when (issue 3): a whole assembly, through the pages, without mocks.

One village of three groups of six adults. At one assembly: the family-planning
director (3 candidates, 1 seat, village-election rules) and a group leader for each
group (2 candidates, 1 seat, group-meeting rules). Slips are printed; most villagers vote
through their QR links, three on paper at the public count, two by proxy, one at the
mobile box. Each round's three tellers are named before voting opens and each sets a box
password on the round page (they hold the round's sealed ballot box); every round is
closed, its box opened by two of its tellers, counted, announced and certified by its
tellers; each tracker lists every receipt; `cunyi recount` on each export prints the
published result. The director's turnout by channel (QR, paper, mobile box, proxy) is the
same on the turnout page, the round page, the public results and the export, and a recount
refuses an export whose channels do not add up; the entrustments, frozen once voting
opened, are published the same before and after certification (issue 18).

Only the calendar is moved: preparing an election takes weeks (roll publicity 20 days,
objections 5, candidate list 5), so the test shifts the election's stored dates back as
if those days had passed. Everything else goes through the HTTP pages.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import select

from app.permissions import Role
from app.qr import qr_svg
from app.registry.models import GroupMembership, Person
from app.registry.rules import today_in_china
from app.sealed_box.forms import opening_field
from app.settings import PROJECT_ROOT
from ballots.models import Election, Round, RoundOutcome, Stage
from slips.links import slip_token
from slips.models import Slip
from tests import factories
from tests.app.helpers import second_client, signed_in
from tests.conftest import csrf_from
from tests.html import soup

GROUPS = {
    "第一组": ["王芳", "陈刚", "林霞", "周伟", "吴娟", "郑磊"],
    "第二组": ["李强", "孙丽", "朱明", "胡军", "高燕", "何平"],
    "第三组": ["张敏", "罗杰", "梁红", "宋涛", "唐雪", "许斌"],
}
DIRECTOR = "计生主任选举"
LEADER = "{group}自管小组长选举"
# Director ballots: online unless listed under PAPER, PROXY (voter: proxy) or MOBILE.
DIRECTOR_VOTES = {
    "王芳": ["王芳"], "陈刚": ["王芳"], "林霞": ["李强"], "吴娟": ["王芳"], "郑磊": [],
    "李强": ["李强"], "孙丽": ["王芳"], "朱明": ["刘洋"], "胡军": ["王芳"], "高燕": ["张敏"],
    "何平": ["李强"], "张敏": ["张敏"], "罗杰": ["王芳"], "梁红": ["王芳"], "宋涛": ["王芳"],
    "唐雪": ["王芳"], "许斌": ["李强"],
}  # fmt: skip
PAPER = ["吴娟", "郑磊", "何平"]  # 周伟 does not vote for director at all
PROXY = {"高燕": "胡军", "唐雪": "宋涛"}  # away: they entrust a proxy in writing
MOBILE = "许斌"  # homebound: the mobile ballot box comes to him
# Group leader ballots, online; 高燕 and 唐雪 are away, 许斌 is homebound.
LEADER_VOTES = {
    "王芳": "陈刚", "陈刚": "陈刚", "林霞": "林霞", "周伟": "陈刚", "吴娟": "陈刚", "郑磊": "林霞",
    "李强": "孙丽", "孙丽": "孙丽", "朱明": "朱明", "胡军": "孙丽", "何平": "朱明",
    "张敏": "罗杰", "罗杰": "罗杰", "梁红": "梁红", "宋涛": "罗杰",
}  # fmt: skip


class Staff:
    def __init__(self, app, user):
        self.user = user
        self.client = signed_in(app, user)
        self.token = csrf_from(self.client, "/")

    def get(self, path, **params):
        response = self.client.get(path, params=params)
        assert response.status_code == 200, (path, response.status_code)
        return response.text

    def post(self, path, expect=303, **data):
        response = self.client.post(path, data={**data, "csrf_token": self.token})
        assert response.status_code == expect, (path, response.status_code, response.text[:3000])
        return response


def _village(db):
    village = factories.VillageFactory(name="青山村")
    group_ids = {}
    for group_name, names in GROUPS.items():
        group = factories.GroupFactory(village_id=village.id, name=group_name)
        group_ids[group_name] = group.id
        for index, name in enumerate(names):
            household = factories.HouseholdFactory(village_id=village.id)
            person = factories.PersonFactory(
                household=household, name=name, birth_year=1955 + index
            )
            db.add(GroupMembership(person_id=person.id, group_id=group.id, kind=group.kind))
    # A 17-year-old is not on any roll.
    factories.PersonFactory(household=household, name="小许", birth_year=today_in_china().year - 17)
    db.flush()
    return village, group_ids


def _days_pass(db, election_ids, days):
    """The calendar moves on: the elections' stored dates move back by `days`."""
    db.expire_all()
    for election in db.scalars(select(Election).where(Election.id.in_(election_ids))):
        election.election_day -= timedelta(days=days)
        for name in ("roll_published_on", "candidates_published_on"):
            if getattr(election, name) is not None:
                setattr(election, name, getattr(election, name) - timedelta(days=days))
    db.flush()


def _prepare(db, organizer, village, group_ids):
    """Create, roll, publish, nominate and list candidates: E1's pages."""
    day = (today_in_china() + timedelta(days=20)).isoformat()
    ids = {}
    specs = [(DIRECTOR, "director", "village", "")]
    for name, group_id in group_ids.items():
        specs.append((LEADER.format(group=name), "group_leader", "group", str(group_id)))
    for title, office, electorate, group_id in specs:
        created = organizer.post(
            f"/villages/{village.id}/elections/new",
            title=title,
            office=office,
            office_label="",
            electorate=electorate,
            group_id=group_id,
            seats="1",
            profile_name="",
            election_day=day,
        )
        ids[title] = int(created.headers["location"].rsplit("/", 1)[1])
    for election_id in ids.values():
        organizer.post(f"/elections/{election_id}/roll/build")
        organizer.post(f"/elections/{election_id}/advance", target="roll_published")
    assert "小许" not in organizer.get(f"/elections/{ids[DIRECTOR]}/roll")
    _days_pass(db, ids.values(), 5)  # the objection period passes without objections
    nominees = {DIRECTOR: ["王芳", "王芳", "李强", "王芳", "李强", "张敏"]}
    for name, members in GROUPS.items():
        nominees[LEADER.format(group=name)] = [members[1], members[2], members[1]]
    for title, election_id in ids.items():
        organizer.post(f"/elections/{election_id}/advance", target="objections_closed")
        organizer.post(f"/elections/{election_id}/advance", target="nominations")
        for number, nominee in enumerate(nominees[title], start=1):
            organizer.post(
                f"/elections/{election_id}/nominations/new",
                nominee_name=nominee,
                nominee_person_id="",
                nominator="paper",
                paper_number=str(number),
            )
        count = str(len(set(nominees[title])))
        organizer.post(f"/elections/{election_id}/candidates/publish", count=count)
    _days_pass(db, ids.values(), 15)  # the candidate list is up; election day comes
    return ids


def _box_password(name):
    return f"{name}的开箱密码-2026"


def _ready_boxes(db, organizer, tellers, ids):
    """Before voting opens: each round's three tellers are named and, each on the round
    page, set their box password; opening voting with fewer ready is refused."""
    for title, round_id in _round_ids(db, ids).items():
        page = f"/rounds/{round_id}"
        organizer.post(f"{page}/tellers", tellers=[str(t.user.id) for t in tellers])
        for teller in tellers[:2]:
            password = _box_password(teller.user.display_name)
            teller.post(
                f"{page}/box-password", box_password=password, box_password_confirm=password
            )
        if title == DIRECTOR:  # two of three ready is not enough to open voting
            refused = organizer.post(
                f"/elections/{ids[title]}/advance", expect=409, target="voting_open"
            )
            assert "现在设好了 2 位" in soup(refused.text).select_one("main").get_text()
        password = _box_password(tellers[2].user.display_name)
        tellers[2].post(
            f"{page}/box-password", box_password=password, box_password_confirm=password
        )
        state = soup(organizer.get(page)).select_one("#sealed-box .box-state").get_text()
        assert "已设开箱密码：3 / 3 位保管人" in state


def _open_box(tellers, round_id):
    """After the close: two of the round's tellers type their box passwords together."""
    page = f"/rounds/{round_id}"
    form = soup(tellers[0].get(page)).select_one("#open-box form")
    names = {field["name"] for field in form.select("input[type=password]")}
    assert names == {opening_field(t.user.id) for t in tellers}
    passwords = {opening_field(t.user.id): _box_password(t.user.display_name) for t in tellers[1:]}
    tellers[0].post(f"{page}/open-box", **passwords)
    assert soup(tellers[0].get(page)).select_one("#open-box") is None  # no longer sealed


def _assembly(organizer, village, ids, settings, db):
    """An assembly voting all four elections; slips printed; every QR is the voter's link."""
    today = today_in_china()
    created = organizer.post(
        f"/villages/{village.id}/assemblies/new",
        title="青山村选举大会",
        held_on=today.isoformat(),
        place="村委会礼堂",
        expires_on=(today + timedelta(days=1)).isoformat(),
        expires_time="23:59",
    )
    assembly = created.headers["location"]
    for election_id in ids.values():
        organizer.post(f"{assembly}/elections", election_id=str(election_id))
    organizer.post(f"{assembly}/slips")
    sheet = organizer.get(f"{assembly}/slips/sheet")
    links = {}
    for slip, person in db.execute(select(Slip, Person).join(Person, Person.id == Slip.person_id)):
        links[person.name] = "/s/" + slip_token(settings, slip)
        # What the phone reads is what was printed: the sheet's QR is this very link.
        assert qr_svg("http://testserver" + links[person.name]) in sheet
    assert sorted(links) == sorted(n for names in GROUPS.values() for n in names)
    for election_id in ids.values():
        organizer.post(f"/elections/{election_id}/advance", target="voting_open")
    return links


def _cards(page):
    """(card text, ballot link) for every ballot a slip opens."""
    cards = re.findall(r'<li class="card">(.*?)</li>', page, flags=re.DOTALL)
    return [(c, (re.findall(r'href="(/s/[^"]+/b/\d+/\d+)"', c) or [None])[0]) for c in cards]


def _vote(app, link, title, marks, proxy_for=None):
    """A villager's phone: open the slip, the ballot, confirm, cast; returns the receipt."""
    phone = second_client(app)
    cards = _cards(phone.get(link).text)
    (href,) = [
        href
        for text, href in cards
        if f"<h2>{title}</h2>" in text
        and (proxy_for is None) == ("代 " not in text)
        and (proxy_for is None or f"代 {proxy_for} 投票" in text)
    ]
    token = csrf_from(phone, href)
    candidates = re.findall(r'name="mark" value="([^"]+)"', phone.get(href).text)
    fields = {"mark": [m for m in marks if m in candidates]}
    fields["write_in"] = [m for m in marks if m not in candidates]
    confirm = phone.post(f"{href}/confirm", data={**fields, "csrf_token": token})
    assert confirm.status_code == 200 and "请核对您的选票" in confirm.text
    cast = phone.post(f"{href}/cast", data={**fields, "action": "cast", "csrf_token": token})
    assert cast.status_code == 200, cast.text
    return re.search(r'<strong id="receipt">([^<]+)</strong>', cast.text).group(1)


def _round_ids(db, ids):
    db.expire_all()
    return {t: db.scalar(select(Round.id).where(Round.election_id == i)) for t, i in ids.items()}


def _entry_id(staff, path, name):
    page = staff.get(path, q=name)
    return re.search(r'name="entry_id" value="(\d+)"', page).group(1)


def _paper_and_proxies_and_mobile(organizer, teller, director, rounds):
    """Proxies registered, paper ballots handed out, the mobile box visits 许斌."""
    for voter, proxy in PROXY.items():
        organizer.post(
            f"/elections/{director}/entrustments/new",
            voter=voter,
            proxy=proxy,
            written_on=today_in_china().isoformat(),
            relation="邻居",
        )
    round_id = rounds[DIRECTOR]
    for name in PAPER:
        entry = _entry_id(teller, f"/rounds/{round_id}/paper/issue", name)
        teller.post(f"/rounds/{round_id}/paper/issue", entry_id=entry, q=name)
    entry = _entry_id(organizer, f"/elections/{director}/homebound", MOBILE)
    organizer.post(f"/elections/{director}/homebound/mark", entry_id=entry, homebound="1")
    hand_over = f"/rounds/{round_id}/mobile/{entry}/hand-over"
    assert hand_over in teller.get(f"/rounds/{round_id}/mobile")
    ballot = teller.post(hand_over).headers["location"]  # the teller's phone, handed over
    teller.get(ballot)
    confirm = teller.post(ballot, expect=200, mark=DIRECTOR_VOTES[MOBILE], step="confirm")
    assert "确认投票" in confirm.text
    cast = teller.post(ballot, expect=200, mark=DIRECTOR_VOTES[MOBILE], step="cast")
    # Back in the teller's hands: their password brings the sign-in back (and a new CSRF token).
    teller.post("/account/resume", password=factories.PASSWORD)
    teller.token = csrf_from(teller.client, "/")
    return re.search(r'<p class="receipt"><strong>([^<]+)</strong>', cast.text).group(1)


def _public_count(tellers, round_id):
    """Both tellers enter the paper stack independently; then the count closes."""
    for teller in tellers:
        started = teller.post(f"/rounds/{round_id}/paper/counts", stack="1")
        count = started.headers["location"]
        for position, name in enumerate(PAPER, start=1):
            marks = DIRECTOR_VOTES[name]
            data = {"mark": marks[0]} if marks else {"action": "blank"}
            teller.post(count, expect=200, position=str(position), **data)
    tellers[0].post(f"/rounds/{round_id}/paper/close")


def _channel_figures(html):
    """The figures of a page's turnout-by-channel list, label to number."""
    (figures,) = soup(html).select("dl.channels")
    return {
        dt.get_text(strip=True): int(dt.find_next_sibling("dd").get_text(strip=True))
        for dt in figures.select("dt")
    }


# 17 took part for the director: 11 by QR, 3 on paper, 1 at the mobile box, 2 by proxy.
DIRECTOR_CHANNELS = {"扫码投票": 11, "纸质选票": 3, "流动票箱": 1, "委托投票": 2}


def _recount_run(tmp_path, export):
    path = tmp_path / "export.json"
    path.write_bytes(export)
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "recount", str(path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def _recount(tmp_path, export):
    done = _recount_run(tmp_path, export)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_whole_assembly(app, client, db, settings, tmp_path):
    village, group_ids = _village(db)
    organizer = Staff(app, factories.staff(Role.ORGANIZER, village))
    tellers = [
        Staff(app, factories.staff(Role.TELLER, village, display_name=n))
        for n in ("甲监票", "乙计票", "丙监票")
    ]
    ids = _prepare(db, organizer, village, group_ids)
    _ready_boxes(db, organizer, tellers, ids)
    links = _assembly(organizer, village, ids, settings, db)
    rounds = _round_ids(db, ids)
    receipts = {title: [] for title in ids}

    mobile = _paper_and_proxies_and_mobile(organizer, tellers[0], ids[DIRECTOR], rounds)
    receipts[DIRECTOR].append(mobile)
    for voter, marks in DIRECTOR_VOTES.items():
        if voter in PAPER or voter == MOBILE:
            continue
        if voter in PROXY:
            proxy = PROXY[voter]
            receipts[DIRECTOR].append(_vote(app, links[proxy], DIRECTOR, marks, proxy_for=voter))
        else:
            receipts[DIRECTOR].append(_vote(app, links[voter], DIRECTOR, marks))
    for voter, choice in LEADER_VOTES.items():
        group = next(g for g, names in GROUPS.items() if voter in names)
        title = LEADER.format(group=group)
        receipts[title].append(_vote(app, links[voter], title, [choice]))

    # Turnout while voting is open: counts per group, 18 registered for the director.
    turnout = organizer.get(f"/rounds/{rounds[DIRECTOR]}/turnout")
    assert "已投票 17 人，登记选民 18 人。" in turnout  # paper ballots handed out count too
    by_channel = {"登记选民": 18, "参加投票": 17, **DIRECTOR_CHANNELS}
    assert _channel_figures(turnout) == by_channel
    round_figures = _channel_figures(organizer.get(f"/rounds/{rounds[DIRECTOR]}"))
    assert round_figures == {"参加投票": 17, **DIRECTOR_CHANNELS}

    # Entrustments are part of the record once voting opened: no revoking.
    listed = client.get(f"/public/elections/{ids[DIRECTOR]}/entrustments").text
    entrusted = [row.get_text("|", strip=True) for row in soup(listed).select("tbody tr")]
    assert entrusted == ["高燕|胡军", "唐雪|宋涛"]
    revoke = re.search(r'action="(/entrustments/\d+/revoke)"', organizer.get(
        f"/elections/{ids[DIRECTOR]}/entrustments"))  # fmt: skip
    assert revoke is None

    present = {name: sum(voter in LEADER_VOTES for voter in GROUPS[name]) for name in GROUPS}
    for title, round_id in rounds.items():
        page = f"/rounds/{round_id}"
        assert page in organizer.get(f"/elections/{ids[title]}")  # the election page links it
        organizer.post(f"{page}/close")
        _open_box(tellers, round_id)
        if title != DIRECTOR:
            group = title.removesuffix("自管小组长选举")
            organizer.post(f"{page}/attendance", present=str(present[group]))
    _public_count(tellers, rounds[DIRECTOR])

    expected = {DIRECTOR: "王芳", **{LEADER.format(group=g): GROUPS[g][1] for g in GROUPS}}
    for title, round_id in rounds.items():
        page = f"/rounds/{round_id}"
        tellers[0].post(f"{page}/announce")
        public = client.get(f"/public/elections/{ids[title]}/results").text
        assert f"当选：{expected[title]}" in public
        for teller in tellers:
            teller.post(f"{page}/certify", password=factories.PASSWORD)
        db.expire_all()
        assert db.get(Election, ids[title]).stage is Stage.CERTIFIED

        tracker = client.get(f"/public/rounds/{round_id}/tracker").text
        assert all(code in tracker for code in receipts[title])
        assert f"全部回执码（{len(receipts[title])} 个）" in tracker
        export = client.get(f"/public/rounds/{round_id}/export.json").content
        assert hashlib.sha256(export).hexdigest() in tracker
        published = db.scalar(
            select(RoundOutcome.result_json).where(
                RoundOutcome.round_id == round_id, RoundOutcome.kind == "certified"
            )
        )
        assert _recount(tmp_path, export) == json.loads(published)
        if title == DIRECTOR:
            assert _channel_figures(public) == by_channel
            document = json.loads(export)
            assert document["channels"] == {"online": 11, "paper": 3, "mobile": 1, "proxy": 2}
            assert document["issued"] == 17
            document["channels"]["online"] = 12  # one more QR voter than credentials used
            tampered = json.dumps(document, ensure_ascii=False).encode()
            refused = _recount_run(tmp_path, tampered)
            assert refused.returncode == 2
            assert "各渠道参加投票的人数加起来是 18" in refused.stderr
            assert "issued 17" in refused.stderr
            after = client.get(f"/public/elections/{ids[DIRECTOR]}/entrustments").text
            assert [
                r.get_text("|", strip=True) for r in soup(after).select("tbody tr")
            ] == entrusted

    director = json.loads(
        db.scalar(
            select(RoundOutcome.result_json).where(
                RoundOutcome.round_id == rounds[DIRECTOR], RoundOutcome.kind == "certified"
            )
        )
    )
    assert director["ballots_cast"] == 17  # 13 online and proxy, 1 mobile, 3 paper
    assert director["counts"] == {"王芳": 9, "李强": 4, "张敏": 2, "刘洋": 1}
    assert (director["blank_ballots"], director["elected"]) == (1, ["王芳"])
    assert len(receipts[DIRECTOR]) == 14
    third = json.loads(db.scalar(select(RoundOutcome.result_json).where(
        RoundOutcome.round_id == rounds[LEADER.format(group="第三组")],
        RoundOutcome.kind == "certified")))  # fmt: skip
    # 4 of 6 present is exactly two thirds: the group meeting has its quorum.
    assert (third["quorum"], third["ballots_cast"], third["elected"]) == (True, 4, ["罗杰"])
