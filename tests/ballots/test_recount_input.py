from __future__ import annotations

import json

import pytest

from app.recount import RecountInputError, recount

BASE = {
    "kind": "election",
    "rules": "village-election",
    "round": 1,
    "seats": 1,
    "candidates": ["甲", "乙"],
    "registered": 5,
    "ballots": [["甲"], ["甲"], ["乙"]],
}


def run(**changes):
    data = {**BASE, **changes}
    data = {k: v for k, v in data.items() if v is not ...}
    return recount(json.dumps(data, ensure_ascii=False))


def test_counts_a_valid_record():
    out = run()
    assert out["valid"] is True
    assert out["ballots_cast"] == 3
    assert out["counts"] == {"甲": 2, "乙": 1}
    assert out["elected"] == ["甲"]
    assert out["unfilled"] == 0
    assert out["tie"] == []
    assert out["runoff_candidates"] == []
    assert out["invalid_ballots"] == 0


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"rules": "magic"}, "rules"),
        ({"seats": -1}, "seats"),
        ({"seats": 0}, "seats"),
        ({"seats": "1"}, "seats"),
        ({"seats": True}, "seats"),
        ({"registered": ...}, "registered"),
        ({"registered": -3}, "registered"),
        ({"candidates": "甲"}, "candidates"),
        ({"candidates": ["甲", "甲"]}, "candidates"),
        ({"ballots": [["甲"], "乙"]}, "ballots[1]"),
        ({"ballots": None}, "ballots"),
        ({"round": 3}, "round"),
        ({"kind": "poll"}, "kind"),
        ({"issued": 1.5}, "issued"),
    ],
)
def test_bad_input_names_the_field(changes, fragment):
    with pytest.raises(RecountInputError) as error:
        run(**changes)
    assert fragment in str(error.value)


def test_group_meeting_needs_members_and_present():
    with pytest.raises(RecountInputError, match="members"):
        run(rules="group-meeting", registered=...)
    with pytest.raises(RecountInputError, match="present"):
        run(rules="group-meeting", members=10, present=11)
    with pytest.raises(RecountInputError, match="households"):
        run(rules="group-meeting", members=10, present=8, households=4)


def test_not_json_and_not_an_object():
    with pytest.raises(RecountInputError, match="JSON"):
        recount("{not json")
    with pytest.raises(RecountInputError, match="对象"):
        recount("[1, 2]")


def test_overrides_change_the_count_the_same_way_the_app_does():
    # A write-in wins by default; with write-ins not allowed that ballot is invalid.
    ballots = [["丁"], ["丁"], ["甲"]]
    assert run(ballots=ballots)["elected"] == ["丁"]
    out = run(ballots=ballots, overrides={"write_ins_allowed": False})
    assert out["invalid_ballots"] == 2
    assert out["elected"] == []
    assert out["parameters"]["write_ins_allowed"] is False


def test_threshold_override():
    # Two thirds needed in the first round: 2 of 3 ballots is enough, 2 of 4 is not.
    two_thirds = {"num": 2, "den": 3, "strict": False}
    assert run(overrides={"first_round": two_thirds})["elected"] == ["甲"]
    four = [["甲"], ["甲"], ["乙"], []]
    assert run(ballots=four, registered=7, overrides={"first_round": two_thirds})["elected"] == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"no_such_parameter": 1},
        {"name": "other"},
        {"write_ins_allowed": "yes"},
        {"max_entrustments_per_proxy": -1},
        {"first_round": {"num": 1, "den": 0, "strict": True}},
        {"first_round": 0.5},
        {"validity_basis": "everyone"},
        [],
    ],
)
def test_bad_overrides_are_refused(overrides):
    with pytest.raises(RecountInputError, match="overrides"):
        run(overrides=overrides)


def test_channels_must_add_up_to_the_credentials_used():
    channels = {"online": 1, "paper": 1, "mobile": 0, "proxy": 1}
    out = run(issued=3, channels=channels)
    assert out["turnout"] == {"registered": 5, "issued": 3, "channels": channels}
    with pytest.raises(RecountInputError) as error:
        run(issued=4, channels=channels)
    assert "加起来是 3" in str(error.value) and "issued 4" in str(error.value)
    with pytest.raises(RecountInputError, match="issued"):
        run(channels=channels)
    with pytest.raises(RecountInputError, match="channels"):
        run(issued=3, channels={**channels, "post": 1})
    with pytest.raises(RecountInputError, match="proxy"):
        run(issued=3, channels={**channels, "proxy": -1})


def test_a_record_without_channels_counts_as_before():
    assert "turnout" not in run(issued=3)
