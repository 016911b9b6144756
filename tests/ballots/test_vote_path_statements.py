"""How many SQL statements a villager's vote costs, counted at the driver.

The vote path is the one a county's election day hammers (thousands of phones within
minutes of one announcement), so its statements are a budget, not an accident: a cast
reads the slip, reads the ballot (with the round's lock, the credential and the open
box), marks the credential used and seals the choice. Anything more is a regression.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from app.actors import Actor
from app.sealed_box.models import SealedChoice
from ballots.models import CredentialUse
from ballots.setup import credentials
from slips.links import slip_token
from slips.services import issue_slips
from tests.ballots import factories_elections as fe
from tests.conftest import csrf_from
from tests.html import soup

CAST_BUDGET = 6  # BEGIN included where the driver is sent one (SQLite's BEGIN IMMEDIATE)
PAGE_BUDGET = 4  # the ballot page and the confirmation: slip, ballot, candidates


@contextmanager
def counted() -> Iterator[list[str]]:
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", before)


def _app_statements(statements: list[str]) -> list[str]:
    """Leave out the test harness's savepoints (each test runs inside one)."""
    return [s for s in statements if "SAVEPOINT" not in s.upper()]


@pytest.fixture
def voter(db, settings):
    v = fe.voting(db, voters=3)
    credentials.ensure_credentials(db, v.election)  # as opening the vote does
    (slip,) = issue_slips(db, Actor(label="测试"), v.assembly, [v.people[0].id], settings=settings)
    return v, slip_token(settings, slip)


def test_a_cast_costs_at_most_six_statements_and_stores_one_sealed_vote(client, db, voter):
    v, token = voter
    path = f"/s/{token}/b/{v.round.id}/{v.entries[0].id}"
    csrf = csrf_from(client, "/s")
    client.get(path)  # a phone opens the ballot before it votes (and fills any cache)
    with counted() as statements:
        answer = client.post(
            path + "/cast", data={"mark": "李四", "action": "cast", "csrf_token": csrf}
        )
    assert answer.status_code == 200 and soup(answer.text).select_one("strong#receipt")
    cast = _app_statements(statements)
    assert len(cast) <= CAST_BUDGET, "\n".join(cast)
    assert db.scalar(select(func.count()).select_from(SealedChoice)) == 1
    assert db.scalar(select(func.count()).select_from(CredentialUse)) == 1


def test_a_second_cast_is_refused_and_stores_nothing(client, db, voter):
    v, token = voter
    path = f"/s/{token}/b/{v.round.id}/{v.entries[0].id}/cast"
    csrf = csrf_from(client, "/s")
    form = {"mark": "李四", "action": "cast", "csrf_token": csrf}
    assert client.post(path, data=form).status_code == 200
    again = client.post(path, data=form)
    assert again.status_code == 409 or "已经投过" in again.text
    assert db.scalar(select(func.count()).select_from(SealedChoice)) == 1


def test_the_ballot_page_and_the_confirmation_read_little(client, voter):
    v, token = voter
    path = f"/s/{token}/b/{v.round.id}/{v.entries[0].id}"
    csrf = csrf_from(client, "/s")
    client.get(path)
    with counted() as page:
        assert client.get(path).status_code == 200
    with counted() as confirm:
        answer = client.post(path + "/confirm", data={"mark": "李四", "csrf_token": csrf})
    assert answer.status_code == 200
    for statements in (page, confirm):
        read = _app_statements(statements)
        assert len(read) <= PAGE_BUDGET, "\n".join(read)


@pytest.mark.parametrize("too_big", [2**63, 2**64 + 5])
def test_a_ballot_link_with_an_id_no_row_can_have_says_so_in_chinese(client, voter, too_big):
    v, token = voter
    for path in (
        f"/s/{token}/b/{too_big}/{v.entries[0].id}",
        f"/s/{token}/b/{v.round.id}/{too_big}",
    ):
        answer = client.get(path)
        assert answer.status_code == 403, answer.text[:300]
        assert "不在您这张二维码能投的范围里" in soup(answer.text).get_text()
