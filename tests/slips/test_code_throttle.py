"""The typed short-code throttle: a burst from one address has at most
SHORT_CODE_MAX_FAILURES codes checked, a right code is never locked out for long, and
a teller can lift the limit for an address (the whole hall behind the village Wi-Fi).
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from starlette.datastructures import Secret
from starlette.testclient import TestClient

from app.accounts.models import SigninFailure
from app.actors import Actor
from app.audit.models import AuditEntry
from app.db import Database, make_engine
from app.main import create_app
from app.permissions import Role
from app.settings import Settings
from slips import services
from slips.links import slip_short_code, slip_token
from slips.services import SHORT_CODE_MAX_FAILURES, issue_slips
from tests import factories
from tests.app.helpers import fresh_migrated_database, signed_in
from tests.ballots import factories_elections as fe
from tests.conftest import csrf_from

ACTOR = Actor(label="测试")
BURST = 80
WRONG = "0000-0000"


def _outcome(response) -> str:
    if response.status_code == 429:
        return "throttled"
    if response.status_code == 403 and "号码不对" in response.text:
        return "wrong"
    return f"{response.status_code}"


def _post_code(client: TestClient, code: str):
    return client.post("/s", data={"code": code, "csrf_token": csrf_from(client, "/s")})


@pytest.fixture
def site(tmp_path):
    """A committed database and an app on it, as a deployment's worker would run."""
    with fresh_migrated_database(tmp_path, "throttle") as url:
        settings = Settings(
            database_url=url,
            secret_key=Secret("throttle-" + uuid.uuid4().hex),
            data_dir=tmp_path,
        )
        database = Database(make_engine(url))
        try:
            with database.transaction() as session:
                factories.bind(session)
                v = fe.voting(session, voters=1)
                (slip,) = issue_slips(
                    session, ACTOR, v.assembly, [v.people[0].id], settings=settings
                )
                code, token = slip_short_code(settings, slip), slip_token(settings, slip)
            app = create_app(settings)
            with TestClient(app, follow_redirects=False):  # runs the lifespan once
                yield app, database, code, token
        finally:
            database.dispose()


def test_a_burst_of_wrong_codes_has_at_most_the_limit_checked(site, monkeypatch):
    app, database, _code, _token = site
    # No paced check during the burst, however slow the machine: the limit alone.
    monkeypatch.setattr(services, "SHORT_CODE_PACE", timedelta(hours=1), raising=False)
    browsers = [TestClient(app, follow_redirects=False) for _ in range(BURST)]
    tokens = [csrf_from(browser, "/s") for browser in browsers]  # separate sessions
    start = threading.Barrier(BURST)

    def fire(i: int) -> str:
        start.wait()
        response = browsers[i].post("/s", data={"code": WRONG, "csrf_token": tokens[i]})
        return _outcome(response)

    with ThreadPoolExecutor(BURST) as pool:
        outcomes = list(pool.map(fire, range(BURST)))
    assert outcomes.count("wrong") == SHORT_CODE_MAX_FAILURES
    assert outcomes.count("throttled") == BURST - SHORT_CODE_MAX_FAILURES
    with database.transaction(write=False) as session:
        counted = session.scalar(select(func.count()).where(SigninFailure.key.like("slip-code:%")))
    assert counted == SHORT_CODE_MAX_FAILURES


def test_after_the_limit_a_right_code_still_opens_the_slip_within_seconds(site):
    app, _database, code, token = site
    villager = TestClient(app, follow_redirects=False)
    for _ in range(SHORT_CODE_MAX_FAILURES):
        assert _outcome(_post_code(villager, WRONG)) == "wrong"
    too_soon = _post_code(villager, WRONG)
    assert too_soon.status_code == 429
    assert "秒" in too_soon.text and "15 分钟" not in too_soon.text

    neighbour = TestClient(app, follow_redirects=False)  # same hall, same address
    time.sleep(services.SHORT_CODE_PACE.total_seconds() + 0.2)
    right = _post_code(neighbour, code)
    assert right.status_code == 303 and right.headers["location"] == f"/s/{token}"
    opened = neighbour.get(right.headers["location"])
    assert opened.status_code == 200


def _flood(client: TestClient, db) -> None:
    for _ in range(SHORT_CODE_MAX_FAILURES):
        assert _outcome(_post_code(client, WRONG)) == "wrong"
    assert _post_code(client, WRONG).status_code == 429


def test_a_teller_lifts_the_limit_for_an_address(app, client, db):
    village = factories.VillageFactory()
    assembly = fe.assembly(db, village)
    _flood(client, db)

    teller = signed_in(app, factories.staff(Role.TELLER, village))
    page = teller.get(f"/assemblies/{assembly.id}")
    assert page.status_code == 200 and "testclient" in page.text and "解除限制" in page.text
    cleared = teller.post(
        f"/assemblies/{assembly.id}/code-throttle/clear",
        data={
            "address": "testclient",
            "csrf_token": csrf_from(teller, f"/assemblies/{assembly.id}"),
        },
    )
    assert cleared.status_code == 303
    assert "解除限制" not in teller.get(f"/assemblies/{assembly.id}").text

    # The hall types at full speed again, and the log says who lifted the limit.
    assert _outcome(_post_code(client, WRONG)) == "wrong"
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "slips.code_throttle_clear"))
    assert entry is not None and "testclient" in entry.summary


def test_villagers_and_readers_cannot_lift_the_limit(app, client, db):
    village = factories.VillageFactory()
    assembly = fe.assembly(db, village)
    _flood(client, db)
    url = f"/assemblies/{assembly.id}/code-throttle/clear"
    anonymous = client.post(
        url, data={"address": "testclient", "csrf_token": csrf_from(client, "/s")}
    )
    assert anonymous.status_code in (303, 403)
    auditor = signed_in(app, factories.staff(Role.AUDITOR, village))
    refused = auditor.post(
        url, data={"address": "testclient", "csrf_token": csrf_from(auditor, "/")}
    )
    assert refused.status_code == 403
    assert _post_code(client, WRONG).status_code == 429
