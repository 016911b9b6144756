"""An election round's sealed ballot box through the staff pages (issue 12), no mocks.

The organizer names three tellers on the round page; each signs in and sets a box
password there (a mistyped one is refused beside the field and nothing is stored);
voting does not open while only two are ready, and opens with three. Villagers vote on
their slips; the round page shows how many voted, never what. Voting closes; the
tellers open the box with two passwords (a wrong one is refused beside that teller's
field, one alone is told to wait for the others, and the box stays sealed meanwhile);
then the result is announced and the tracker lists every receipt.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.permissions import Role
from app.registry.rules import today_in_china
from app.sealed_box import services as sealed_box
from app.sealed_box.forms import opening_field
from app.sealed_box.models import SealedChoice
from ballots import setup
from ballots.models import Ballot, Receipt, RoundStatus, Stage
from ballots.voting.assemblies import link_election
from slips.links import slip_token
from slips.services import issue_slips
from tests import factories
from tests.app.helpers import second_client, signed_in
from tests.ballots import factories_elections as fe
from tests.ballots.box_pages import open_box, round_path, set_box_password
from tests.ballots.setup_support import election, nominate, place
from tests.conftest import csrf_from, post_form
from tests.html import soup

TELLERS = ("甲监票", "乙计票", "丙监票")
WRITE_IN = "赵六"  # a name nobody else chose: were it on a staff page, a ballot leaked


def _password(name):
    return f"{name}的开箱密码-2026"


def _candidates_published(db, where):
    """An election whose candidates are published and whose election day is today."""
    day = today_in_china()
    found = election(db, where, election_day=day)
    setup.build_roll(db, where.actor, found)
    setup.advance(db, where.actor, found, Stage.ROLL_PUBLISHED, day - timedelta(days=25))
    setup.advance(db, where.actor, found, Stage.OBJECTIONS_CLOSED, day - timedelta(days=20))
    setup.advance(db, where.actor, found, Stage.NOMINATIONS, day - timedelta(days=20))
    nominate(db, where, found, {0: 3, 1: 2})
    setup.publish_candidates(db, where.actor, found, day - timedelta(days=10), 2)
    return found


def _status(db, round_id):
    return sealed_box.box_status(db, sealed_box.ELECTION_ROUND, round_id)


def _count(db, model):
    return db.scalar(select(func.count()).select_from(model))


def _box_state(client, path):
    return (
        soup(client.get(path).text).select_one("#sealed-box .box-state").get_text(" ", strip=True)
    )


def _holder_tags(client, path):
    """{holder name: tag} as the round page lists the box's holders."""
    items = soup(client.get(path).text).select("#sealed-box ul.box-holders li")
    return {li.contents[0].strip(): li.select_one(".tag").get_text(strip=True) for li in items}


def _vote(app, settings, db, where, assembly, person, found_round, marks):
    """A villager's phone: the slip's ballot, confirmed and cast; the receipt shown."""
    (slip,) = issue_slips(db, where.actor, assembly, [person.id], settings=settings)
    token = slip_token(settings, slip)
    phone = second_client(app)
    home = soup(phone.get(f"/s/{token}").text)
    (link,) = [a["href"] for a in home.select("a[href]") if f"/b/{found_round.id}/" in a["href"]]
    csrf = csrf_from(phone, link)
    fields = {
        "mark": [m for m in marks if m != WRITE_IN],
        "write_in": [WRITE_IN] if WRITE_IN in marks else [],
    }
    confirm = phone.post(f"{link}/confirm", data={**fields, "csrf_token": csrf})
    assert confirm.status_code == 200, confirm.text
    cast = phone.post(f"{link}/cast", data={**fields, "action": "cast", "csrf_token": csrf})
    assert cast.status_code == 200, cast.text
    return soup(cast.text).select_one("strong#receipt").get_text(strip=True)


def test_a_round_voted_through_its_sealed_box(app, client, db, settings):
    where = place(db, voters=4)
    found = _candidates_published(db, where)
    round_ = setup.pending_round(db, found)
    assert round_ is not None
    page = round_path(app, round_.id)
    organizer = signed_in(app, where.organizer)
    tellers = [factories.staff(Role.TELLER, where.village, display_name=n) for n in TELLERS]

    # The organizer names the round's three tellers: they hold its box.
    named = post_form(
        organizer,
        round_path(app, round_.id, "ballots:round_tellers"),
        {"tellers": [str(t.id) for t in tellers]},
        page=page,
    )
    assert named.status_code == 303, named.text
    assert _holder_tags(organizer, page) == dict.fromkeys(TELLERS, "还没设开箱密码")
    assert "已设开箱密码：0 / 3 位保管人" in _box_state(organizer, page)
    assert soup(organizer.get(page).text).select_one("form.box-password") is None  # not his

    # Each teller signs in and sets a box password on the round page.
    browsers = [signed_in(app, t) for t in tellers]
    form = soup(browsers[0].get(page).text).select_one("#sealed-box form.box-password")
    assert {i["name"] for i in form.select("input[type=password]")} == {
        "box_password",
        "box_password_confirm",
    }
    mistyped = set_box_password(app, browsers[0], round_.id, _password(TELLERS[0]), "别的密码12345")
    assert mistyped.status_code == 422
    error = soup(mistyped.text).select_one(".field.has-error #e-box_password")
    assert "两次输入的开箱密码不一样" in error.get_text()
    assert soup(mistyped.text).select_one("#f-box_password")["aria-describedby"] == "e-box_password"
    assert _status(db, round_.id).ready_count == 0  # nothing stored
    for teller, browser in zip(tellers[:2], browsers[:2], strict=True):
        saved = set_box_password(app, browser, round_.id, _password(teller.display_name))
        assert saved.status_code == 303, saved.text
    assert _holder_tags(organizer, page) == {
        TELLERS[0]: "已设开箱密码",
        TELLERS[1]: "已设开箱密码",
        TELLERS[2]: "还没设开箱密码",
    }

    # Two of three ready: voting does not open, and the page says why.
    advance = f"/elections/{found.id}/advance"
    refused = post_form(
        organizer, advance, {"target": "voting_open"}, page=f"/elections/{found.id}"
    )
    assert refused.status_code == 409
    # The election page itself lists what blocks the next stage, the box among it.
    message = soup(refused.text).select_one("div.errors[role=alert] ul").get_text()
    assert "至少要有 3 位票箱保管人设好开箱密码" in message and "现在设好了 2 位" in message
    db.expire_all()
    assert round_.status is RoundStatus.PENDING and not _status(db, round_.id).sealed

    saved = set_box_password(app, browsers[2], round_.id, _password(TELLERS[2]))
    assert saved.status_code == 303
    assembly = fe.assembly(db, where.village)
    link_election(db, where.actor, assembly, found)
    opened_voting = post_form(
        organizer, advance, {"target": "voting_open"}, page=f"/elections/{found.id}"
    )
    assert opened_voting.status_code == 303, opened_voting.text
    db.expire_all()
    assert round_.status is RoundStatus.OPEN and _status(db, round_.id).sealed
    # Once sealed, the box passwords are fixed: the form is gone.
    assert soup(browsers[0].get(page).text).select_one("form.box-password") is None

    # Villagers vote; the round page says how many, never what.
    candidates = [c.name for c in setup.round_candidates(db, round_)]
    receipts = [
        _vote(app, settings, db, where, assembly, where.people[1], round_, [candidates[0]]),
        _vote(app, settings, db, where, assembly, where.people[2], round_, [candidates[0]]),
        _vote(app, settings, db, where, assembly, where.people[3], round_, [WRITE_IN]),
    ]
    state = _box_state(organizer, page)
    assert "票箱封存中" in state and " 3 " in state  # how many, and nothing else
    for browser in (organizer, browsers[0]):
        assert WRITE_IN not in browser.get(page).text
    assert (_count(db, SealedChoice), _count(db, Ballot), _count(db, Receipt)) == (3, 0, 0)

    closed = post_form(organizer, round_path(app, round_.id, "ballots:close_voting"), {}, page=page)
    assert closed.status_code == 303
    teller = browsers[0]
    box_form = soup(teller.get(page).text).select_one("#open-box form")
    assert {i["name"] for i in box_form.select("input[type=password]")} == {
        opening_field(t.id) for t in tellers
    }

    # Announcing before the box is opened is refused: the online ballots are sealed.
    early = post_form(teller, round_path(app, round_.id, "ballots:announce"), {}, page=page)
    assert early.status_code == 400
    assert "网上投的选票还封在票箱里" in soup(early.text).select_one(".error-page .lead").get_text()

    # A wrong password: refused beside that teller's field, the box still sealed.
    wrong = open_box(
        app,
        teller,
        round_.id,
        {tellers[0].id: _password(TELLERS[0]), tellers[1].id: _password(TELLERS[2])},
    )
    assert wrong.status_code == 422
    beside = soup(wrong.text).select_one(f"#e-{opening_field(tellers[1].id)}")
    assert TELLERS[1] in beside.get_text() and "票箱仍然封着" in beside.get_text()
    assert soup(wrong.text).select_one(f"#e-{opening_field(tellers[0].id)}") is None
    # One teller alone: the page says to wait for the others.
    alone = open_box(app, teller, round_.id, {tellers[0].id: _password(TELLERS[0])})
    assert alone.status_code == 422
    wait = soup(alone.text).select_one("#open-box #e-open").get_text()
    assert "开箱需要 2 位保管人" in wait and "请等其他保管人到场再开箱" in wait
    assert _status(db, round_.id).sealed and _count(db, SealedChoice) == 3
    assert _count(db, Ballot) == 0

    # Two of the three (the third is away): the box opens.
    opened = open_box(
        app,
        teller,
        round_.id,
        {tellers[0].id: _password(TELLERS[0]), tellers[2].id: _password(TELLERS[2])},
    )
    assert opened.status_code == 303, opened.text
    after = soup(teller.get(page).text)
    assert "票箱已打开：取出 3 张网上选票" in after.select_one("main").get_text()
    assert after.select_one("#open-box") is None
    assert "开箱钥匙已销毁" in _box_state(teller, page)
    assert (_count(db, SealedChoice), _count(db, Ballot), _count(db, Receipt)) == (0, 3, 3)

    announced = post_form(teller, round_path(app, round_.id, "ballots:announce"), {}, page=page)
    assert announced.status_code == 303, announced.text
    public = soup(client.get(f"/public/elections/{found.id}/results").text)
    assert public.select_one(".result .lead").get_text(strip=True) == f"当选：{candidates[0]}"
    tracker = soup(client.get(f"/public/rounds/{round_.id}/tracker").text)
    assert sorted(c.get_text() for c in tracker.select("ul.codes li code")) == sorted(receipts)
