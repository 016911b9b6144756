"""The vote path through the real HTTP endpoints: votes cast per second, the slip and
ballot pages, and 200 phones walking the whole path at once.

    .venv/bin/python bench/cast.py                       # SQLite
    .venv/bin/python bench/cast.py --postgres            # PostgreSQL (a schema made and dropped)
    .venv/bin/python bench/cast.py --phones 200          # also the phones' walk

A fresh database gets an open election at an assembly and one QR slip per voter. The app
runs in its own uvicorn process on loopback; bench/loadclient.py GETs each voter's slip
page and ballot page, then POSTs the confirmation form of each voter's ballot
(`/s/<slip>/b/<round>/<entry>/cast`) exactly once, from `--concurrency` keep-alive
connections: slip check, credential single use (the database constraint), the ballot and
its receipt sealed into the round's box, the receipt page rendered. With `--phones N`,
N more voters each walk slip -> ballot -> confirm -> cast on a connection and browser
session of their own, all at once, in three waves. Then the bare Starlette endpoint of
bench/baseline_app.py is served the same way (same uvicorn options and workers) and gets
the same requests from the same client. Both are warmed up first. Afterwards two tellers
open the box and the database must hold exactly one ballot per acknowledged vote.
"""

from __future__ import annotations

import argparse
import re
import sys
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from app.db import Database, make_engine
from app.main import SESSION_COOKIE
from app.sealed_box import services as sealed_box
from ballots.models import Ballot, CredentialUse, Receipt, Round
from ballots.voting.casting import store_opened_ballots
from bench import page_bytes
from bench.common import (
    CANDIDATES,
    POSTGRES_URL,
    Scene,
    app_environment,
    serve,
    voting_database,
)
from bench.loadclient import Run, request, run, walk

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


def cast_request(
    port: int, cookie: str, csrf: str, token: str, round_id: int, entry_id: int, n: int
) -> bytes:
    """The POST the confirmation page submits for voter n (1 in 10 casts a blank)."""
    marks = [("mark", CANDIDATES[n % len(CANDIDATES)])] if n % 10 else []
    return _post(
        port,
        cookie,
        f"/s/{token}/b/{round_id}/{entry_id}/cast",
        [*marks, ("action", "cast"), ("csrf_token", csrf)],
    )


def _post(port: int, cookie: str, path: str, fields: list[tuple[str, str]]) -> bytes:
    return request(
        "POST",
        HOST,
        port,
        path,
        body=urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )


def _get(port: int, cookie: str, path: str) -> bytes:
    return request("GET", HOST, port, path, headers={"Cookie": cookie})


def cast_requests(scene: Scene, port: int, cookie: str, csrf: str) -> list[bytes]:
    """One POST per voter: the confirmed ballot, as the confirmation page submits it."""
    return [
        cast_request(port, cookie, csrf, token, scene.round_id, entry_id, n)
        for n, (token, entry_id) in enumerate(scene.ballots)
    ]


def page_requests(scene: Scene, port: int, cookie: str) -> dict[str, list[bytes]]:
    """GETs of each voter's slip page and ballot page (they change nothing)."""
    return {
        "slip": [_get(port, cookie, f"/s/{token}") for token, _entry in scene.ballots],
        "ballot": [
            _get(port, cookie, f"/s/{token}/b/{scene.round_id}/{entry_id}")
            for token, entry_id in scene.ballots
        ],
    }


WALK_STEPS = ("slip", "ballot", "confirm", "cast")


def phone_walks(
    scene: Scene, port: int, voters: list[tuple[str, int]], sessions: list[tuple[str, str]]
) -> list[list[bytes]]:
    """Each phone's four requests: its slip page, its ballot, the confirmation, the cast;
    every phone with a browser session (cookie, CSRF token) of its own."""
    walks = []
    for n, ((token, entry_id), (cookie, csrf)) in enumerate(zip(voters, sessions, strict=True)):
        ballot = f"/s/{token}/b/{scene.round_id}/{entry_id}"
        mark = CANDIDATES[n % len(CANDIDATES)]
        walks.append(
            [
                _get(port, cookie, f"/s/{token}"),
                _get(port, cookie, ballot),
                _post(port, cookie, ballot + "/confirm", [("mark", mark), ("csrf_token", csrf)]),
                cast_request(port, cookie, csrf, token, scene.round_id, entry_id, n + 1),
            ]
        )
    return walks


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
        "p95_ms": run_.percentile(95),
        "p99_ms": run_.percentile(99),
        "ok": run_.ok,
        "sent": len(run_.answers) + run_.errors,
    }


def walk_figures(run_: Run) -> dict[str, Any]:
    return {
        **figures(run_),
        "steps": {name: run_.percentile(95, n) for n, name in enumerate(WALK_STEPS)},
        "seconds": run_.elapsed,
    }


def _pages(
    port: int, requests: dict[str, list[bytes]], warmup: int, concurrency: int
) -> dict[str, Run]:
    out = {}
    for name, sent in requests.items():
        run(HOST, port, sent[:warmup], concurrency)
        out[name] = run(HOST, port, sent[warmup:], concurrency)
    return out


def measure(
    postgres: str | None,
    *,
    voters: int = 3000,
    warmup: int = 300,
    concurrency: int = 16,
    workers: int = 1,
    pages: bool = True,
    phones: int = 0,
    waves: int = 3,
    log: Any = print,
) -> dict[str, Any]:
    """Casts (and, with `pages`, slip and ballot page views) through the app and through
    bare Starlette under the same load; with `phones`, that many phones at once each
    walking slip -> ballot -> confirm -> cast on its own connection and session, in
    `waves` waves one after the other (new voters each time; the median wave counts, so
    one hiccup of a shared machine does not decide the figure)."""
    with voting_database(postgres, voters + warmup + phones * waves, "cast") as made:
        tmp, url, scene = made.tmp, made.url, made.scene
        secret = made.secret
        walkers = scene.ballots[voters + warmup :]
        scene.ballots[voters + warmup :] = []
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
            views = (
                _pages(server.port, page_requests(scene, server.port, cookie), warmup, concurrency)
                if pages
                else {}
            )
            for name, viewed in views.items():
                log(f"  {name:<8} page {viewed.summary()}")
            warm = run(HOST, server.port, votes[:warmup], concurrency)
            app_run = run(HOST, server.port, votes[warmup:], concurrency, keep_bodies=True)
            log(f"  app      {app_run.summary()}")
            walked: list[Run] = []
            for wave in range(waves if walkers else 0):
                phones_now = walkers[wave * phones : (wave + 1) * phones]
                sessions = [browser_session(server.port) for _ in phones_now]
                walked.append(
                    walk(
                        HOST,
                        server.port,
                        phone_walks(scene, server.port, phones_now, sessions),
                        keep_bodies=True,
                    )
                )
                log(
                    f"  {phones} phones walking: {walked[-1].summary()},"
                    f" p95 {walked[-1].percentile(95):.0f} ms"
                )
        receipts_shown = sum(
            1 for a in app_run.answers if 200 <= a.status < 400 and b'id="receipt"' in a.body
        )
        walk_receipts = sum(
            1 for w in walked for a in w.answers if a.step == 3 and b'id="receipt"' in a.body
        )
        ballots, receipts, uses = stored(url, scene)
        acknowledged = warm.ok + app_run.ok + walk_receipts
        base_views: dict[str, Run] = {}
        base_walk = None
        with serve(["bench.baseline_app:app"], env, tmp, workers) as base:
            same = cast_requests(scene, base.port, cookie, csrf)
            if pages:
                base_views = _pages(
                    base.port, page_requests(scene, base.port, cookie), warmup, concurrency
                )
            run(HOST, base.port, same[:warmup], concurrency)
            base_run = run(HOST, base.port, same[warmup:], concurrency)
            if walkers:
                fake = [(cookie, csrf)] * phones
                base_walk = walk(
                    HOST, base.port, phone_walks(scene, base.port, walkers[:phones], fake)
                )
        log(f"  baseline {base_run.summary()}")
    walked_ok = walk_receipts == len(walkers)
    # The median wave by p95 (waves is odd by default; with an even count, the upper one).
    median_wave = (
        sorted(walked, key=lambda w: w.percentile(95))[len(walked) // 2] if walked else None
    )
    consistent = (
        ballots == receipts == uses == acknowledged and receipts_shown == app_run.ok and walked_ok
    )
    log(
        f"  stored: {ballots} ballots, {receipts} receipts, {uses} credential uses; "
        f"{acknowledged} votes acknowledged ({receipts_shown + walk_receipts} receipt pages) -> "
        + ("consistent" if consistent else "MISMATCH")
    )
    return {
        "app": figures(app_run),
        "baseline": figures(base_run),
        "ratio": app_run.rps / base_run.rps if base_run.rps else 0.0,
        "pages": {
            name: {
                "app": figures(views[name]),
                "baseline": figures(base_views[name]),
                "ratio": views[name].rps / base_views[name].rps if base_views[name].rps else 0.0,
            }
            for name in views
        },
        "walk": (
            {
                "app": walk_figures(median_wave),
                "baseline": walk_figures(base_walk),
                "phones": phones,
                "waves_p95_ms": [w.percentile(95) for w in walked],
            }
            if median_wave is not None and base_walk is not None
            else None
        ),
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
    parser.add_argument("--phones", type=int, default=0)
    parser.add_argument("--no-pages", action="store_true")
    args = parser.parse_args()
    result = measure(
        args.postgres,
        voters=args.voters,
        warmup=args.warmup,
        concurrency=args.concurrency,
        workers=args.workers,
        pages=not args.no_pages,
        phones=args.phones,
    )
    print(f"cast ratio {result['ratio']:.3f}")
    for name, viewed in result["pages"].items():
        print(f"{name} page ratio {viewed['ratio']:.3f}")
    if result["walk"]:
        print(f"walk p95 {result['walk']['app']['p95_ms']:.0f} ms")


if __name__ == "__main__":
    main()
