"""`cunyi recount` with kind "motion": the contract of README "cunyi recount"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.recount import RecountInputError, recount
from tests.browser.server import run_recount

BASE: dict[str, Any] = {
    "kind": "motion",
    "body": "villagers-assembly",
    "members": 100,
    "present": 51,
    "yes": 26,
    "no": 20,
    "abstain": 5,
}


def run(**changes: Any) -> dict[str, Any]:
    data = {k: v for k, v in {**BASE, **changes}.items() if v is not ...}
    return recount(json.dumps(data, ensure_ascii=False))


def test_villagers_assembly_motion_passes() -> None:
    out = run()
    assert (out["quorum"], out["passed"]) == (True, True)
    assert "到会人数超过应到人数的一半" in out["rule"]


def test_exactly_half_present_is_no_quorum() -> None:
    out = run(present=50, yes=50, no=0, abstain=0)
    assert (out["quorum"], out["passed"]) == (False, False)


def test_household_pair_gives_quorum() -> None:
    out = run(present=40, yes=21, no=19, abstain=0, households=60, households_present=40)
    assert (out["quorum"], out["passed"]) == (True, True)


def test_abstentions_count_against() -> None:
    out = run(body="representatives-assembly", members=30, present=20, yes=10, no=2, abstain=8)
    assert (out["quorum"], out["passed"]) == (True, False)


def test_group_meeting_exactly_two_thirds() -> None:
    out = run(body="group-meeting", members=30, present=20, yes=11, no=9, abstain=0)
    assert (out["quorum"], out["passed"]) == (True, True)
    out = run(body="group-meeting", members=30, present=19, yes=19, no=0, abstain=0)
    assert out["quorum"] is False


def test_recall_needs_registered_only() -> None:
    out = run(body="recall", members=..., present=..., registered=100, yes=26, no=25, abstain=0)
    assert (out["quorum"], out["passed"]) == (True, True)
    out = run(body="recall", members=..., present=..., registered=100, yes=50, no=0, abstain=0)
    assert (out["quorum"], out["passed"]) == (False, False)


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"body": "household"}, "body 必须是"),
        ({"body": ...}, "body 必须是"),
        ({"yes": ...}, "缺少字段 yes"),
        ({"abstain": -1}, "字段 abstain 必须是不小于 0 的整数"),
        ({"no": 1.5}, "字段 no 必须是不小于 0 的整数"),
        ({"present": True}, "字段 present 必须是不小于 0 的整数"),
        ({"members": ...}, "缺少字段 members"),
        ({"present": 101}, "present（到会人数）不能多于 members"),
        ({"yes": 50}, "不能多于 present"),
        ({"households": 10}, "要么都填"),
        ({"households": 10, "households_present": 11}, "households_present 不能多于 households"),
        ({"body": "recall", "registered": ...}, "缺少字段 registered"),
        ({"body": "recall", "registered": 30}, "不能多于 registered"),
    ],
)
def test_bad_input_names_the_field(changes: dict[str, Any], fragment: str) -> None:
    with pytest.raises(RecountInputError, match=fragment):
        run(**changes)


def test_unknown_kind_names_both_kinds() -> None:
    with pytest.raises(RecountInputError, match='"election" 或 "motion"'):
        run(kind="vote")


def test_cunyi_recount_counts_a_motion_and_exits_2_on_bad_input(tmp_path: Path) -> None:
    done = run_recount(tmp_path, "-", stdin=json.dumps({**BASE, "present": 50, "yes": 25}))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["quorum"], out["passed"]) == (False, False)
    assert "未达到法定人数" in out["reason"]
    bad = run_recount(tmp_path, "-", stdin=json.dumps({**BASE, "body": "township"}))
    assert bad.returncode == 2
    assert "body 必须是" in bad.stderr and bad.stdout == ""
