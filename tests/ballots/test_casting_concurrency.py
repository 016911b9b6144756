"""Twenty simultaneous submissions of one credential store exactly one ballot (sealed
in the round's box until the tellers open it).

Runs on its own committed database (SQLite file or PostgreSQL schema, whichever the
suite runs on), one session per thread, as the app's workers would.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.actors import Actor
from app.db import Base, Database, make_engine
from app.sealed_box.models import SealedChoice
from ballots.exceptions import AlreadyVoted
from ballots.models import Ballot, Channel, Credential, CredentialUse, Receipt, Round
from ballots.results import services as results
from ballots.setup import credentials
from ballots.voting import casting
from tests import factories
from tests.app.helpers import fresh_migrated_database
from tests.ballots import factories_elections as fe

SUBMISSIONS = 20


def _prepare(database: Database) -> tuple[int, int]:
    with database.transaction() as session:
        factories.bind(session)
        v = fe.voting(session, voters=2)
        credential = credentials.credential_for(session, v.election, v.entries[0])
        return v.round.id, credential.id


def _submit(database: Database, start: threading.Barrier, round_id: int, credential_id: int) -> str:
    session = database.session(write=True)
    try:
        if not database.is_sqlite:
            # Connected and inside a transaction before the start, so all twenty really
            # overlap. (SQLite's writers take the one write lock at BEGIN: they queue.)
            session.get(Round, round_id)
        start.wait()
        round_ = session.get(Round, round_id)
        credential = session.get(Credential, credential_id)
        assert round_ is not None and credential is not None
        casting.cast_online(session, round_, credential, ["张三"], Channel.ONLINE)
        session.commit()
        return "stored"
    except AlreadyVoted:
        session.rollback()
        return "already voted"
    finally:
        session.close()


def _count(session: Session, model: type[Base]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_twenty_simultaneous_casts_of_one_credential_store_one_ballot(tmp_path):
    with fresh_migrated_database(tmp_path, "race") as url:
        # PostgreSQL's pool holds 20 connections: one per submission, none waits for another.
        database = Database(make_engine(url))
        try:
            round_id, credential_id = _prepare(database)
            start = threading.Barrier(SUBMISSIONS)
            with ThreadPoolExecutor(SUBMISSIONS) as pool:
                outcomes = list(
                    pool.map(
                        lambda _: _submit(database, start, round_id, credential_id),
                        range(SUBMISSIONS),
                    )
                )
            assert sorted(outcomes) == ["already voted"] * (SUBMISSIONS - 1) + ["stored"]
            with database.transaction(write=False) as session:
                counts = [
                    _count(session, m) for m in (CredentialUse, SealedChoice, Ballot, Receipt)
                ]
                assert counts == [1, 1, 0, 0]
            with database.transaction() as session:
                round_ = session.get(Round, round_id)
                assert round_ is not None
                results.close_voting(session, Actor(label="组织者"), round_)
                assert fe.open_box(session, round_) == 1
            with database.transaction(write=False) as session:
                counts = [
                    _count(session, m) for m in (CredentialUse, SealedChoice, Ballot, Receipt)
                ]
                assert counts == [1, 0, 1, 1]
        finally:
            database.dispose()
