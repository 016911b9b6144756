"""Load and scale-out: 200 phones vote at once; every acknowledged vote is stored (sealed
in the round's box until the tellers open it) and counted exactly once, and every
receipt is on the public tracker.

On PostgreSQL the phones go through two server processes on one database, which is how
the app scales out; each phone's visit goes round both. SQLite is deployed as one
process (`cunyi serve`); two processes on one SQLite file are exercised by the
concurrency test, at a pace SQLite's single write lock allows.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx2
import pytest

from tests.conftest import TEST_DATABASE
from tests.reliability.conftest import Site, Sizes
from tests.reliability.servers import (
    announce,
    close_and_open,
    missing,
    sealed_receipts,
    seed_election,
    servers,
    stored,
)
from tests.reliability.voters import cast_all, run_async

pytestmark = pytest.mark.reliability

PROCESSES = 2 if TEST_DATABASE == "postgresql" else 1


def test_every_acknowledged_vote_is_counted_once(
    site: Site, sizes: Sizes, figures: Callable[[str], None]
) -> None:
    voters = sizes.load_votes
    election = seed_election(site.database_url, site.secret_key, site.data_dir, voters)
    with servers(site.database_url, site.data_dir, site.secret_key, PROCESSES) as running:
        bases = [server.base_url for server in running]
        tally = run_async(
            cast_all(lambda: bases, election.tokens, election.candidates, sizes.clients)
        )
        logs = "\n".join(server.tail() for server in running)
        figures(f"{sizes.clients} phones, {PROCESSES} processes: {tally.summary()}")
        assert not tally.unexpected, "\n".join(tally.unexpected[:5]) + "\n" + logs

        # Every phone got a receipt, each a different one.
        assert len(tally.receipts) == voters
        assert len(set(tally.receipts)) == voters
        assert not tally.found_voted

        # While voting is open every vote is sealed, its receipt inside.
        found = stored(site.database_url, election.round_id)
        assert found.sealed == found.credential_uses == voters
        assert (found.ballots, found.receipts) == (0, 0)
        assert found.credentials_used_twice == 0
        sealed = sealed_receipts(site.database_url, election.round_id)
        assert missing(tally.receipts, sealed) == []

        # Voting closes and the tellers open the box: each vote is a ballot and a receipt.
        place = (site.database_url, site.secret_key, site.data_dir, election.round_id)
        assert close_and_open(*place) == voters
        found = stored(site.database_url, election.round_id)
        assert found.ballots == found.credential_uses == found.receipts == voters
        assert found.sealed == 0
        assert missing(tally.receipts, found.receipt_codes) == []

        # The count is the acknowledged votes, name by name.
        result = announce(*place)
        assert result["ballots_cast"] == voters
        assert result["blank_ballots"] == tally.choices["(blank)"]
        counted = {name: n for name, n in result["counts"].items() if n}
        assert counted == {name: n for name, n in tally.choices.items() if name != "(blank)"}

        # And the public tracker lists every receipt a phone was given.
        tracker = httpx2.get(f"{bases[-1]}/public/rounds/{election.round_id}/tracker", timeout=120)
        assert tracker.status_code == 200
        assert f"全部回执码（{voters} 个）" in tracker.text
        assert [code for code in tally.receipts if code not in tracker.text] == []
