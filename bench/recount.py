"""recount_1m_s: seconds to recount one million stored ballots.

    .venv/bin/python bench/recount.py                   # SQLite
    .venv/bin/python bench/recount.py --postgres        # PostgreSQL (temp schema)
    .venv/bin/python bench/recount.py --ballots 100000

One round gets a million ballot rows, written in bulk (executemany on SQLite, COPY on
PostgreSQL), not through the ORM one by one. Timed: what announcing a result does to
count (`ballots.results.services.round_input`, reading every ballot, then `count_round`), and what
`cunyi recount` does with the round's public export (the same JSON parsed, validated and
counted by `ballots.counting.recount.recount`). The two results must agree.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.db import Database, make_engine
from app.migrate import upgrade_to_head
from app.recount import recount
from app.registry.rules import today_in_china
from ballots.counting import count_round
from ballots.counting.export import export_bytes, export_document
from ballots.models import Round
from ballots.results.services import round_input
from bench.common import POSTGRES_URL, fresh_database, seed_voting

# What a million villagers might mark on a one-seat ballot with three candidates.
MARKS = ['["张三"]', '["李四"]', '["王五"]', '["李四"]', '["张三"]', "[]", '["张三","李四"]']


def _rows(round_id: int, count: int) -> list[tuple[str, int, str, str, date]]:
    ids = os.urandom(16 * count).hex()
    day = today_in_china()
    rows = [
        (ids[32 * n : 32 * n + 32], round_id, "online", MARKS[n % len(MARKS)], day)
        for n in range(count)
    ]
    rows.sort()  # in primary-key order: appending to the B-tree is far faster than random
    return rows


def insert_ballots(database: Database, round_id: int, count: int) -> None:
    rows = _rows(round_id, count)
    raw: Any = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if database.is_sqlite:
            cursor.execute("BEGIN IMMEDIATE")
            cursor.executemany(
                "INSERT INTO ballot (id, round_id, source, marks, cast_on) VALUES (?,?,?,?,?)",
                rows,
            )
            cursor.execute("COMMIT")
        else:
            copy_sql = "COPY ballot (id, round_id, source, marks, cast_on) FROM STDIN"
            with cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
            raw.commit()
            cursor.execute("ANALYZE ballot")
            raw.commit()
    finally:
        raw.close()


def raw_read(db: Any, round_id: int, sqlite: bool) -> float:
    """Baseline: the bare driver fetching the same marks in the same order, nothing else."""
    raw = db.connection().connection.driver_connection
    sql = "SELECT marks FROM ballot WHERE round_id = {} ORDER BY id"
    started = time.perf_counter()
    cursor = raw.cursor()
    cursor.execute(sql.format("?" if sqlite else "%s"), (round_id,))
    cursor.fetchall()
    return time.perf_counter() - started


def measure(postgres: str | None, *, ballots: int = 1_000_000, log: Any = print) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        url, cleanup = fresh_database(postgres, tmp)
        try:
            upgrade_to_head(url)
            scene = seed_voting(url, "bench-recount", tmp, 10)
            database = Database(make_engine(url))
            started = time.perf_counter()
            insert_ballots(database, scene.round_id, ballots)
            log(f"  {ballots:,} ballots stored in {time.perf_counter() - started:.1f}s")
            with database.transaction(write=False) as db:
                round_ = db.get(Round, scene.round_id)
                assert round_ is not None
                started = time.perf_counter()
                data = round_input(db, round_)
                read = time.perf_counter() - started
                result = count_round(data)
                app_seconds = time.perf_counter() - started
                export = export_bytes(export_document(db, round_, data)).decode()
                raw_seconds = raw_read(db, scene.round_id, database.is_sqlite)
            database.dispose()
        finally:
            cleanup()
    log(
        f"  app path: read {read:.2f}s, read+count {app_seconds:.2f}s; "
        f"baseline (DB-API fetch of the same rows) {raw_seconds:.2f}s"
    )
    started = time.perf_counter()
    recounted = recount(export)
    cli_seconds = time.perf_counter() - started
    log(f"  `cunyi recount` of the {len(export) / 1e6:.0f} MB export: {cli_seconds:.2f}s")
    agree = recounted["counts"] == result.counts and recounted["elected"] == result.elected
    assert result.ballots_cast == ballots, result.ballots_cast
    return {
        "ballots": ballots,
        "app_s": app_seconds,
        "read_s": read,
        "cli_s": cli_seconds,
        "raw_read_s": raw_seconds,
        "agree": agree,
        "result": json.loads(json.dumps(result.counts, ensure_ascii=False)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", nargs="?", const=POSTGRES_URL, default=None)
    parser.add_argument("--ballots", type=int, default=1_000_000)
    args = parser.parse_args()
    print(measure(args.postgres, ballots=args.ballots))


if __name__ == "__main__":
    main()
