"""Audit anchors: the chain's head printed on every public notice, and `cunyi verify-audit`
catching what the chain alone cannot (the newest entries deleted, an entry edited and every
later hash recomputed) and ballots changed after their result was certified.

The adversary tests work on a separate, committed database, as someone at the database
console would: they bypass the triggers that refuse changes, then run the real command.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from app.actors import SYSTEM
from app.audit.models import AuditEntry
from app.audit.services import (
    AnchorClaim,
    chain_anchor,
    check_anchors,
    entry_hash,
    iter_entries,
    parse_anchor,
    record,
    verify_chain,
)
from app.cli import build_parser, cmd_verify_audit
from app.db import Database, make_engine
from app.permissions import Role
from ballots.counting import export_bytes, export_document
from ballots.models import Ballot, Round, RoundOutcome
from ballots.results import services as results
from tests import factories
from tests.app.helpers import drop_audit_triggers, fresh_migrated_database, run_cli
from tests.audit.anchors_support import Notices, anchor_on, build_notices
from tests.conftest import sign_in

PURPOSE = "用途：核对本公告之前的记录未被改动。"
LABEL = re.compile(r"^#(\d+) · ([0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})$")


# --- the notices ---------------------------------------------------------------------------


@pytest.fixture
def notices(db) -> Notices:
    return build_notices(db)


def test_every_public_notice_prints_the_chain_head(client, db, notices):
    head = chain_anchor(db)
    assert head.seq > 0
    for name, path in notices.paths.items():
        response = client.get(path)  # anonymous: these are public
        assert response.status_code == 200, (name, response.text[:300])
        printed = anchor_on(response.text)
        assert printed.count == 1, name
        assert printed.machine == f"{head.seq}:{head.hash}", name
        short = "-".join(head.hash[i : i + 4] for i in (0, 4, 8, 12))
        assert printed.label == f"#{head.seq} · {short}", name
        assert LABEL.match(printed.label), name
        assert printed.qr, name
        assert PURPOSE in printed.text, name
        assert f"第 {head.seq} 条" in printed.text, name


def test_the_anchor_is_the_head_when_the_page_is_rendered(client, db, notices):
    path = notices.paths["roll"]
    before = anchor_on(client.get(path).text)
    entry = record(db, SYSTEM, "test.later", "test", 1)
    after = anchor_on(client.get(path).text)
    assert before.machine != after.machine
    assert after.machine == f"{entry.seq}:{entry.hash}"
    assert after.label.startswith(f"#{entry.seq} · ")


def test_the_printed_anchor_checks_out(db, notices, client):
    """Both forms on the paper (short text, full QR content) match the log."""
    printed = anchor_on(client.get(notices.paths["results"]).text)
    db.expire_all()
    _checked, problem = verify_chain(iter_entries(db))
    claims = [parse_anchor(printed.label), parse_anchor(printed.machine)]
    assert [found for _claim, found in check_anchors(db, claims, problem)] == [None, None]


def test_the_verify_page_shows_the_current_anchor(client, db):
    village = factories.VillageFactory()
    auditor = factories.staff(Role.AUDITOR, township=village.township)
    entry = record(db, SYSTEM, "test.step", "test", 1, village_id=village.id)
    sign_in(client, auditor.username)
    page = client.get("/audit/verify").text
    assert f"#{entry.seq} · {entry.hash[:4]}-" in page


# --- anchors against a tampered log (in the test's own transaction) -----------------------


@pytest.fixture
def chain(db) -> list[AuditEntry]:
    for n in range(6):
        record(db, SYSTEM, "test.step", "test", n, {"n": n})
    return list(db.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def claim_of(entry: AuditEntry, digits: int = 16) -> AnchorClaim:
    return parse_anchor(f"{entry.seq}:{entry.hash[:digits]}")


def problems(db, claims):
    db.expire_all()
    _checked, problem = verify_chain(iter_entries(db))
    return [
        (found.reason if found else None) for _claim, found in check_anchors(db, claims, problem)
    ]


def test_intact_anchors_pass_in_short_and_full_form(db, chain):
    claims = [claim_of(chain[2]), claim_of(chain[5], 64), parse_anchor("0:" + "0" * 16)]
    assert problems(db, claims) == [None, None, None]


def test_a_wrong_hash_is_named_rehashed(db, chain):
    wrong = parse_anchor(f"{chain[3].seq}:{'f' * 16}")
    assert problems(db, [wrong]) == ["rehashed"]


def test_deleting_the_newest_entries_fails_the_anchor(db, chain, connection):
    drop_audit_triggers(connection)
    connection.execute(text("DELETE FROM audit_entry WHERE seq >= :seq"), {"seq": chain[4].seq})
    assert verify_chain(iter_entries(db))[1] is None  # the chain alone still verifies
    assert problems(db, [claim_of(chain[3]), claim_of(chain[5])]) == [None, "truncated"]


def test_anchors_after_a_break_in_the_chain_fail(db, chain, connection):
    """Entries 2 and 3 swapped in storage: the anchor at 5 keeps its hash, but the log
    before it is out of order; the anchor at 1 is before the break and still holds."""
    drop_audit_triggers(connection)
    second, third = chain[1].id, chain[2].id
    for old, new in ((second, -1), (third, second), (-1, third)):
        connection.execute(
            text("UPDATE audit_entry SET id = :new WHERE id = :old"), {"new": new, "old": old}
        )
    assert problems(db, [claim_of(chain[0]), claim_of(chain[4])]) == [None, "broken"]


def test_an_entry_renumbered_is_named_reordered(db, chain, connection):
    drop_audit_triggers(connection)
    connection.execute(
        text("UPDATE audit_entry SET seq = 100 WHERE seq = :seq"), {"seq": chain[5].seq}
    )
    assert problems(db, [claim_of(chain[5])]) == ["reordered"]


# --- the adversary at the database console, and `cunyi verify-audit` ------------------------


@contextmanager
def committed(url: str) -> Iterator[Session]:
    database = Database(make_engine(url))
    try:
        with database.transaction() as session:
            factories.bind(session)
            yield session
    finally:
        database.dispose()


@dataclass(frozen=True)
class Installation:
    url: str
    notices: Notices
    printed: str  # the anchor as printed: "#N · xxxx-xxxx-xxxx-xxxx"
    qr: str  # the QR code's content: "N:<full hash>"
    seq: int


@pytest.fixture
def village(tmp_path) -> Iterator[Installation]:
    """A committed database with every notice, the anchor they show once all are made,
    and a few later entries (the platform goes on working after a notice is posted)."""
    with fresh_migrated_database(tmp_path, "anchors") as url:
        with committed(url) as session:
            notices = build_notices(session)
        database = Database(make_engine(url))
        try:
            with database.transaction(write=False) as session:
                head = chain_anchor(session)
        finally:
            database.dispose()
        with committed(url) as session:
            for n in range(3):
                record(session, SYSTEM, "test.later", "test", n)
        yield Installation(url, notices, head.label, head.machine, head.seq)


def verify(village: Installation, tmp_path: Path, *anchors: str):  # type: ignore[no-untyped-def]
    args = [arg for anchor in anchors for arg in ("--anchor", anchor)]
    return run_cli(village.url, tmp_path, "verify-audit", *args)


def tamper(url: str, *statements: str, params: dict[str, object] | None = None) -> None:
    """Statements run with the audit log's triggers dropped, committed."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            drop_audit_triggers(conn)
            for statement in statements:
                conn.execute(text(statement), params or {})
    finally:
        engine.dispose()


def rewrite_chain(url: str, from_seq: int) -> None:
    """Edit entry `from_seq` and recompute every hash from there on: a chain that verifies."""
    with committed(url) as session:
        drop_audit_triggers(session.connection())
        entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
        previous = entries[from_seq - 2].hash if from_seq > 1 else "0" * 64
        for entry in entries[from_seq - 1 :]:
            if entry.seq == from_seq:
                entry.summary = json.dumps({"forged": True})
            entry.prev_hash = previous
            entry.hash = entry_hash(
                seq=entry.seq,
                at=entry.at,
                actor_label=entry.actor_label,
                actor_id=entry.actor_id,
                action=entry.action,
                object_type=entry.object_type,
                object_id=entry.object_id,
                summary=entry.summary,
                prev_hash=entry.prev_hash,
            )
            previous = entry.hash


def change_ballot(url: str, *, cover_tracks: bool = False) -> None:
    """One 乙 ballot becomes 甲, past the immutability triggers; with `cover_tracks` the
    result record's export hash is rewritten to match the changed ballots as well."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # The test user is a superuser: as a replica, ordinary triggers do not fire.
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            else:
                for name in ("ballot_no_update", "round_outcome_no_update"):
                    conn.execute(text(f"DROP TRIGGER {name}"))
            target = conn.scalar(select(Ballot.id).where(Ballot.marks == '["乙"]').limit(1))
            conn.execute(update(Ballot).where(Ballot.id == target).values(marks='["甲"]'))
        if cover_tracks:
            with committed(url) as session:
                if session.get_bind().dialect.name == "postgresql":
                    session.execute(text("SET LOCAL session_replication_role = replica"))
                round_ = session.get(Round, _round_id(session))
                assert round_ is not None
                data = results.round_input(session, round_)
                forged = hashlib.sha256(
                    export_bytes(export_document(session, round_, data))
                ).hexdigest()
                session.execute(update(RoundOutcome).values(sha256=forged))
    finally:
        engine.dispose()


def _round_id(session: Session) -> int:
    found = session.scalar(select(RoundOutcome.round_id).limit(1))
    assert found is not None
    return found


def test_an_untouched_database_passes_with_its_anchors(village, tmp_path):
    anchors = tmp_path / "anchors.txt"
    anchors.write_text(
        f"# 选民名单公告，2026-11-20 张贴\n{village.printed}  # as printed\n\n{village.qr}\n",
        encoding="utf-8",
    )
    result = run_cli(
        village.url,
        tmp_path,
        "verify-audit",
        "--anchor",
        village.printed,
        "--anchors",
        str(anchors),
    )
    assert result.returncode == 0, result.stderr
    assert "chain intact" in result.stdout
    assert result.stdout.count(f"OK: anchor #{village.seq} · ") == 3
    assert "OK: 1 counted rounds recount to their announced export" in result.stdout


def test_deleting_the_newest_entries_is_caught_by_the_anchor(village, tmp_path):
    tamper(village.url, "DELETE FROM audit_entry WHERE seq >= :seq", params={"seq": village.seq})
    alone = verify(village, tmp_path)
    assert alone.returncode == 0, alone.stderr  # what a chain without anchors cannot see
    result = verify(village, tmp_path, village.printed)
    assert result.returncode == 1
    assert f"anchor {village.seq}:" in result.stderr
    assert f"entry seq={village.seq} is missing" in result.stderr
    assert f"the log now ends at seq={village.seq - 1}" in result.stderr
    assert "(truncated)" in result.stderr
    assert f"锚点 {village.printed} 对不上" in result.stderr
    assert f"第 {village.seq} 条记录不见了" in result.stderr


def test_an_edit_with_every_later_hash_recomputed_is_caught_by_the_anchor(village, tmp_path):
    rewrite_chain(village.url, from_seq=3)
    alone = verify(village, tmp_path)
    assert alone.returncode == 0, alone.stderr  # the rewritten chain verifies by itself
    # An anchor taken before the edited entry still holds: the log up to it is intact.
    with committed(village.url) as session:
        early = session.scalar(select(AuditEntry).where(AuditEntry.seq == 2))
        assert early is not None
        before = f"2:{early.hash[:16]}"
    result = verify(village, tmp_path, village.printed, village.qr, before)
    assert result.returncode == 1
    assert result.stderr.count(f"anchor {village.seq}:") == 2  # the short and the full form
    assert f"entry seq={village.seq}" in result.stderr
    assert "(rehashed)" in result.stderr
    assert f"第 {village.seq} 条记录的校验码和锚点上的不同" in result.stderr
    assert "OK: anchor #2 · " in result.stdout


@pytest.mark.parametrize("cover_tracks", [False, True], ids=["ballot", "ballot-and-outcome"])
def test_a_ballot_changed_after_certification_is_named(village, tmp_path, cover_tracks):
    change_ballot(village.url, cover_tracks=cover_tracks)
    result = verify(village, tmp_path, village.printed)
    assert result.returncode == 1
    round_id = village.notices.round_id
    assert f"election round id={round_id} ({village.notices.title}, round 1" in result.stderr
    assert "(changed after announcement)" in result.stderr
    assert f"选举结果对不上：{village.notices.title} 第 1 轮（id={round_id}）" in result.stderr
    # The audit log itself was not touched: the chain and the anchor still pass.
    assert "chain intact" in result.stdout
    assert f"OK: anchor {village.printed}" in result.stdout
    if cover_tracks:
        # The result record's hash now agrees with the ballots; the log's announcement
        # does not, and neither does the result shown.
        assert "(election.announce) recorded export SHA-256" in result.stderr
        assert "is not what a recount of the stored data gives" in result.stderr


def run_in_process(settings, capsys, *args: str):  # type: ignore[no-untyped-def]
    """`cunyi verify-audit ARGS` through the CLI's own parser and command, in this process."""
    parsed = build_parser().parse_args(["verify-audit", *args])
    status = cmd_verify_audit(settings, parsed)
    return status, capsys.readouterr()


@pytest.mark.parametrize(
    ("anchor", "message"),
    [
        ("12", "is not SEQ:HASH"),
        ("12:3f2a9c1b", "16 to 64 hex digits"),
        ("abc:3f2a9c1b77de0a41", "is not SEQ:HASH"),
    ],
)
def test_a_malformed_anchor_exits_2(settings, capsys, anchor, message):
    status, output = run_in_process(settings, capsys, "--anchor", anchor)
    assert status == 2
    assert message in output.err
    assert output.out == ""


def test_an_unreadable_or_malformed_anchors_file_exits_2(settings, capsys, tmp_path):
    status, output = run_in_process(settings, capsys, "--anchors", str(tmp_path / "none"))
    assert status == 2
    assert "cannot read the anchors file" in output.err
    bad = tmp_path / "bad.txt"
    bad.write_text("# fine\n#12 · 3f2a-9c1b-77de-0a41\n1:zz\n", encoding="utf-8")
    status, output = run_in_process(settings, capsys, "--anchors", str(bad))
    assert status == 2
    assert f"{bad}:3:" in output.err
