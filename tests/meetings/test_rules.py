"""Quorum and decision rules at their boundaries, for every body (pure functions)."""

from __future__ import annotations

import pytest

from meetings.rules import (
    ASSOCIATION_CONGRESS,
    ASSOCIATION_COUNCIL,
    GROUP_MEETING,
    HOUSEHOLD_ASSEMBLY,
    PROFILES,
    RECALL,
    REPRESENTATIVES_ASSEMBLY,
    VILLAGERS_ASSEMBLY,
    MeetingProfile,
    check_quorum,
    count_motion,
    notice_is_short,
    representatives_body_warnings,
)

# --- Quorum ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "members", "present", "holds"),
    [
        # Villagers' assembly: MORE than half of adults; exactly half is not enough.
        (VILLAGERS_ASSEMBLY, 100, 50, False),
        (VILLAGERS_ASSEMBLY, 100, 51, True),
        (VILLAGERS_ASSEMBLY, 101, 51, True),
        (VILLAGERS_ASSEMBLY, 101, 50, False),
        # Representatives' assembly: AT LEAST two thirds; exactly two thirds is enough.
        (REPRESENTATIVES_ASSEMBLY, 30, 20, True),
        (REPRESENTATIVES_ASSEMBLY, 30, 19, False),
        (REPRESENTATIVES_ASSEMBLY, 31, 20, False),
        (REPRESENTATIVES_ASSEMBLY, 31, 21, True),
        # Group meeting: at least two thirds of the group's adults.
        (GROUP_MEETING, 9, 6, True),
        (GROUP_MEETING, 9, 5, False),
        # Household assembly: at least two thirds of the households' representatives.
        (HOUSEHOLD_ASSEMBLY, 60, 40, True),
        (HOUSEHOLD_ASSEMBLY, 60, 39, False),
        # Association bodies: more than half of members.
        (ASSOCIATION_CONGRESS, 40, 20, False),
        (ASSOCIATION_CONGRESS, 40, 21, True),
        (ASSOCIATION_COUNCIL, 7, 4, True),
        (ASSOCIATION_COUNCIL, 8, 4, False),
        # Nobody eligible: never a quorum.
        (REPRESENTATIVES_ASSEMBLY, 0, 0, False),
    ],
)
def test_quorum_by_members_at_the_boundary(
    profile: MeetingProfile, members: int, present: int, holds: bool
) -> None:
    check = check_quorum(profile, members, present)
    assert check.holds is holds
    assert ("未达到法定人数" in check.reason) is not holds
    assert f"应到 {members} 人，实到 {present} 人" in check.reason


@pytest.mark.parametrize(
    ("profile", "households", "households_present", "holds"),
    [
        (VILLAGERS_ASSEMBLY, 60, 40, True),  # exactly two thirds of households
        (VILLAGERS_ASSEMBLY, 60, 39, False),
        (GROUP_MEETING, 12, 8, True),
        (GROUP_MEETING, 12, 7, False),
    ],
)
def test_quorum_by_households_when_adults_fall_short(
    profile: MeetingProfile, households: int, households_present: int, holds: bool
) -> None:
    # Too few adults present on their own: the households' test decides.
    check = check_quorum(profile, 300, 10, households, households_present)
    assert check.holds is holds
    assert f"共 {households} 户，到会户代表 {households_present} 户" in check.reason


def test_households_do_not_count_for_the_representatives_assembly() -> None:
    check = check_quorum(REPRESENTATIVES_ASSEMBLY, 30, 10, 30, 30)
    assert check.holds is False
    assert "户代表" not in check.rule


def test_rule_text_names_both_tests() -> None:
    rule = check_quorum(VILLAGERS_ASSEMBLY, 10, 6).rule
    assert "到会人数超过应到人数的一半" in rule
    assert "到会户代表不少于总户数的三分之二" in rule
    assert check_quorum(REPRESENTATIVES_ASSEMBLY, 3, 2).rule == "到会人数不少于应到人数的三分之二"


# --- Decision: more than half of THOSE PRESENT ------------------------------------------


@pytest.mark.parametrize(
    "body", ["villagers-assembly", "representatives-assembly", "group-meeting"]
)
def test_exactly_half_of_present_fails_one_more_passes(body: str) -> None:
    profile = PROFILES[body]
    half = count_motion(profile, yes=15, no=15, abstain=0, members=30, present=30)
    assert (half.quorum, half.passed) == (True, False)
    assert "未通过" in half.reason
    more = count_motion(profile, yes=16, no=14, abstain=0, members=30, present=30)
    assert (more.quorum, more.passed) == (True, True)
    assert more.reason.endswith("：通过")


def test_abstentions_count_against() -> None:
    # 16 yes of 31 present: more than half (32 > 31), whatever the others did.
    passes = count_motion(VILLAGERS_ASSEMBLY, yes=16, no=5, abstain=10, members=50, present=31)
    assert passes.passed is True
    # 15 yes, 5 no: a majority of yes over no, but 11 abstain of 31 present: fails.
    fails = count_motion(VILLAGERS_ASSEMBLY, yes=15, no=5, abstain=11, members=50, present=31)
    assert fails.passed is False
    assert "弃权 11" in fails.reason


def test_silent_attendees_count_against() -> None:
    # 20 of 40 present said yes, nobody voted no: exactly half of those present, fails.
    result = count_motion(GROUP_MEETING, yes=20, no=0, abstain=0, members=45, present=40)
    assert (result.quorum, result.passed) == (True, False)


def test_no_quorum_means_not_passed_even_if_unanimous() -> None:
    result = count_motion(REPRESENTATIVES_ASSEMBLY, yes=19, no=0, abstain=0, members=30, present=19)
    assert (result.quorum, result.passed) == (False, False)
    assert "未达到法定人数" in result.reason


def test_household_quorum_then_majority_of_people_present() -> None:
    result = count_motion(
        VILLAGERS_ASSEMBLY,
        yes=21,
        no=19,
        abstain=0,
        members=200,
        present=40,
        households=60,
        households_present=40,
    )
    assert (result.quorum, result.passed, result.base) == (True, True, 40)


def test_result_json_states_rule_and_reason() -> None:
    data = count_motion(VILLAGERS_ASSEMBLY, yes=26, no=20, abstain=5, members=100, present=51)
    assert data.to_json()["quorum"] is True and data.to_json()["passed"] is True
    assert "弃权和未表态的都不算赞成" in data.to_json()["rule"]
    assert "赞成 26，反对 20，弃权 5" in data.to_json()["reason"]


# --- Recall (Art 19) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("registered", "yes", "no", "abstain", "valid", "passed"),
    [
        (100, 50, 0, 0, False, False),  # exactly half voted: not valid
        (100, 51, 0, 0, True, True),
        (100, 26, 25, 0, True, True),
        (100, 26, 26, 0, True, False),  # exactly half of those voting
        (100, 26, 20, 6, True, False),  # abstentions count against
        (100, 27, 20, 6, True, True),
        (0, 0, 0, 0, False, False),
    ],
)
def test_recall_turnout_then_majority_of_voters(
    registered: int, yes: int, no: int, abstain: int, valid: bool, passed: bool
) -> None:
    result = count_motion(RECALL, yes=yes, no=no, abstain=abstain, registered=registered)
    assert (result.quorum, result.passed) == (valid, passed)
    assert result.base == yes + no + abstain


# --- Profiles, notice, Art 29 ----------------------------------------------------------


def test_overrides_change_a_threshold_and_refuse_unknown_ones() -> None:
    strict = REPRESENTATIVES_ASSEMBLY.with_overrides(
        {"quorum_members": {"num": 3, "den": 4, "strict": False}, "notice_days": 7}
    )
    assert check_quorum(strict, 40, 29).holds is False
    assert check_quorum(strict, 40, 30).holds is True
    assert strict.notice_days == 7
    with pytest.raises(ValueError, match="unknown rule parameter"):
        REPRESENTATIVES_ASSEMBLY.with_overrides({"recall": True})
    with pytest.raises(ValueError, match="notice_days"):
        REPRESENTATIVES_ASSEMBLY.with_overrides({"notice_days": -1})


@pytest.mark.parametrize(
    ("profile", "days", "short"),
    [
        (VILLAGERS_ASSEMBLY, 10, False),
        (VILLAGERS_ASSEMBLY, 9, True),
        (REPRESENTATIVES_ASSEMBLY, 5, False),
        (REPRESENTATIVES_ASSEMBLY, 4, True),
    ],
)
def test_notice_period(profile: MeetingProfile, days: int, short: bool) -> None:
    assert notice_is_short(profile, days) is short


@pytest.mark.parametrize(
    ("members", "representatives", "women", "expected"),
    [
        (25, 20, 9, []),  # exactly 4/5 representatives, at least 1/3 women
        (25, 19, 9, ["村民代表只有 19 人"]),
        (30, 24, 10, []),  # exactly 1/3 women
        (30, 24, 9, ["妇女只有 9 人"]),
        (30, 23, 9, ["村民代表只有 23 人", "妇女只有 9 人"]),
    ],
)
def test_art_29_warnings(
    members: int, representatives: int, women: int, expected: list[str]
) -> None:
    warnings = representatives_body_warnings(members, representatives, women)
    assert len(warnings) == len(expected)
    for warning, start in zip(warnings, expected, strict=True):
        assert warning.startswith(start)
        assert "第二十九条" in warning
