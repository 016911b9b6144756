"""SQL statements per request on the vote path, counted at the driver.

    .venv/bin/python bench/statements.py [--postgres]

A fresh database with an open election at an assembly; the app in this process, served
through Starlette's test client (the statements do not depend on the transport). For
one voter: the slip page, the ballot page, the confirmation and the cast, each counted
with SQLAlchemy's before_cursor_execute (SQLite's BEGIN is a statement the driver is
sent; PostgreSQL's is not). The same budget is a test: tests/ballots/test_vote_path_statements.py.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event
from sqlalchemy.engine import Engine
from starlette.datastructures import Secret
from starlette.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from bench.common import POSTGRES_URL, voting_database

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# The same requests counted on SQLite at 7403cd9 (2026-12-03), before the vote path was
# rewritten; the confirmation was not counted then.
BEFORE = {"slip": 16, "ballot": 16, "confirm": None, "cast": 25}


def _count(send: Callable[[], Any]) -> int:
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", before)
    try:
        answer = send()
    finally:
        event.remove(Engine, "before_cursor_execute", before)
    assert answer.status_code == 200, answer.text[:300]
    return len(statements)


def measure(postgres: str | None) -> dict[str, int]:
    with voting_database(postgres, 3, "statements") as made:
        scene = made.scene
        settings = Settings(
            database_url=made.url, secret_key=Secret(made.secret), data_dir=made.tmp
        )
        with TestClient(create_app(settings)) as client:
            found = CSRF.search(client.get("/s").text)
            assert found is not None
            csrf = found.group(1)
            token, entry_id = scene.ballots[0]
            ballot = f"/s/{token}/b/{scene.round_id}/{entry_id}"
            client.get(ballot)  # once, as a phone does before it votes (fills caches)
            form = {"mark": "张三", "csrf_token": csrf}
            return {
                "slip": _count(lambda: client.get(f"/s/{token}")),
                "ballot": _count(lambda: client.get(ballot)),
                "confirm": _count(lambda: client.post(ballot + "/confirm", data=form)),
                "cast": _count(
                    lambda: client.post(ballot + "/cast", data={**form, "action": "cast"})
                ),
            }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", nargs="?", const=POSTGRES_URL, default=None)
    args = parser.parse_args()
    for name, count in measure(args.postgres).items():
        before = BEFORE[name]
        print(f"{name:<8} {count:>3} statements" + (f" (before: {before})" if before else ""))


if __name__ == "__main__":
    main()
