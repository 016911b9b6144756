"""More ballots than registered voters void the round, in `cunyi recount` and in the app."""

from __future__ import annotations

import json
import secrets

from app.recount import recount
from ballots.models import Ballot, BallotSource, RoundStatus
from ballots.results import services as results
from ballots.results import tracker
from tests.ballots.results_support import ELECTION_DAY, make_poll
from tests.browser.server import run_recount

REASON = "more_ballots_than_registered"


def record(registered: int, ballots: int, **extra: object) -> dict[str, object]:
    return {
        "kind": "election",
        "rules": "village-election",
        "seats": 1,
        "candidates": ["甲", "乙"],
        "registered": registered,
        "ballots": [["甲"]] * ballots,
        **extra,
    }


def test_recount_voids_a_round_with_more_ballots_than_registered_voters() -> None:
    result = recount(json.dumps(record(50, 51), ensure_ascii=False))
    assert result["valid"] is False
    assert result["void_reasons"] == [REASON]
    assert result["elected"] == []
    assert result["ballots_cast"] == 51


def test_as_many_ballots_as_registered_voters_is_valid() -> None:
    result = recount(json.dumps(record(50, 50), ensure_ascii=False))
    assert (result["valid"], result["void_reasons"], result["elected"]) == (True, [], ["甲"])


def test_group_meeting_with_more_ballots_than_its_roll_is_void() -> None:
    data = record(5, 6, rules="group-meeting", members=8, present=7)
    result = recount(json.dumps(data, ensure_ascii=False))
    assert result["valid"] is False
    assert REASON in result["void_reasons"]


def test_the_cli_names_the_reason(tmp_path) -> None:
    done = run_recount(tmp_path, "-", stdin=json.dumps(record(50, 51), ensure_ascii=False))
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    assert (output["valid"], output["void_reasons"], output["elected"]) == (False, [REASON], [])


def test_the_apps_count_voids_the_round_and_the_recount_agrees(db, tmp_path) -> None:
    poll = make_poll(db, voters=4)
    poll.votes([["甲"]] * 4)
    # A paper ballot beyond the roll: five ballots for four registered voters.
    db.add(
        Ballot(
            id=secrets.token_hex(16),
            round_id=poll.round.id,
            source=BallotSource.PAPER,
            marks='["甲"]',
            cast_on=ELECTION_DAY,
        )
    )
    results.close_voting(db, poll.actor, poll.round, ELECTION_DAY)
    outcome = results.announce(db, poll.actor, poll.round, ELECTION_DAY)
    published = json.loads(outcome.result_json)
    assert REASON in published["void_reasons"]
    assert published["elected"] == []
    assert poll.round.status is RoundStatus.VOID
    assert "投出的选票比登记的选民多" in results.describe_void(published["void_reasons"])
    export = tmp_path / "export.json"
    export.write_bytes(tracker.published_export(db, poll.round) or b"")
    done = run_recount(tmp_path, str(export))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == published
