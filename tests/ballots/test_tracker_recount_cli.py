"""`cunyi recount FILE|-`: the tracker's export in, the published result out, as JSON."""

from __future__ import annotations

import json

import pytest

from ballots.results import services as results
from ballots.results import tracker
from tests.ballots.results_support import ELECTION_DAY, make_poll
from tests.browser.server import run_recount


def test_recount_of_the_export_prints_the_published_result(db, tmp_path):
    poll = make_poll(db, voters=7, seats=2, candidates=("甲", "乙", "丙"))
    poll.votes([["甲", "乙"]] * 4 + [["丙"]] + [[]] + [["甲", "乙", "丙"]])
    results.close_voting(db, poll.actor, poll.round, ELECTION_DAY)
    outcome = results.announce(db, poll.actor, poll.round, ELECTION_DAY)
    export = tmp_path / "export.json"
    export.write_bytes(tracker.published_export(db, poll.round) or b"")
    done = run_recount(tmp_path, str(export))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(outcome.result_json)
    assert json.loads(done.stdout)["elected"] == ["甲", "乙"]
    # It needs no settings: no data directory or secret key was made.
    assert not (tmp_path / "data").exists()


def test_recount_reads_standard_input(tmp_path):
    record = {
        "kind": "election",
        "rules": "village-election",
        "seats": 1,
        "candidates": ["甲", "乙"],
        "registered": 5,
        "ballots": [["甲"], ["甲"], ["乙"]],
    }
    done = run_recount(tmp_path, "-", stdin=json.dumps(record, ensure_ascii=False))
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    assert (output["valid"], output["elected"], output["counts"]) == (
        True,
        ["甲"],
        {"甲": 2, "乙": 1},
    )


@pytest.mark.parametrize(
    ("record", "chinese", "english"),
    [
        ({"kind": "election", "rules": "village-election"}, "缺少字段 seats", "missing"),
        ({"kind": "election", "rules": "其他"}, "rules 必须是", "rules must be"),
        (
            {
                "kind": "election",
                "rules": "village-election",
                "seats": 1,
                "candidates": ["甲"],
                "registered": -1,
                "ballots": [],
            },
            "不小于 0 的整数",
            ">= 0",
        ),
    ],
)
def test_bad_input_is_explained_on_stderr_with_status_2(tmp_path, record, chinese, english):
    done = run_recount(tmp_path, "-", stdin=json.dumps(record, ensure_ascii=False))
    assert done.returncode == 2
    assert chinese in done.stderr and english in done.stderr
    assert done.stdout == ""


def test_an_unreadable_file_or_broken_json_gives_status_2(tmp_path):
    missing = run_recount(tmp_path, str(tmp_path / "nope.json"))
    assert missing.returncode == 2
    assert "读不到文件" in missing.stderr and "cannot read" in missing.stderr
    broken = run_recount(tmp_path, "-", stdin="{not json")
    assert broken.returncode == 2
    assert "不是有效的 JSON" in broken.stderr
