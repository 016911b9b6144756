"""A villager nominates through the QR slip link: a voter on the roll names up to
`seats` people, once; namesakes are asked about; other links are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.registry.rules import today_in_china
from ballots import setup
from ballots.models import Nomination, Stage
from slips.links import slip_token
from slips.services import create_assembly, issue_slips
from tests.ballots.setup_support import election, person, place
from tests.conftest import post_form


@pytest.fixture
def nominating(db, settings):
    """An election in its nomination stage, voted at an assembly whose slips are issued."""
    where = place(db, voters=4)
    found = election(db, where, seats=2, election_day=today_in_china() + timedelta(days=30))
    setup.build_roll(db, where.actor, found)
    setup.advance(db, where.actor, found, Stage.ROLL_PUBLISHED, today_in_china())
    found.roll_published_on = today_in_china() - timedelta(days=10)
    setup.advance(db, where.actor, found, Stage.OBJECTIONS_CLOSED, today_in_china())
    setup.advance(db, where.actor, found, Stage.NOMINATIONS, today_in_china())
    assembly = create_assembly(
        db,
        where.actor,
        village_id=where.village.id,
        title="提名会",
        held_on=today_in_china(),
        place="村委会",
        links_expire_at=datetime.now(UTC) + timedelta(days=30),
    )
    found.assembly_id = assembly.id
    slips = issue_slips(db, where.actor, assembly, settings=settings)
    tokens = {s.person_id: slip_token(settings, s) for s in slips}
    db.flush()
    return where, found, tokens


def _path(found, token):
    return f"/s/{token}/nominate/{found.id}"


def _nominations(db):
    return db.scalar(select(func.count()).select_from(Nomination))


def test_a_voter_nominates_once_through_the_slip(client, db, nominating):
    where, found, tokens = nominating
    path = _path(found, tokens[where.people[3].id])
    page = client.get(path)
    assert page.status_code == 200
    assert "这次要选 2 人" in page.text and "提名第 2 人" in page.text
    assert "<script" not in page.text
    done = post_form(client, path, {"name_0": "选民0", "name_1": "选民1"})
    assert done.status_code == 303
    assert [(n.nominee_name, n.nominator_key) for n in db.scalars(select(Nomination))] == [
        ("选民0", f"roll:{setup.live_entry(db, found, where.people[3].id).id}"),
        ("选民1", f"roll:{setup.live_entry(db, found, where.people[3].id).id}"),
    ]
    after = client.get(done.headers["location"])
    assert "您已经提名了：选民0、选民1。" in after.text
    again = post_form(client, path, {"name_0": "选民2"}, page="/signin")
    assert again.status_code == 409
    assert _nominations(db) == 2


def test_unknown_names_and_namesakes_are_asked_about_and_nothing_is_saved(client, db, nominating):
    where, found, tokens = nominating
    # Registered after the roll was built, so not on it: only the roll's 选民1 matches.
    twin = person(where.village, where.other_group, name="选民1")
    path = _path(found, tokens[where.people[0].id])
    unknown = post_form(client, path, {"name_0": "不认识"})
    assert unknown.status_code == 422
    assert "选民名单上没有叫“不认识”的人" in unknown.text
    assert _nominations(db) == 0
    ok = post_form(client, path, {"name_0": "选民1"})
    assert ok.status_code == 303
    assert db.scalar(select(Nomination.nominee_person_id)) == where.people[1].id != twin.id


def test_namesakes_on_the_roll_must_be_chosen(client, db, nominating, settings):
    where, found, tokens = nominating
    twin = person(where.village, where.other_group, name="选民1")
    found.stage = Stage.DRAFT  # test shortcut: rebuild the roll with the twin on it
    setup.build_roll(db, where.actor, found)
    found.stage = Stage.NOMINATIONS
    db.flush()
    path = _path(found, tokens[where.people[0].id])
    asked = post_form(client, path, {"name_0": "选民1"})
    assert asked.status_code == 422
    assert "叫“选民1”的有 2 位，请在下面选定是哪一位。" in asked.text
    assert "第二组" in asked.text and 'name="pick_0"' in asked.text
    chosen = post_form(client, path, {"name_0": "选民1", "pick_0": str(twin.id)})
    assert chosen.status_code == 303
    assert db.scalar(select(Nomination.nominee_person_id)) == twin.id


def test_someone_not_on_the_roll_cannot_nominate(client, db, nominating):
    where, found, tokens = nominating
    entry = setup.live_entry(db, found, where.people[2].id)
    entry.struck = True  # struck from the roll after an objection
    db.flush()
    response = client.get(_path(found, tokens[where.people[2].id]))
    assert response.status_code == 422
    assert "您不在这次选举的选民名单上，不能提名" in response.text


def test_links_that_do_not_open_this_election_are_refused(client, db, nominating):
    where, found, tokens = nominating
    forged = client.get(_path(found, "not-a-real-token"))
    assert forged.status_code == 403
    assert "这个二维码无法识别" in forged.text
    other = election(db, where, election_day=today_in_china() + timedelta(days=30))
    wrong = client.get(_path(other, tokens[where.people[0].id]))
    assert wrong.status_code == 403
    assert "这个二维码不能用于这次选举的提名" in wrong.text
    assert _nominations(db) == 0


def test_the_page_says_when_nominations_are_not_open(client, db, nominating):
    where, found, tokens = nominating
    found.stage = Stage.CANDIDATES_PUBLISHED
    db.flush()
    path = _path(found, tokens[where.people[0].id])
    assert "提名已经结束了" in client.get(path).text
    late = post_form(client, path, {"name_0": "选民1"}, page="/signin")
    assert late.status_code == 409
    assert _nominations(db) == 0
