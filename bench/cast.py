"""cast_rps / cast_ratio: votes cast per second through the real HTTP endpoint.

    .venv/bin/python bench/cast.py                 # SQLite
    .venv/bin/python bench/cast.py --postgres      # PostgreSQL (a schema made and dropped)

A fresh database gets an open election at an assembly and one QR slip per voter. The app
runs in its own uvicorn process on loopback; bench/loadclient.py POSTs the confirmation
form of each voter's ballot (`/s/<slip>/b/<round>/<entry>/cast`) exactly once, from
`--concurrency` keep-alive connections: slip check, credential single use (the database
constraint), the ballot and its receipt sealed into the round's box, the receipt page
rendered. Then the bare
Starlette endpoint of bench/baseline_app.py is served the same way (same uvicorn options
and workers) and gets the same requests from the same client. Both are warmed up first.
Afterwards two tellers open the box and the database must hold exactly one ballot per
acknowledged vote.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from app.db import Database, make_engine
from app.main import SESSION_COOKIE
from app.migrate import upgrade_to_head
from app.sealed_box import services as sealed_box
from ballots.models import Ballot, CredentialUse, Receipt, Round
from ballots.voting.casting import store_opened_ballots
from bench import page_bytes
from bench.common import (
    CANDIDATES,
    POSTGRES_URL,
    Scene,
    app_environment,
    fresh_database,
    seed_voting,
    serve,
)
from bench.loadclient import Run, request, run

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HOST = "127.0.0.1"


def browser_session(port: int) -> tuple[str, str]:
    """(cookie, csrf token) of one villager's browser, from the code-entry page."""
    with urllib.request.urlopen(f"http://{HOST}:{port}/s", timeout=30) as answer:
        page = answer.read().decode()
        cookies = answer.headers.get_all("set-cookie") or []
    session = next(c.split(";")[0] for c in cookies if c.startswith(SESSION_COOKIE + "="))
    match = CSRF.search(page)
    assert match, "no CSRF token on /s"
    return session, match.group(1)


def cast_requests(scene: Scene, port: int, cookie: str, csrf: str) -> list[bytes]:
    """One POST per voter: the confirmed ballot, as the confirmation page submits it."""
    out = []
    for n, (token, entry_id) in enumerate(scene.ballots):
        marks = [("mark", CANDIDATES[n % len(CANDIDATES)])] if n % 10 else []  # 1 in 10 blank
        body = urlencode([*marks, ("action", "cast"), ("csrf_token", csrf)]).encode()
        out.append(
            request(
                "POST",
                HOST,
                port,
                f"/s/{token}/b/{scene.round_id}/{entry_id}/cast",
                body=body,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": cookie,
                },
            )
        )
    return out


def stored(url: str, scene: Scene) -> tuple[int, int, int]:
    """(ballots, receipts, credential uses) in the round, once two tellers opened its box."""
    round_id = scene.round_id
    database = Database(make_engine(url))
    try:
        with database.transaction() as db:
            opened = sealed_box.open_box(
                db, sealed_box.ELECTION_ROUND, round_id, scene.box_passwords
            )
            round_ = db.get(Round, round_id)
            assert round_ is not None
            store_opened_ballots(db, round_, opened.choices)
        with database.transaction(write=False) as db:
            return tuple(  # type: ignore[return-value]
                int(db.scalar(select(func.count()).select_from(t).where(t.round_id == round_id)))
                for t in (Ballot, Receipt, CredentialUse)
            )
    finally:
        database.dispose()


def figures(run_: Run) -> dict[str, float]:
    return {
        "rps": run_.rps,
        "p50_ms": run_.percentile(50),
        "p99_ms": run_.percentile(99),
        "ok": run_.ok,
        "sent": len(run_.answers) + run_.errors,
    }


def measure(
    postgres: str | None,
    *,
    voters: int = 3000,
    warmup: int = 300,
    concurrency: int = 16,
    workers: int = 1,
    log: Any = print,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        url, cleanup = fresh_database(postgres, tmp)
        try:
            upgrade_to_head(url)
            secret = "bench-" + tmp.name
            scene = seed_voting(url, secret, tmp, voters + warmup)
            env = app_environment(url, tmp, secret)
            target = ["--factory", "app.main:create_app"]
            with serve(target, env, tmp, workers, ready_path="/s") as server:
                cookie, csrf = browser_session(server.port)
                votes = cast_requests(scene, server.port, cookie, csrf)
                token, entry_id = scene.ballots[0]  # a warm-up voter, not voted yet
                page = page_bytes.measure(
                    server.port, f"/s/{token}/b/{scene.round_id}/{entry_id}", cookie
                )
                log(f"  ballot page {page['html']} bytes + {page['assets']} = {page['total']}")
                warm = run(HOST, server.port, votes[:warmup], concurrency)
                app_run = run(HOST, server.port, votes[warmup:], concurrency, keep_bodies=True)
            receipts_shown = sum(
                1 for a in app_run.answers if 200 <= a.status < 400 and b'id="receipt"' in a.body
            )
            ballots, receipts, uses = stored(url, scene)
            acknowledged = warm.ok + app_run.ok
            log(f"  app      {app_run.summary()}")
            with serve(["bench.baseline_app:app"], env, tmp, workers) as base:
                same = cast_requests(scene, base.port, cookie, csrf)
                run(HOST, base.port, same[:warmup], concurrency)
                base_run = run(HOST, base.port, same[warmup:], concurrency)
            log(f"  baseline {base_run.summary()}")
        finally:
            cleanup()
    consistent = ballots == receipts == uses == acknowledged and receipts_shown == app_run.ok
    log(
        f"  stored: {ballots} ballots, {receipts} receipts, {uses} credential uses; "
        f"{acknowledged} votes acknowledged ({receipts_shown} receipt pages) -> "
        + ("consistent" if consistent else "MISMATCH")
    )
    return {
        "app": figures(app_run),
        "baseline": figures(base_run),
        "ratio": app_run.rps / base_run.rps if base_run.rps else 0.0,
        "consistent": consistent,
        "workers": workers,
        "concurrency": concurrency,
        "votes": len(votes) - warmup,
        "page": page,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", nargs="?", const=POSTGRES_URL, default=None)
    parser.add_argument("--voters", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    result = measure(
        args.postgres,
        voters=args.voters,
        warmup=args.warmup,
        concurrency=args.concurrency,
        workers=args.workers,
    )
    print(f"cast ratio {result['ratio']:.3f}")


if __name__ == "__main__":
    main()
