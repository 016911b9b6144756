"""`cunyi recount` input: valid records count exactly as the app counts; anything else
(mutated, truncated, hostile JSON) gets a clear Chinese-and-English error, never a crash.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.recount import RecountInputError, recount
from ballots.counting import RoundInput, count_round
from ballots.rules import PROFILES
from tests.browser.server import run_recount

CHINESE = re.compile(r"[\u4e00-\u9fff]")
NAMES = ["甲", "乙", "丙", "丁", "张三", "<b>李四</b>"]
FAST = settings(
    max_examples=int(os.environ.get("CUNYI_HYPOTHESIS_EXAMPLES", "150")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def valid_records(draw: st.DrawFn) -> dict[str, Any]:
    rules = draw(st.sampled_from(sorted(PROFILES)))
    candidates = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=5, unique=True))
    pool = [*candidates, "另写的人"]
    record: dict[str, Any] = {
        "kind": "election",
        "rules": rules,
        "round": draw(st.sampled_from([1, 2])),
        "seats": draw(st.integers(min_value=1, max_value=3)),
        "candidates": candidates,
        "ballots": draw(st.lists(st.lists(st.sampled_from(pool), max_size=4), max_size=25)),
    }
    if rules == "village-election":
        record["registered"] = draw(st.integers(min_value=0, max_value=60))
    else:
        members = draw(st.integers(min_value=0, max_value=40))
        record["members"] = members
        record["present"] = draw(st.integers(min_value=0, max_value=members))
        if draw(st.booleans()):
            households = draw(st.integers(min_value=0, max_value=20))
            record["households"] = households
            record["households_present"] = draw(st.integers(min_value=0, max_value=households))
    if draw(st.booleans()):
        record["issued"] = draw(st.integers(min_value=0, max_value=40))
    if draw(st.booleans()):
        record["overrides"] = {"write_ins_allowed": draw(st.booleans())}
    return record


def expected(record: dict[str, Any]) -> dict[str, Any]:
    """The count straight from counting.count_round, bypassing the recount parser."""
    profile = PROFILES[record["rules"]].with_overrides(record.get("overrides", {}))
    data = RoundInput(
        profile=profile,
        round=record["round"],
        seats=record["seats"],
        candidates=tuple(record["candidates"]),
        ballots=record["ballots"],
        registered=record.get("registered"),
        members=record.get("members"),
        present=record.get("present"),
        households=record.get("households"),
        households_present=record.get("households_present"),
        issued=record.get("issued"),
    )
    return count_round(data).to_json()


@FAST
@given(record=valid_records())
def test_a_valid_record_counts_as_the_app_counts(record):
    result = recount(json.dumps(record, ensure_ascii=False))
    assert result == expected(record)
    assert sum(result["counts"].values()) <= sum(len(set(b)) for b in record["ballots"])


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
KEYS = [
    "kind",
    "rules",
    "round",
    "seats",
    "candidates",
    "ballots",
    "registered",
    "members",
    "present",
    "households",
    "households_present",
    "issued",
    "overrides",
    "body",
    "yes",
    "no",
    "abstain",
]


@st.composite
def mutated_texts(draw: st.DrawFn) -> str:
    record = draw(valid_records())
    if draw(st.booleans()):
        record = {"kind": "motion", "body": draw(st.sampled_from(["villagers-assembly", "recall"]))}
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        key = draw(st.sampled_from(KEYS))
        if draw(st.integers(min_value=0, max_value=3)) == 0:
            record.pop(key, None)
        else:
            record[key] = draw(json_values)
    text = json.dumps(record, ensure_ascii=draw(st.booleans()))
    cut = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=len(text))))
    return text if cut is None else text[:cut]


def _outcome(text: str) -> None:
    try:
        result = recount(text)
    except RecountInputError as error:
        message = str(error)
        assert CHINESE.search(message), message
        assert "(" in message and message.endswith(")"), f"no English part: {message}"
        return
    assert isinstance(result, dict)
    json.dumps(result)  # the CLI prints it: it must be JSON


@FAST
@given(text=mutated_texts())
def test_a_mutated_record_is_counted_or_refused_clearly(text):
    _outcome(text)


@FAST
@given(text=st.text(max_size=200))
def test_any_text_is_refused_clearly(text):
    _outcome(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\ufeff{}",
        "[" * 100_000,
        '{"kind": "election"' + ', "x": [' * 50_000,
        '{"kind": "election", "rules": "village-election", "seats": 1e400}',
        '{"kind": "election", "rules": "village-election", "seats": NaN}',
        '{"kind": "motion", "body": "recall", "yes": 1, "no": 0, "abstain": 0, "registered": '
        + "9" * 5000
        + "}",
    ],
    ids=["empty", "bom", "deep-list", "deep-object", "huge-float", "nan", "huge-int"],
)
def test_hostile_json_is_refused_or_counted_not_a_crash(text):
    _outcome(text)


def test_the_cli_prints_the_count_or_the_error_and_never_a_traceback(tmp_path):
    record = {
        "kind": "election",
        "rules": "village-election",
        "round": 1,
        "seats": 1,
        "candidates": ["甲", "乙"],
        "registered": 5,
        "ballots": [["甲"], ["甲"], ["乙"]],
    }
    done = run_recount(tmp_path, "-", stdin=json.dumps(record, ensure_ascii=False))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == expected(record)

    for text in ("[" * 100_000, '{"kind": "election", "seats": "一"}', "\x00\x01"):
        done = run_recount(tmp_path, "-", stdin=text)
        assert done.returncode == 2, (text[:40], done.stderr)
        assert CHINESE.search(done.stderr)
        assert "Traceback" not in done.stderr

    binary = tmp_path / "record.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    done = run_recount(tmp_path, str(binary))
    assert done.returncode == 2
    assert "UTF-8" in done.stderr and "Traceback" not in done.stderr
