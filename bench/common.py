"""What the benchmarks share: a throw-away database, a real server process, the
machine's description, a village with an open election and one QR slip per voter.

The server is started the way tests/browser/server.py starts it (uvicorn in a child
process on loopback), with settings given here so the app and the bare-Starlette
baseline run under exactly the same uvicorn options.
"""

# ruff: noqa: E402
from __future__ import annotations

import os
import platform
import secrets
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session
from starlette.datastructures import Secret

from slips.links import slip_token
from slips.services import issue_slips

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.accounts.models import StaffUser
from app.accounts.services import hash_password
from app.actors import Actor
from app.db import Database, make_engine, utcnow
from app.migrate import upgrade_to_head
from app.permissions import Role
from app.registry.models import Township, Village
from app.registry.rules import today_in_china
from app.sealed_box import services as sealed_box
from app.settings import Settings, normalize_database_url
from ballots.models import (
    Candidate,
    Election,
    Electorate,
    Office,
    Round,
    RoundKind,
    RoundStatus,
    Stage,
)
from ballots.setup import credentials
from slips.models import Assembly
from tests.ballots.factories_elections import many_adults, roll
from tests.browser.server import ServerProcess, child_environment, free_port

POSTGRES_URL = os.environ.get("CUNYI_TEST_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")
CANDIDATES = ("张三", "李四", "王五")


def machine() -> dict[str, object]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    return {
        "nproc": os.cpu_count(),
        "cpu": model or platform.machine(),
        "python": platform.python_version(),
        "system": platform.platform(terse=True),
        # Other work on the machine slows both sides of every ratio, but not evenly.
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def fresh_database(postgres: str | None, tmp: Path) -> tuple[str, Callable[[], None]]:
    """A new empty database: a SQLite file in `tmp`, or a PostgreSQL schema dropped after."""
    if postgres is None:
        return f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:6]}.sqlite3'}", lambda: None
    schema = f"cunyi_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(normalize_database_url(postgres))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    base = normalize_database_url(postgres)
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}", drop


def postgres_reachable(url: str = POSTGRES_URL) -> bool:
    try:
        engine = make_engine(normalize_database_url(url), pool_pre_ping=False)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@dataclass(frozen=True)
class Server:
    process: ServerProcess
    port: int


@contextmanager
def serve(
    target: list[str], env: dict[str, str], cwd: Path, workers: int, ready_path: str = "/"
) -> Iterator[Server]:
    """`uvicorn TARGET` on a free loopback port with the options every bench server gets."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", *target, "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    command += ["--log-level", "warning", "--no-access-log"]
    process = ServerProcess(command, env, cwd=cwd)
    try:
        process.wait_until_serving(f"http://127.0.0.1:{port}{ready_path}", timeout=90)
        yield Server(process, port)
    finally:
        process.stop()


def app_environment(url: str, data_dir: Path, secret: str) -> dict[str, str]:
    return child_environment(
        CUNYI_DATABASE_URL=url, CUNYI_DATA_DIR=str(data_dir), CUNYI_SECRET_KEY=secret
    )


# --- a village voting at an assembly ---------------------------------------------------


@dataclass
class Scene:
    """An open election at an assembly; one slip link and roll entry per voter."""

    round_id: int
    election_id: int
    assembly_id: int
    village_id: int
    organizer: str
    password: str
    ballots: list[tuple[str, int]]  # (slip token, roll entry id), one per voter
    box_passwords: dict[int, str]  # {teller id: box password} of two of the box's holders


def seal_round_box(db: Session, village: Village, round_id: int) -> dict[int, str]:
    """Three tellers hold the round's sealed box; each sets a box password; voting opens
    through the box (app.sealed_box.seal). Returns two holders' passwords, to open it."""
    tellers = [
        StaffUser(
            username=f"bench-teller-{n}",
            display_name=f"基准计票人{n}",
            password_hash=hash_password(secrets.token_urlsafe(12)),
            role=Role.TELLER,
            village_id=village.id,
            township_id=village.township_id,
            active=True,
        )
        for n in range(3)
    ]
    db.add_all(tellers)
    db.flush()
    sealed_box.name_holders(db, sealed_box.ELECTION_ROUND, round_id, [t.id for t in tellers])
    passwords = {t.id: secrets.token_urlsafe(12) for t in tellers}
    for teller_id, box_password in passwords.items():
        sealed_box.set_box_password(
            db, sealed_box.ELECTION_ROUND, round_id, teller_id, box_password, box_password
        )
    sealed_box.seal(db, sealed_box.ELECTION_ROUND, round_id)
    return dict(list(passwords.items())[:2])


@dataclass(frozen=True)
class VotingDatabase:
    """A throw-away database holding a seeded Scene, with what the app needs to serve it."""

    tmp: Path
    url: str
    secret: str
    scene: Scene


@contextmanager
def voting_database(postgres: str | None, voters: int, name: str) -> Iterator[VotingDatabase]:
    """A fresh, migrated database (SQLite in a temporary directory, or a PostgreSQL schema)
    with an open election for `voters`; removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        url, cleanup = fresh_database(postgres, tmp)
        try:
            upgrade_to_head(url)
            secret = f"bench-{name}-{tmp.name}"
            yield VotingDatabase(tmp, url, secret, seed_voting(url, secret, tmp, voters))
        finally:
            cleanup()


def seed_voting(url: str, secret: str, data_dir: Path, voters: int) -> Scene:
    """What an organizer has set up when voting opens, written directly and fast."""
    database = Database(make_engine(url))
    settings = Settings(database_url=url, secret_key=Secret(secret), data_dir=data_dir)
    password = secrets.token_urlsafe(12)
    try:
        with database.transaction() as db:
            township = Township(code=f"B{uuid.uuid4().hex[:6]}", name="基准镇")
            db.add(township)
            db.flush()
            village = Village(township_id=township.id, code="001", name="基准村")
            db.add(village)
            db.flush()
            organizer = StaffUser(
                username="bench",
                display_name="基准组织者",
                password_hash=hash_password(password),
                role=Role.ORGANIZER,
                village_id=village.id,
                township_id=township.id,
                active=True,
            )
            meeting = Assembly(
                village_id=village.id,
                title="换届选举大会",
                held_on=today_in_china(),
                place="村委会礼堂",
                links_expire_at=utcnow() + timedelta(hours=6),
            )
            db.add_all([organizer, meeting])
            db.flush()
            election = Election(
                village_id=village.id,
                title="计生主任选举",
                office=Office.DIRECTOR,
                office_label="",
                electorate=Electorate.VILLAGE,
                seats=1,
                profile_name="village-election",
                profile_overrides="{}",
                election_day=today_in_china(),
                stage=Stage.VOTING_OPEN,
                assembly_id=meeting.id,
                created_by_id=organizer.id,
            )
            db.add(election)
            db.flush()
            round_ = Round(
                election_id=election.id,
                number=1,
                kind=RoundKind.FIRST,
                seats=1,
                status=RoundStatus.OPEN,
                status_reason="",
            )
            db.add(round_)
            db.flush()
            db.add_all(
                Candidate(round_id=round_.id, name=name, position=i + 1, nominations=0)
                for i, name in enumerate(CANDIDATES)
            )
            box_passwords = seal_round_box(db, village, round_.id)
            people = many_adults(db, village, voters)
            entries = roll(db, election, people)
            credentials.ensure_credentials(db, election)
            slips = issue_slips(db, Actor(label="bench"), meeting, settings=settings)
            entry_of = {e.person_id: e.id for e in entries}
            links = [(slip_token(settings, s), entry_of[s.person_id]) for s in slips]
            return Scene(
                round_id=round_.id,
                election_id=election.id,
                assembly_id=meeting.id,
                village_id=village.id,
                organizer="bench",
                password=password,
                ballots=links,
                box_passwords=box_passwords,
            )
    finally:
        database.dispose()
