"""SQLite write transactions of one server process take turns on an in-process lock.

Without it, threads raced for SQLite's file lock and its sleep-and-poll busy handler
could pass one over past the timeout: under a burst of votes a villager saw a crash
page although nothing was wrong (tests/reliability found it). These tests use their
own database file: the savepoint-bound test sessions do not take the lock.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from app import db as db_module
from app.db import Database, make_engine
from app.errors import Busy


@pytest.fixture
def file_database(tmp_path: Path):
    database = Database(make_engine(f"sqlite:///{tmp_path / 'writers.db'}"))
    with database.transaction() as session:
        session.execute(text("CREATE TABLE tally (n INTEGER)"))
    yield database
    database.dispose()


def test_a_second_writer_waits_until_the_first_closes(file_database: Database):
    events: list[str] = []
    first_open = threading.Event()

    def first() -> None:
        with file_database.transaction() as session:
            session.execute(text("INSERT INTO tally VALUES (1)"))
            first_open.set()
            time.sleep(0.3)
            events.append("first commits")

    def second() -> None:
        first_open.wait()
        with file_database.transaction() as session:
            session.execute(text("INSERT INTO tally VALUES (2)"))
            events.append("second writes")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert events == ["first commits", "second writes"]
    with file_database.transaction(write=False) as session:
        assert session.scalar(text("SELECT count(*) FROM tally")) == 2


def test_fifty_concurrent_writers_all_succeed(file_database: Database):
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            with file_database.transaction() as session:
                session.execute(text("INSERT INTO tally VALUES (:n)"), {"n": n})
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    with file_database.transaction(write=False) as session:
        assert session.scalar(text("SELECT count(*) FROM tally")) == 50


def test_a_writer_that_waits_too_long_is_told_to_retry(
    file_database: Database, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(db_module, "SQLITE_WRITER_WAIT_SECONDS", 0.2)
    holder = file_database.session(write=True)
    holder.execute(text("INSERT INTO tally VALUES (1)"))  # holds the writer turn
    try:
        outcome: list[object] = []
        waiter = threading.Thread(
            target=lambda: outcome.append(_try_write(file_database)), daemon=True
        )
        waiter.start()
        waiter.join(5)
        # Told to retry after 0.2 s, not left waiting for SQLite's 15 s busy timeout.
        assert len(outcome) == 1 and isinstance(outcome[0], Busy), outcome
        assert "没有保存" in outcome[0].render_message()
    finally:
        holder.close()
    # Once the holder has closed, writing works again.
    assert _try_write(file_database) is None


def _try_write(database: Database) -> object:
    try:
        with database.transaction() as session:
            session.execute(text("INSERT INTO tally VALUES (9)"))
    except Busy as error:
        return error
    return None


def test_a_session_that_only_reads_does_not_hold_the_turn_after_commit(file_database: Database):
    session = file_database.session(write=True)
    try:
        session.execute(text("SELECT count(*) FROM tally"))
        session.commit()  # the connection goes back to the pool: the turn is released
        assert _try_write(file_database) is None
    finally:
        session.close()


def test_readers_do_not_wait_for_writers(file_database: Database):
    holder = file_database.session(write=True)
    holder.execute(text("INSERT INTO tally VALUES (1)"))
    try:
        with file_database.transaction(write=False) as reader:
            # WAL: the reader sees the last committed state without waiting.
            assert reader.scalar(text("SELECT count(*) FROM tally")) == 0
    finally:
        holder.close()
