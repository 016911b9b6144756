"""seal_cast_ms / open_box_s: what the sealed ballot box costs a cast, and its opening.

    .venv/bin/python bench/sealing.py              # SQLite
    .venv/bin/python bench/sealing.py --postgres   # PostgreSQL (a schema made and dropped)

On a fresh database with an open round (its box sealed, three tellers' box passwords
set), each of `voters` casts runs in its own committed write transaction, the way a
request does, in two variants alternating voter by voter so both see the same database:

- sealed: `ballots.voting.casting.cast_online`, i.e. lock the round, use the credential
  once, seal {marks, receipt, day} to the round's public key (the shipped path);
- unsealed: the same transaction with the ballot and receipt rows written in clear
  instead of the sealed row: how casting worked before the sealed box (the baseline).

Then two tellers open the box (two argon2id derivations, one decryption per ballot,
the rows written in random order) and the opening's seconds are reported.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

from app import secret_choice
from app.db import Database, make_engine
from app.migrate import upgrade_to_head
from app.registry.rules import today_in_china
from app.sealed_box import services as sealed_box
from ballots.models import Ballot, BallotSource, Channel, Credential, Election, Receipt, Round
from ballots.setup.rules import resolve_profile
from ballots.voting import casting
from bench.common import CANDIDATES, POSTGRES_URL, fresh_database, seed_voting


def _unsealed_cast(db: Any, round_: Round, credential: Credential, name: str) -> None:
    """The cast as it was before the box: the same checks, the rows written in clear."""
    election = db.get(Election, round_.election_id)
    profile = resolve_profile(election.profile_name, election.profile_overrides)
    casting.normalize_marks(
        [name],
        candidates=casting.ballot_names(db, round_),
        seats=round_.seats,
        write_ins_allowed=profile.write_ins_allowed,
    )
    day = today_in_china()
    casting.use_credential(db, round_, credential, Channel.ONLINE, day)
    secret_choice.store_anonymous(
        db,
        Ballot,
        round_id=round_.id,
        source=BallotSource.ONLINE,
        marks=json.dumps([name], ensure_ascii=False),
        cast_on=day,
    )
    secret_choice.store_anonymous(db, Receipt, casting._receipt_code(), round_id=round_.id)
    db.flush()


def measure(postgres: str | None, *, voters: int = 1000, log: Any = print) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        url, cleanup = fresh_database(postgres, tmp)
        database = Database(make_engine(url))
        try:
            upgrade_to_head(url)
            scene = seed_voting(url, "bench-" + tmp.name, tmp, voters)
            with database.transaction(write=False) as db:
                credentials = list(
                    db.scalars(
                        select(Credential)
                        .where(Credential.election_id == scene.election_id)
                        .order_by(Credential.id)
                    )
                )
            sealed_ms: list[float] = []
            clear_ms: list[float] = []
            for n, credential in enumerate(credentials):
                name = CANDIDATES[n % len(CANDIDATES)]
                started = time.perf_counter()
                with database.transaction() as db:
                    round_ = db.get(Round, scene.round_id)
                    assert round_ is not None
                    if n % 2:
                        _unsealed_cast(db, round_, credential, name)
                    else:
                        casting.cast_online(db, round_, credential, [name], Channel.ONLINE)
                (clear_ms if n % 2 else sealed_ms).append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            with database.transaction() as db:
                opened = sealed_box.open_box(
                    db, sealed_box.ELECTION_ROUND, scene.round_id, scene.box_passwords
                )
                round_ = db.get(Round, scene.round_id)
                assert round_ is not None
                casting.store_opened_ballots(db, round_, opened.choices)
            open_s = time.perf_counter() - started
            result = {
                "sealed_ms": statistics.median(sealed_ms),
                "unsealed_ms": statistics.median(clear_ms),
                "sealed_p99_ms": statistics.quantiles(sealed_ms, n=100)[98],
                "unsealed_p99_ms": statistics.quantiles(clear_ms, n=100)[98],
                "opened": len(opened.choices),
                "open_s": open_s,
            }
            log(
                f"  cast median: sealed {result['sealed_ms']:.2f} ms,"
                f" unsealed {result['unsealed_ms']:.2f} ms;"
                f" opening {result['opened']} ballots {open_s:.2f} s"
            )
            return result
        finally:
            database.dispose()
            cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", nargs="?", const=POSTGRES_URL, default=None)
    parser.add_argument("--voters", type=int, default=1000)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.postgres, voters=args.voters), indent=1))


if __name__ == "__main__":
    main()
