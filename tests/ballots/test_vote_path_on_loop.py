"""On SQLite the vote path runs on the event loop (app.web.route, on_loop). A vote that
arrives while a staff page's write (in a worker thread) holds this process's writer turn
must wait for it and then count, never deadlock or fail: the staff write commits without
the loop. A real database file, not the tests' rolled-back connection, since the writer
turn is what is under test."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from starlette.datastructures import Secret
from starlette.testclient import TestClient

from app.db import Database, make_engine
from app.main import create_app
from app.migrate import upgrade_to_head
from app.sealed_box.models import SealedChoice
from app.settings import Settings
from ballots.models import CredentialUse
from bench.common import seed_voting
from tests.conftest import TEST_DATABASE
from tests.html import soup

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

pytestmark = pytest.mark.skipif(
    TEST_DATABASE != "sqlite", reason="the writer turn and on_loop are SQLite's"
)


def test_a_vote_waits_for_a_staff_write_holding_the_writer_turn_then_counts(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'votes.sqlite3'}"
    upgrade_to_head(url)
    scene = seed_voting(url, "on-loop-secret", tmp_path, 2)
    database = Database(make_engine(url))
    settings = Settings(database_url=url, secret_key=Secret("on-loop-secret"), data_dir=tmp_path)
    holding = threading.Event()
    release = threading.Event()
    committing = threading.Event()

    def staff_write() -> None:
        with database.transaction() as session:  # a write: takes this process's turn
            session.execute(text("SELECT 1"))
            holding.set()
            release.wait(10)
            committing.set()  # set before the commit, so a vote after it must see it

    try:
        with TestClient(create_app(settings, database=database)) as client:
            found = CSRF.search(client.get("/s").text)
            assert found is not None
            token, entry_id = scene.ballots[0]
            staff = threading.Thread(target=staff_write)
            staff.start()
            assert holding.wait(10)
            threading.Timer(0.3, release.set).start()
            answer = client.post(
                f"/s/{token}/b/{scene.round_id}/{entry_id}/cast",
                data={"mark": "张三", "action": "cast", "csrf_token": found.group(1)},
            )
            staff.join(10)
            assert committing.is_set()  # the vote went in only after the staff write
        assert answer.status_code == 200, answer.text[:300]
        assert soup(answer.text).select_one("strong#receipt") is not None
        with database.transaction(write=False) as session:
            assert session.scalar(select(func.count()).select_from(CredentialUse)) == 1
            assert session.scalar(select(func.count()).select_from(SealedChoice)) == 1
    finally:
        database.dispose()
