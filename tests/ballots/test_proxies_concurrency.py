"""Six clerks registering entrustments to one proxy at the same moment: exactly three
are kept, however the requests interleave. Runs on its own committed database, one
session per thread, as the app's workers would."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from sqlalchemy import func, select

from app.actors import Actor
from app.db import Database, make_engine
from ballots.exceptions import EntrustmentRefused
from ballots.models import Election, Entrustment, RollEntry
from ballots.paper import proxies
from tests import factories
from tests.app.helpers import fresh_migrated_database
from tests.ballots.paper_support import make_scene

CLERKS = 6


def _prepare(database: Database) -> tuple[int, int, list[int]]:
    with database.transaction() as session:
        factories.bind(session)
        scene = make_scene(session, voters=CLERKS + 1)
        proxy, *voters = scene.entries
        return scene.election.id, proxy.id, [v.id for v in voters]


def _entrust(
    database: Database, start: threading.Barrier, election_id: int, proxy_id: int, voter_id: int
) -> str:
    session = database.session(write=True)
    try:
        if not database.is_sqlite:
            session.get(Election, election_id)  # in a transaction before the start
        start.wait()
        election = session.get(Election, election_id)
        voter, proxy = session.get(RollEntry, voter_id), session.get(RollEntry, proxy_id)
        assert election is not None and voter is not None and proxy is not None
        actor = Actor(label="测试")
        proxies.add_entrustment(session, actor, election, voter, proxy, date(2026, 12, 1), "邻居")
        session.commit()
        return "kept"
    except EntrustmentRefused as refused:
        session.rollback()
        assert "每人最多接受 3 人的委托" in refused.render_message()
        return "refused"
    finally:
        session.close()


def test_simultaneous_entrustments_never_exceed_the_limit(tmp_path):
    with fresh_migrated_database(tmp_path, "proxies") as url:
        database = Database(make_engine(url))
        try:
            election_id, proxy_id, voter_ids = _prepare(database)
            start = threading.Barrier(CLERKS)
            with ThreadPoolExecutor(CLERKS) as pool:
                outcomes = list(
                    pool.map(
                        lambda voter_id: _entrust(database, start, election_id, proxy_id, voter_id),
                        voter_ids,
                    )
                )
            assert sorted(outcomes) == ["kept"] * 3 + ["refused"] * (CLERKS - 3)
            with database.transaction(write=False) as session:
                assert session.scalar(select(func.count()).select_from(Entrustment)) == 3
        finally:
            database.dispose()
