"""`cunyi verify-audit` on a real, committed database, and concurrent writers."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from app.actors import SYSTEM
from app.audit.services import iter_entries, record, verify_chain
from app.db import Database, make_engine
from tests.app.helpers import drop_audit_triggers, fresh_migrated_database, run_cli

TAMPERING = {
    "changed": ["UPDATE audit_entry SET summary = 'forged' WHERE seq = 3"],
    "removed": ["DELETE FROM audit_entry WHERE seq = 3"],
    # Swap the storage places (ids) of entries 3 and 4, keeping their contents.
    "reordered": [
        "UPDATE audit_entry SET id = -1 WHERE seq = 3",
        "UPDATE audit_entry SET id = id - 1 WHERE seq = 4",
        "UPDATE audit_entry SET id = (SELECT id FROM audit_entry WHERE seq = 4) + 1 WHERE id = -1",
    ],
}


def write_entries(url: str, count: int) -> None:
    database = Database(make_engine(url))
    try:
        for n in range(count):
            with database.transaction() as session:
                record(session, SYSTEM, "test.step", "test", n, {"n": n})
    finally:
        database.dispose()


def tamper(url: str, statements: list[str]) -> None:
    """Committed tampering: this is a separate database, not the test's savepoint."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            drop_audit_triggers(conn)
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture
def audited_url(tmp_path):
    with fresh_migrated_database(tmp_path, "audit") as url:
        write_entries(url, 5)
        yield url


def test_intact_chain_passes(audited_url, tmp_path):
    result = run_cli(audited_url, tmp_path, "verify-audit")
    assert result.returncode == 0, result.stderr
    assert "5 audit entries, chain intact" in result.stdout
    assert "审计链完整" in result.stdout


def test_empty_chain_passes(tmp_path):
    with fresh_migrated_database(tmp_path, "empty") as url:
        result = run_cli(url, tmp_path, "verify-audit")
    assert result.returncode == 0, result.stderr
    assert "0 audit entries" in result.stdout


@pytest.mark.parametrize("reason", sorted(TAMPERING))
def test_tampering_is_named(audited_url, tmp_path, reason):
    tamper(audited_url, TAMPERING[reason])
    result = run_cli(audited_url, tmp_path, "verify-audit")
    assert result.returncode == 1
    assert "FAILED after 2 good entries" in result.stderr
    assert "entry seq=3" in result.stderr
    assert f"({reason})" in result.stderr
    assert "第 3 条记录" in result.stderr


def test_concurrent_writers_do_not_fork_the_chain(tmp_path):
    per_thread = 25
    with fresh_migrated_database(tmp_path, "concurrent") as url:
        database = Database(make_engine(url))
        start = threading.Barrier(2)
        errors: list[BaseException] = []

        def writer(name: str) -> None:
            start.wait()
            try:
                for n in range(per_thread):
                    with database.transaction() as session:
                        record(session, SYSTEM, f"test.{name}", "test", n)
            except BaseException as error:  # reported below, in the test's thread
                errors.append(error)

        threads = [threading.Thread(target=writer, args=(name,)) for name in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        try:
            assert errors == []
            with database.transaction(write=False) as session:
                checked, problem = verify_chain(iter_entries(session))
                actions = {entry.action for entry in iter_entries(session)}
        finally:
            database.dispose()
    assert (checked, problem) == (2 * per_thread, None)
    assert actions == {"test.a", "test.b"}
