"""Real server processes on one database, an election seeded in it, and the checks read
straight from that database.

While voting is open a ballot is only sealed in the round's box (app.sealed_box): the
checks then count sealed rows and read the receipts inside them with two tellers' box
passwords, changing nothing; `close_and_open` opens the box as the tellers do at the
count, after which the ballots and receipts are rows of their own.

Each server is `uvicorn app.main:create_app` in its own process (no reloader, no worker
manager), so the process we start is the one holding the database connections and a
SIGKILL ends them mid-transaction, as a power cut or the OOM killer would.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from Crypto.Protocol.SecretSharing import Shamir
from nacl.public import SealedBox as Envelope
from sqlalchemy import select, text

from app.actors import SYSTEM
from app.sealed_box import services as sealed_box
from app.sealed_box.models import BoxHolder, SealedChoice
from ballots.models import Round
from ballots.results import services as results
from ballots.setup import credentials
from slips.links import slip_token
from slips.services import issue_slips
from tests.ballots import factories_elections as fe
from tests.browser.server import ServerProcess, child_environment, committed_session, free_port
from tests.sealed_box_support import password_of

# --- servers ------------------------------------------------------------------------------


@dataclass
class Server:
    """One app process on a fixed port, so that clients find it again after a restart."""

    database_url: str
    data_dir: Path
    secret_key: str
    port: int = field(default_factory=free_port)
    process: ServerProcess | None = None
    starts: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        env = child_environment(
            CUNYI_DATABASE_URL=self.database_url,
            CUNYI_DATA_DIR=str(self.data_dir),
            CUNYI_SECRET_KEY=self.secret_key,
        )
        command = [sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]
        self.process = ServerProcess(command, env, cwd=self.data_dir)
        self.starts += 1
        self.process.wait_until_serving(self.base_url + "/s", timeout=timeout)

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, open transactions die with the process."""
        assert self.process is not None
        os.kill(self.process.process.pid, signal.SIGKILL)
        self.process.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def tail(self) -> str:
        return self.process.tail() if self.process else "(not started)"


@contextmanager
def servers(
    database_url: str, data_dir: Path, secret_key: str, count: int
) -> Iterator[list[Server]]:
    """`count` app processes on the same database, all started; stopped afterwards."""
    started = [Server(database_url, data_dir, secret_key) for _ in range(count)]
    try:
        for server in started:
            server.start()
        yield started
    finally:
        for server in started:
            server.stop()


# --- the election -------------------------------------------------------------------------


@dataclass(frozen=True)
class Election:
    round_id: int
    tokens: list[str]  # the slip links' tokens, one voter each
    candidates: tuple[str, ...]


def seed_election(
    database_url: str, secret_key: str, data_dir: Path, voters: int, *, credentials_made: int = -1
) -> Election:
    """An open one-seat election at an assembly, `voters` adults on its roll, a slip each.

    Opening voting makes every voter's credential; `credentials_made` >= 0 makes only
    that many, so the others are made on first use, as after a late roll correction.
    """
    with committed_session(database_url, secret_key, data_dir) as (session, settings):
        v = fe.voting(session, voters=0)
        people = fe.many_adults(session, v.village, voters)
        entries = fe.roll(session, v.election, people)
        if credentials_made < 0:
            credentials.ensure_credentials(session, v.election)
        else:
            for entry in entries[:credentials_made]:
                credentials.credential_for(session, v.election, entry)
        slips = issue_slips(session, SYSTEM, v.assembly, settings=settings)
        assert len(slips) == voters
        tokens = [slip_token(settings, slip) for slip in slips]
        return Election(v.round.id, tokens, fe.CANDIDATES)


# --- what the database holds -------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    ballots: int
    credential_uses: int
    receipts: int
    credentials_used_twice: int
    receipt_codes: frozenset[str]
    sealed: int  # ballots still sealed in the round's box


# One statement, so one snapshot on both databases even while servers keep writing.
COUNTS = text(
    """
    SELECT
      (SELECT count(*) FROM ballot WHERE round_id = :r),
      (SELECT count(*) FROM credential_use WHERE round_id = :r),
      (SELECT count(*) FROM receipt WHERE round_id = :r),
      (SELECT count(*) FROM (
          SELECT credential_id FROM credential_use WHERE round_id = :r
          GROUP BY credential_id HAVING count(*) > 1) AS twice),
      (SELECT count(*) FROM sealed_choice JOIN sealed_box ON sealed_box.id = sealed_choice.box_id
          WHERE sealed_box.poll_kind = 'election_round' AND sealed_box.poll_id = :r)
    """
)


def stored(database_url: str, round_id: int) -> Stored:
    with committed_session(database_url, write=False) as (session, _settings):
        row = session.execute(COUNTS, {"r": round_id}).one()
        codes = session.scalars(
            text("SELECT code FROM receipt WHERE round_id = :r"), {"r": round_id}
        )
        return Stored(
            int(row[0]), int(row[1]), int(row[2]), int(row[3]), frozenset(codes), int(row[4])
        )


def sealed_receipts(database_url: str, round_id: int) -> frozenset[str]:
    """The receipt codes sealed in the round's box, read with the box passwords of two of
    its tellers (tests.sealed_box_support). Nothing is written: the box stays sealed."""
    with committed_session(database_url, write=False) as (session, _settings):
        box = sealed_box.find_box(session, sealed_box.ELECTION_ROUND, round_id)
        assert box is not None
        holders = session.scalars(
            select(BoxHolder).where(BoxHolder.box_id == box.id).order_by(BoxHolder.id)
        ).all()
        shares = []
        for index, holder in enumerate(holders[: box.threshold]):
            assert holder.salt and holder.opslimit and holder.memlimit and holder.sealed_share
            key = sealed_box._holder_key(
                password_of(index), holder.salt, holder.opslimit, holder.memlimit
            )
            share = Envelope(key).decrypt(holder.sealed_share)
            shares.append((share[0], share[1:]))
        unsealer = Envelope(sealed_box._box_key(Shamir.combine(shares)))
        rows = session.scalars(select(SealedChoice.sealed).where(SealedChoice.box_id == box.id))
        return frozenset(
            str(json.loads(sealed_box._unpad(unsealer.decrypt(row)))["receipt"]) for row in rows
        )


def sqlite_integrity(database_url: str) -> list[str]:
    """PRAGMA integrity_check's findings (["ok"] for a sound file); [] on PostgreSQL."""
    if not database_url.startswith("sqlite"):
        return []
    with committed_session(database_url, write=False) as (session, _settings):
        return [str(line) for line in session.scalars(text("PRAGMA integrity_check"))]


def missing(acknowledged: Sequence[str], codes: frozenset[str]) -> list[str]:
    return [code for code in acknowledged if code not in codes]


def close_and_open(database_url: str, secret_key: str, data_dir: Path, round_id: int) -> int:
    """Close voting, then two tellers open the round's box, through the services (one
    committed transaction, as the two requests would be); how many ballots it held."""
    with committed_session(database_url, secret_key, data_dir) as (session, _settings):
        round_ = session.get(Round, round_id)
        assert round_ is not None
        results.close_voting(session, SYSTEM, round_)
        return fe.open_box(session, round_)


def announce(database_url: str, secret_key: str, data_dir: Path, round_id: int) -> dict[str, Any]:
    """Announce the counted round through the services; the announced result."""
    with committed_session(database_url, secret_key, data_dir) as (session, _settings):
        round_ = session.get(Round, round_id)
        assert round_ is not None
        outcome = results.announce(session, SYSTEM, round_)
        found: dict[str, Any] = json.loads(outcome.result_json)
        return found
