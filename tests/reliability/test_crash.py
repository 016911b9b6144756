"""Crash: the server process is killed with SIGKILL several times while phones vote.

After each kill, before the restart, the database must hold every vote a phone was given
a receipt for, and nothing half-written: each credential use has its sealed ballot, the
receipt inside it (the two rows are written in one transaction; the receipts are read
with two tellers' box passwords, leaving the box sealed). At the end the tellers open
the box: one ballot and one receipt per voter. Phones whose cast got no answer
open their link again after the restart: it says "已投票" when the vote was stored, or
offers the ballot again when it was not; never a second ballot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.reliability.conftest import Site, Sizes
from tests.reliability.servers import (
    Server,
    Stored,
    close_and_open,
    missing,
    sealed_receipts,
    seed_election,
    sqlite_integrity,
    stored,
)
from tests.reliability.voters import Tally, cast_all, run_async

pytestmark = pytest.mark.reliability


@dataclass(frozen=True)
class AfterKill:
    acknowledged: list[str]
    found: Stored
    sealed_receipts: frozenset[str]
    integrity: list[str]


async def _vote_through_kills(
    server: Server,
    site: Site,
    sizes: Sizes,
    round_id: int,
    tokens: list[str],
    names: tuple[str, ...],
) -> tuple[Tally, list[AfterKill]]:
    tally = Tally()
    checks: list[AfterKill] = []
    voting = asyncio.create_task(
        cast_all(
            lambda: [server.base_url],
            tokens,
            names,
            sizes.clients,
            tolerate_outages=True,
            tally=tally,
        )
    )
    for kill in range(1, sizes.kills + 1):
        # Spread the kills over the run, each while all phones are busy.
        target = len(tokens) * kill // (sizes.kills + 1)
        while len(tally.receipts) < target and not voting.done():
            await asyncio.sleep(0.02)
        if voting.done():
            break
        await asyncio.to_thread(server.kill)
        # The process is gone: every receipt given so far was given before the kill.
        acknowledged = list(tally.receipts)
        found = await asyncio.to_thread(stored, site.database_url, round_id)
        sealed = await asyncio.to_thread(sealed_receipts, site.database_url, round_id)
        integrity = await asyncio.to_thread(sqlite_integrity, site.database_url)
        checks.append(AfterKill(acknowledged, found, sealed, integrity))
        await asyncio.to_thread(server.start)
    await voting
    return tally, checks


def test_votes_acknowledged_before_a_sigkill_survive_it_and_none_is_half_written(
    site: Site, sizes: Sizes, figures: Callable[[str], None]
) -> None:
    voters = sizes.crash_votes
    election = seed_election(site.database_url, site.secret_key, site.data_dir, voters)
    server = Server(site.database_url, site.data_dir, site.secret_key)
    server.start()
    try:
        tally, checks = run_async(
            _vote_through_kills(
                server, site, sizes, election.round_id, election.tokens, election.candidates
            )
        )
    finally:
        server.stop()
    figures(f"{sizes.clients} phones, {len(checks)} kills: {tally.summary()}")
    assert not tally.unexpected, "\n".join(tally.unexpected[:5]) + "\n" + server.tail()
    assert len(checks) == sizes.kills, "the voting ended before every kill"

    for n, check in enumerate(checks, start=1):
        found = check.found
        assert missing(check.acknowledged, check.sealed_receipts) == [], f"after kill {n}"
        assert found.sealed == found.credential_uses == len(check.sealed_receipts), (
            f"after kill {n}"
        )
        assert (found.ballots, found.receipts) == (0, 0), f"after kill {n}"
        assert found.credentials_used_twice == 0, f"after kill {n}"
        assert check.integrity in ([], ["ok"]), f"after kill {n}"

    # In the end everyone voted exactly once: with a receipt, or (their cast cut off
    # by a kill after it was stored) told "已投票" when they came back.
    assert tally.acknowledged_voters | tally.found_voted == set(range(voters))
    assert not tally.acknowledged_voters & tally.found_voted
    assert tally.found_voted <= tally.lost, "told 已投票 without ever having cast"
    assert len(set(tally.receipts)) == len(tally.receipts)
    place = (site.database_url, site.secret_key, site.data_dir, election.round_id)
    assert close_and_open(*place) == voters
    found = stored(site.database_url, election.round_id)
    assert found.ballots == found.credential_uses == found.receipts == voters
    assert found.credentials_used_twice == 0
    assert missing(tally.receipts, found.receipt_codes) == []
    assert sqlite_integrity(site.database_url) in ([], ["ok"])
