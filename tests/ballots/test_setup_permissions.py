"""Who may see and change an election's set-up: auditors and tellers read and change
nothing, another village's organizer cannot even see it, anonymous users sign in."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.permissions import Role
from app.registry.rules import today_in_china
from ballots import setup
from ballots.models import Stage
from tests import factories
from tests.app.helpers import signed_in, table_counts
from tests.ballots.setup_support import election, place
from tests.conftest import csrf_from


@pytest.fixture
def setting(db):
    """An election in its nomination stage, with one objection and candidates-to-be."""
    where = place(db, voters=4)
    found = election(db, where, election_day=today_in_china() + timedelta(days=30))
    setup.build_roll(db, where.actor, found)
    setup.advance(db, where.actor, found, Stage.ROLL_PUBLISHED, today_in_china())
    objection = setup.file_objection(
        db, where.actor, found, person_id=None, filed_by="王五", text="漏登",
        today=today_in_china(),
    )  # fmt: skip
    return where, found, objection


def _read_pages(where, found, objection):
    base = f"/elections/{found.id}"
    return [
        f"/villages/{where.village.id}/elections",
        base,
        f"{base}/roll",
        f"{base}/objections",
        f"{base}/nominations",
        f"{base}/candidates",
    ]


def _writes(where, found, objection):
    base = f"/elections/{found.id}"
    return [
        (f"/villages/{where.village.id}/elections/new", {"title": "x"}),
        (f"{base}/edit", {"title": "x"}),
        (f"{base}/advance", {"target": "objections_closed"}),
        (f"{base}/roll/build", {}),
        (f"{base}/objections/new", {"filed_by": "x", "text": "x"}),
        (f"{base}/objections/{objection.id}/decide", {"upheld": "yes", "reason": "x"}),
        (f"{base}/nominations/new", {"nominee_name": "选民0", "nominator": "party"}),
        (f"{base}/candidates/publish", {"count": "2"}),
    ]


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.TELLER, Role.GROUP_LEADER, Role.RECORDER])
def test_readers_see_every_page_and_change_nothing(app, client, db, connection, setting, role):
    where, found, objection = setting
    reader = factories.staff(role, where.village)
    browser = signed_in(app, reader)
    for path in _read_pages(where, found, objection):
        page = browser.get(path)
        assert page.status_code == 200, path
        assert "新建选举" not in page.text and "登记异议" not in page.text
    token = csrf_from(browser, f"/elections/{found.id}")
    for path, data in _writes(where, found, objection):
        before = table_counts(connection)
        response = browser.post(path, data={**data, "csrf_token": token})
        assert response.status_code == 403, path
        assert "没有权限" in response.text
        assert table_counts(connection) == before, path
    assert browser.get(f"/villages/{where.village.id}/elections/new").status_code == 403


def test_a_township_auditor_reads_the_village_elections(app, client, db, setting):
    where, found, _objection = setting
    auditor = factories.staff(Role.AUDITOR, township=where.village.township)
    browser = signed_in(app, auditor)
    assert browser.get(f"/elections/{found.id}/roll").status_code == 200


def test_another_villages_organizer_cannot_see_or_change_it(app, client, db, connection, setting):
    where, found, objection = setting
    other_village = factories.VillageFactory(township=where.village.township)
    stranger = factories.staff(Role.ORGANIZER, other_village)
    browser = signed_in(app, stranger)
    for path in _read_pages(where, found, objection)[1:]:
        response = browser.get(path)
        assert response.status_code == 404, path
        assert "没有这个选举" in response.text
    token = csrf_from(browser, "/")
    for path, data in _writes(where, found, objection)[1:]:
        before = table_counts(connection)
        response = browser.post(path, data={**data, "csrf_token": token})
        assert response.status_code == 404, path
        assert table_counts(connection) == before, path
    listing = browser.get(f"/villages/{where.village.id}/elections")
    assert listing.status_code == 403 and "这个村不在您的管辖范围内" in listing.text


def test_anonymous_users_sign_in_for_organizer_pages_but_see_public_ones(client, db, setting):
    where, found, objection = setting
    for path in _read_pages(where, found, objection):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/signin?next=")
    assert client.get(f"/public/elections/{found.id}/roll").status_code == 200
    # No candidate list yet: nothing to show.
    missing = client.get(f"/public/elections/{found.id}/candidates")
    assert missing.status_code == 404 and "候选人名单还没有公布" in missing.text
