"""`cunyi verify-audit` detects signed minutes edited directly in the database."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.db import Database, make_engine
from minutes import services, signing
from tests import factories
from tests.app.helpers import fresh_migrated_database, run_cli
from tests.minutes import support


def locked_minutes(url: str, with_addendum: bool) -> int:
    """A closed meeting whose minutes both signatories signed (committed)."""
    database = Database(make_engine(url))
    try:
        with database.transaction() as session:
            factories.bind(session)
            village = factories.VillageFactory()
            host, recorder = support.staff_pair(village)
            meeting = support.meeting(session, village, host, recorder)
            road = support.item(session, meeting, "修建村道")
            support.closed_motion(session, road, members=4, present=3, yes=2, no=1, abstain=0)
            signing.sign(session, host, meeting, factories.PASSWORD)
            signing.sign(session, recorder, meeting, factories.PASSWORD)
            if with_addendum:
                addendum = signing.add_addendum(session, recorder, meeting, "反对票应为 1 票")
                for user in (host, recorder):
                    signing.sign_addendum(session, user, meeting, addendum, factories.PASSWORD)
            minutes = services.find_minutes(session, meeting)
            assert minutes is not None and minutes.locked_at is not None
            return minutes.id
    finally:
        database.dispose()


def tamper(url: str, statement: str) -> None:
    """Drop the lock triggers the way someone at the database console could, then edit."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            sqlite = conn.dialect.name == "sqlite"
            for table in ("minutes", "minutes_addendum"):
                for verb in ("update", "delete"):
                    name = f"{table}_locked_no_{verb}"
                    conn.execute(text(f"DROP TRIGGER {name}" + ("" if sqlite else f" ON {table}")))
            conn.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture
def url(tmp_path):
    with fresh_migrated_database(tmp_path, "minutes") as found:
        yield found


def test_untouched_minutes_pass(url, tmp_path):
    locked_minutes(url, with_addendum=True)
    result = run_cli(url, tmp_path, "verify-audit")
    assert result.returncode == 0, result.stderr
    assert "chain intact" in result.stdout
    assert "2 signed minutes and addenda match the log" in result.stdout


def test_edited_minutes_are_named(url, tmp_path):
    minutes_id = locked_minutes(url, with_addendum=False)
    tamper(
        url,
        "UPDATE minutes SET locked_json = replace(locked_json, '修建村道', '拆除村道')",
    )
    result = run_cli(url, tmp_path, "verify-audit")
    assert result.returncode == 1
    assert f"minutes id={minutes_id}" in result.stderr
    assert "2026年冬季村民会议" in result.stderr
    assert "(changed)" in result.stderr
    assert f"第 {minutes_id} 号会议记录" in result.stderr


def test_edited_hash_too_is_still_caught(url, tmp_path):
    """Recomputing the row's own hash does not help: the log keeps the signed one."""
    locked_minutes(url, with_addendum=False)
    tamper(url, "UPDATE minutes SET locked_json = '{}', locked_sha256 = " + repr("0" * 64))
    result = run_cli(url, tmp_path, "verify-audit")
    assert result.returncode == 1
    assert "(changed)" in result.stderr


def test_unlocking_is_caught(url, tmp_path):
    locked_minutes(url, with_addendum=False)
    tamper(url, "UPDATE minutes SET locked_at = NULL, locked_json = NULL")
    result = run_cli(url, tmp_path, "verify-audit")
    assert result.returncode == 1
    assert "(unlocked)" in result.stderr


def test_edited_addendum_is_named(url, tmp_path):
    locked_minutes(url, with_addendum=True)
    tamper(url, "UPDATE minutes_addendum SET text = '反对票应为 0 票'")
    result = run_cli(url, tmp_path, "verify-audit")
    assert result.returncode == 1
    assert "addendum no. 1" in result.stderr
    assert "(addendum-changed)" in result.stderr
