"""One credential submitted at the same instant to two server processes on one database
stores one (sealed) ballot: one phone gets the receipt, the other "已投票". A hundred times over
on PostgreSQL (and on SQLite, two processes sharing one WAL file, fewer times).

Half the voters' credentials are made by the first cast (as after a late roll change),
so the two processes also race to create the credential itself.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx2
import pytest

from tests.reliability.conftest import Site, Sizes
from tests.reliability.servers import close_and_open, missing, seed_election, servers, stored
from tests.reliability.voters import Tally, choice_for, race, run_async

pytestmark = pytest.mark.reliability


async def _races(
    bases: list[str], tokens: list[str], names: tuple[str, ...]
) -> tuple[Tally, list[list[str | None]]]:
    tally = Tally()
    # Two connections, kept open, so both casts leave at once without connecting first.
    limits = httpx2.Limits(max_connections=4, max_keepalive_connections=4)
    outcomes = []
    async with httpx2.AsyncClient(timeout=60, limits=limits) as client:
        for index, token in enumerate(tokens):
            first, second = bases if index % 2 else bases[::-1]
            outcomes.append(
                await race(client, first, second, token, choice_for(index, names), tally)
            )
    tally.finished = tally.started + tally.seconds
    return tally, outcomes


def test_one_credential_cast_at_once_through_two_processes_stores_one_ballot(
    site: Site, sizes: Sizes, figures: Callable[[str], None]
) -> None:
    voters = sizes.races
    election = seed_election(
        site.database_url, site.secret_key, site.data_dir, voters, credentials_made=voters // 2
    )
    with servers(site.database_url, site.data_dir, site.secret_key, 2) as running:
        bases = [server.base_url for server in running]
        tally, outcomes = run_async(_races(bases, election.tokens, election.candidates))
        logs = "\n".join(server.tail() for server in running)
    refusals = ", ".join(f"{n} refused {how}" for how, n in sorted(tally.refusals.items()))
    figures(f"{voters} races of two simultaneous casts in {tally.seconds:.1f} s: {refusals}")

    receipts = [code for pair in outcomes for code in pair if code is not None]
    assert [sum(code is not None for code in pair) for pair in outcomes] == [1] * voters, logs
    found = stored(site.database_url, election.round_id)
    assert found.sealed == found.credential_uses == voters
    assert found.credentials_used_twice == 0
    # Opened at the count, the box holds one ballot per credential, with its receipt.
    place = (site.database_url, site.secret_key, site.data_dir, election.round_id)
    assert close_and_open(*place) == voters
    found = stored(site.database_url, election.round_id)
    assert found.ballots == found.credential_uses == found.receipts == voters
    assert missing(receipts, found.receipt_codes) == []
