"""Every counting rule of RULES.md at its boundaries."""

from __future__ import annotations

import pytest

from ballots.counting import RoundInput, count_round
from ballots.rules import GROUP_MEETING, VILLAGE_ELECTION


def village(
    ballots, *, seats=1, candidates=("甲", "乙", "丙"), registered=None, round=1, issued=None
):
    return count_round(
        RoundInput(
            profile=VILLAGE_ELECTION,
            round=round,
            seats=seats,
            candidates=tuple(candidates),
            ballots=ballots,
            registered=registered if registered is not None else 2 * len(ballots) - 1,
            issued=issued,
        )
    )


def test_turnout_exactly_half_is_void_one_more_is_valid():
    ballots = [["甲"]] * 50
    assert not village(ballots, registered=100).valid
    assert village(ballots, registered=100).void_reasons == ["turnout_too_low"]
    assert village(ballots, registered=99).valid


def test_exactly_half_of_votes_does_not_win_first_round():
    # 10 cast: 甲 5 (exactly half), 乙 5.
    result = village([["甲"]] * 5 + [["乙"]] * 5)
    assert result.elected == []
    assert result.unfilled == 1
    assert result.runoff_candidates == ["甲", "乙"]  # tied at the cut: both go on


def test_more_than_half_wins():
    result = village([["甲"]] * 6 + [["乙"]] * 4)
    assert result.elected == ["甲"]
    assert result.unfilled == 0
    assert result.runoff_candidates == []


def test_invalid_and_blank_ballots_count_in_the_base():
    # 11 cast: 甲 5, one blank, one over-marked, 乙 4. 5 of 11 is not more than half.
    ballots = [["甲"]] * 5 + [[]] + [["甲", "乙"]] + [["乙"]] * 4
    result = village(ballots)
    assert result.ballots_cast == 11
    assert result.invalid_ballots == 1
    assert result.blank_ballots == 1
    assert result.counts["甲"] == 5
    assert result.elected == []
    # Without those two ballots 甲 would have won: 5 of 9.
    assert village([["甲"]] * 5 + [["乙"]] * 4).elected == ["甲"]


def test_over_marking_invalidates_the_whole_ballot():
    result = village([["甲", "乙"]], seats=1, registered=1)
    assert result.invalid_ballots == 1
    assert result.counts == {"甲": 0, "乙": 0, "丙": 0}


def test_a_name_marked_twice_counts_once():
    result = village([["甲", "甲"]] * 3, registered=5)
    assert result.invalid_ballots == 0
    assert result.counts["甲"] == 3


def test_write_ins_are_counted_like_candidates():
    result = village([["丁"]] * 6 + [["甲"]] * 4)
    assert result.counts["丁"] == 6
    assert result.elected == ["丁"]


def test_more_seats_than_winners_leaves_seats_unfilled():
    # 3 seats, 10 cast; only 甲 and 乙 pass more than half.
    ballots = [["甲", "乙", "丙"]] * 5 + [["甲", "乙"]] * 2 + [["丁"]] * 3
    result = village(ballots, seats=3, candidates=("甲", "乙", "丙", "丁"))
    assert result.elected == ["甲", "乙"]
    assert result.unfilled == 1
    # Further round: unfilled + 1 of the non-elected with most votes (丙 5, 丁 3).
    assert result.runoff_candidates == ["丙", "丁"]


def test_more_passing_than_seats_most_votes_win():
    ballots = [["甲", "乙"]] * 6 + [["甲", "丙"]] * 3 + [["乙", "丙"]] * 1
    result = village(ballots, seats=1, candidates=("甲", "乙", "丙"))
    # over-marked: seats=1, every ballot marks 2 → all invalid
    assert result.invalid_ballots == 10
    result = village(ballots, seats=2, candidates=("甲", "乙", "丙"))
    assert result.counts == {"甲": 9, "乙": 7, "丙": 4}
    assert result.elected == ["甲", "乙"]


def test_tie_for_the_last_seat_goes_to_a_revote_among_the_tied():
    # 2 seats, 10 cast: 甲 10, 乙 6, 丙 6 — 乙 and 丙 both pass and tie for the last seat.
    ballots = [["甲", "乙"]] * 4 + [["甲", "丙"]] * 4 + [["乙", "丙"]] * 2
    result = village(ballots, seats=2)
    assert result.counts == {"甲": 8, "乙": 6, "丙": 6}
    assert result.elected == ["甲"]
    assert result.tie == ["乙", "丙"]
    assert result.unfilled == 1
    assert result.runoff_candidates == ["乙", "丙"]


def test_further_round_needs_exactly_a_third():
    # 9 cast: 甲 3 (exactly a third) wins; 12 cast: 甲 3 (a quarter) does not.
    ok = village([["甲"]] * 3 + [["乙"]] * 2 + [[]] * 4, round=2, candidates=("甲", "乙"))
    assert ok.elected == ["甲"]
    short = village([["甲"]] * 3 + [["乙"]] * 2 + [[]] * 7, round=2, candidates=("甲", "乙"))
    assert short.elected == []
    assert short.unfilled == 1


def test_more_returned_than_issued_voids_the_round():
    result = village([["甲"]] * 6, issued=5, registered=6)
    assert not result.valid
    assert "more_returned_than_issued" in result.void_reasons
    assert result.elected == []
    assert village([["甲"]] * 5, issued=5, registered=6).valid


def group(ballots, *, members, present, households=None, households_present=None, seats=1):
    return count_round(
        RoundInput(
            profile=GROUP_MEETING,
            round=1,
            seats=seats,
            candidates=("甲", "乙"),
            ballots=ballots,
            members=members,
            present=present,
            households=households,
            households_present=households_present,
        )
    )


def test_group_meeting_quorum_two_thirds_of_members_at_the_boundary():
    assert group([["甲"]] * 20, members=30, present=20).quorum is True
    short = group([["甲"]] * 19, members=30, present=19)
    assert short.quorum is False
    assert short.elected == []


def test_group_meeting_quorum_by_households_when_members_fall_short():
    result = group([["甲"]] * 10, members=30, present=10, households=12, households_present=8)
    assert result.quorum is True
    assert result.elected == ["甲"]
    assert (
        group([["甲"]] * 10, members=30, present=10, households=12, households_present=7).quorum
        is False
    )


def test_group_meeting_winner_needs_more_than_half_of_those_present():
    # 20 present, 20 cast: 10 is exactly half → not elected; 11 → elected.
    assert group([["甲"]] * 10 + [["乙"]] * 10, members=30, present=20).elected == []
    assert group([["甲"]] * 11 + [["乙"]] * 9, members=30, present=20).elected == ["甲"]
    # Absent ballots still count against: 20 present, only 15 vote, 甲 10 of 20 present.
    assert group([["甲"]] * 10 + [["乙"]] * 5, members=30, present=20).elected == []


def test_group_meeting_more_ballots_than_present_is_void():
    result = group([["甲"]] * 21, members=30, present=20)
    assert not result.valid
    assert "more_ballots_than_present" in result.void_reasons


@pytest.mark.parametrize("seats", [1, 2, 3])
def test_elected_never_exceeds_seats(seats):
    ballots = [["甲", "乙", "丙"][:seats]] * 10
    result = village(ballots, seats=seats)
    assert result.elected == ["甲", "乙", "丙"][:seats]
    assert result.unfilled == seats - len(result.elected)
