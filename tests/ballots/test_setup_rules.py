"""Election set-up rules as plain functions: no database."""

from __future__ import annotations

from datetime import date

import pytest

from ballots.models import Electorate, Office, Stage
from ballots.rules import VILLAGE_ELECTION
from ballots.setup import rules as setup_rules
from ballots.setup.rules import NomineeTally as T
from ballots.setup.transitions import TransitionFacts, blockers

DAY = date(2026, 6, 15)


# --- eligibility on election day ----------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "adult"),
    [
        ((2008, 6), True),  # turns 18 in the month of the election: counted from month start
        ((2008, 5), True),
        ((2008, 7), False),  # turns 18 the month after election day
        ((2009, 1), False),
        ((1930, 12), True),
    ],
)
def test_adult_on_election_day_at_the_boundary(birth, adult):
    assert setup_rules.is_adult_on(*birth, DAY) is adult


def test_electorate_membership():
    assert setup_rules.in_electorate(Electorate.VILLAGE, None, set(), False)
    assert setup_rules.in_electorate(Electorate.GROUP, 5, {3, 5}, False)
    assert not setup_rules.in_electorate(Electorate.GROUP, 5, {3}, True)
    assert not setup_rules.in_electorate(Electorate.GROUP, None, {3}, True)
    assert setup_rules.in_electorate(Electorate.ASSOCIATION, None, set(), True)
    assert not setup_rules.in_electorate(Electorate.ASSOCIATION, None, {1}, False)


def test_default_profile_follows_the_office():
    assert setup_rules.default_profile_name(Office.GROUP_LEADER) == "group-meeting"
    assert setup_rules.default_profile_name(Office.DIRECTOR) == "village-election"
    assert setup_rules.default_profile_name(Office.ASSOCIATION_HEAD) == "village-election"


def test_profile_overrides_are_applied_from_canonical_json():
    text = setup_rules.canonical_overrides({"roll_publication_days": 15, "objection_days": 3})
    assert text == '{"objection_days":3,"roll_publication_days":15}'
    profile = setup_rules.resolve_profile("village-election", text)
    assert (profile.roll_publication_days, profile.objection_days) == (15, 3)
    assert profile.candidate_list_days == VILLAGE_ELECTION.candidate_list_days


# --- the roll changes only while it may -------------------------------------------------


def test_roll_is_changeable_in_draft_and_while_published_then_settled_then_frozen():
    assert setup_rules.roll_change_problem(Stage.DRAFT) is None
    assert setup_rules.roll_change_problem(Stage.ROLL_PUBLISHED) is None
    assert "异议期已经结束" in setup_rules.roll_change_problem(Stage.NOMINATIONS)
    for stage in (Stage.VOTING_OPEN, Stage.COUNTING, Stage.CERTIFIED):
        assert "选民名单已冻结" in setup_rules.roll_change_problem(stage)
    assert setup_rules.rebuild_problem(Stage.DRAFT) is None
    assert "不能重新生成" in setup_rules.rebuild_problem(Stage.ROLL_PUBLISHED)


# --- objections: within 5 days of publication, decided within 3 ---------------------------


def test_objection_window_ends_on_the_fifth_day_counting_publication_day():
    published = date(2026, 5, 1)
    profile = VILLAGE_ELECTION
    assert setup_rules.objection_last_day(published, profile) == date(2026, 5, 5)
    ok = setup_rules.objection_filing_problem(
        Stage.ROLL_PUBLISHED, published, date(2026, 5, 5), profile
    )
    assert ok is None
    late = setup_rules.objection_filing_problem(
        Stage.ROLL_PUBLISHED, published, date(2026, 5, 6), profile
    )
    assert late == "提出异议的期限是 2026-05-05，已经过了，不能再登记。"
    # ...and the lead's stage rule lets the period be closed exactly from that day.
    facts = _facts(today=date(2026, 5, 6), roll_published_on=published)
    assert blockers(Stage.ROLL_PUBLISHED, Stage.OBJECTIONS_CLOSED, facts, profile) == []
    facts = _facts(today=date(2026, 5, 5), roll_published_on=published)
    assert blockers(Stage.ROLL_PUBLISHED, Stage.OBJECTIONS_CLOSED, facts, profile) == [
        "objection_period_running"
    ]


def test_objections_cannot_be_filed_before_publication_or_after_closing():
    profile = VILLAGE_ELECTION
    assert "还没有公示" in setup_rules.objection_filing_problem(Stage.DRAFT, None, DAY, profile)
    closed = setup_rules.objection_filing_problem(Stage.OBJECTIONS_CLOSED, DAY, DAY, profile)
    assert closed == "异议期已经结束，不能再登记异议。"


def test_objection_decision_due_three_days_after_receipt():
    due = setup_rules.objection_decision_due(date(2026, 5, 2), VILLAGE_ELECTION)
    assert due == date(2026, 5, 5)


# --- stage messages -----------------------------------------------------------------------


def _facts(**changes):
    base = {
        "today": date(2026, 5, 1),
        "election_day": DAY,
        "roll_published_on": None,
        "candidates_published_on": None,
        "candidates": 0,
        "seats": 1,
        "open_objections": 0,
    }
    base.update(changes)
    return TransitionFacts(**base)


def _message(reason, current, target, **facts):
    return setup_rules.blocker_message(reason, current, target, _facts(**facts), VILLAGE_ELECTION)


def test_every_blocker_reason_has_a_plain_chinese_message():
    assert (
        _message("transition_not_allowed", Stage.DRAFT, Stage.VOTING_OPEN)
        == "选举现在处于“准备”阶段，不能进入“投票”。下一步是：公示选民名单。"
    )
    assert _message("roll_too_late", Stage.DRAFT, Stage.ROLL_PUBLISHED) == (
        "选民名单须在选举日（2026-06-15）前至少 20 天公示，最晚 2026-05-26，"
        "现在已经来不及了。请把选举日改晚一些后再公示。"
    )
    assert (
        _message(
            "objection_period_running",
            Stage.ROLL_PUBLISHED,
            Stage.OBJECTIONS_CLOSED,
            roll_published_on=date(2026, 5, 1),
        )
        == "异议期还没有结束：异议可以提到 2026-05-05，2026-05-06 起才能结束异议期。"
    )
    assert "还有 2 件异议没有答复" in _message(
        "objections_undecided", Stage.ROLL_PUBLISHED, Stage.OBJECTIONS_CLOSED, open_objections=2
    )
    assert (
        _message(
            "not_enough_candidates", Stage.NOMINATIONS, Stage.CANDIDATES_PUBLISHED, candidates=1
        )
        == "候选人必须多于应选人数（差额选举）：应选 1 人，现在只有 1 名候选人。"
    )
    assert (
        _message(
            "roll_not_published_long_enough",
            Stage.CANDIDATES_PUBLISHED,
            Stage.VOTING_OPEN,
            roll_published_on=date(2026, 5, 1),
        )
        == "选民名单 2026-05-01 公示，须满 20 天，2026-05-21 起才能开始投票。"
    )
    assert (
        _message(
            "candidates_not_published_long_enough",
            Stage.CANDIDATES_PUBLISHED,
            Stage.VOTING_OPEN,
            candidates_published_on=date(2026, 6, 12),
        )
        == "候选人名单 2026-06-12 公布，须满 5 天，2026-06-17 起才能开始投票。"
    )
    assert _message("before_election_day", Stage.CANDIDATES_PUBLISHED, Stage.VOTING_OPEN) == (
        "还没到选举日（2026-06-15），不能开始投票。"
    )
    assert "选民名单是空的" in _message("roll_empty", Stage.DRAFT, Stage.ROLL_PUBLISHED)


def test_our_own_blockers():
    facts = _facts(today=DAY, candidates=2, seats=2)
    assert setup_rules.extra_blockers(Stage.ROLL_PUBLISHED, facts, 0, False) == ["roll_empty"]
    assert setup_rules.extra_blockers(Stage.ROLL_PUBLISHED, facts, 3, False) == []
    assert setup_rules.extra_blockers(Stage.CANDIDATES_PUBLISHED, facts, 3, False) == [
        "candidates_via_publish"
    ]
    assert setup_rules.extra_blockers(Stage.VOTING_OPEN, facts, 3, True) == [
        "not_enough_candidates"
    ]
    early = _facts(today=date(2026, 6, 14), candidates=3, seats=2)
    assert setup_rules.extra_blockers(Stage.VOTING_OPEN, early, 3, True) == ["before_election_day"]
    assert setup_rules.extra_blockers(Stage.VOTING_OPEN, early, 3, False) == [
        "no_pending_round",
        "before_election_day",
    ]


# --- 差额 and choosing candidates by nomination count ------------------------------------


def test_candidates_must_outnumber_seats_and_not_exceed_nominees():
    assert setup_rules.candidate_count_problem(2, 1, 5) is None
    assert setup_rules.candidate_count_problem(1, 1, 5) == (
        "候选人必须多于应选人数（差额选举）：应选 1 人，候选人至少要 2 人。"
    )
    assert setup_rules.candidate_count_problem(4, 3, 3) == (
        "只有 3 人被提名，候选人人数不能超过被提名的人数。"
    )


# Equal counts are listed by name (code point order: 丁 before 丙).
TALLY = [T("person:1", "甲", 9), T("person:2", "乙", 7), T("person:3", "丁", 5),
         T("person:4", "丙", 5), T("person:5", "戊", 2)]  # fmt: skip


def test_top_nominees_are_chosen_when_the_cut_is_clean():
    selection = setup_rules.select_candidates(list(reversed(TALLY)), 2)
    assert selection.decided
    assert [t.name for t in selection.chosen] == ["甲", "乙"]
    assert [t.name for t in setup_rules.select_candidates(TALLY, 4).chosen] == [
        "甲", "乙", "丁", "丙"
    ]  # fmt: skip


def test_a_tie_across_the_cut_is_shown_not_broken():
    selection = setup_rules.select_candidates(TALLY, 3)
    assert not selection.decided
    assert [t.name for t in selection.chosen] == ["甲", "乙"]
    assert [t.name for t in selection.tied] == ["丁", "丙"]
    assert selection.places == 1
    message = setup_rules.tie_message(selection, 3, seats=1)
    assert message == (
        "丁、丙 的提名数相同（5 票），要列为候选人的还剩 1 个名额。请在他们中勾选 1 人，"
        "或把候选人人数改为 2 或 4 人。"
    )


def test_the_organizer_decides_the_tie():
    chosen = setup_rules.select_candidates(TALLY, 3, picked_at_cut={"person:4"})
    assert chosen.decided
    assert [t.name for t in chosen.chosen] == ["甲", "乙", "丙"]
    # Picking too many, or someone not tied, decides nothing.
    assert not setup_rules.select_candidates(TALLY, 3, {"person:3", "person:4"}).decided
    assert not setup_rules.select_candidates(TALLY, 3, {"person:5"}).decided


def test_tie_message_offers_only_counts_that_keep_the_margin():
    tally = [T("person:1", "甲", 3), T("person:2", "乙", 3), T("person:3", "丙", 3)]
    selection = setup_rules.select_candidates(tally, 2)
    assert selection.places == 2
    message = setup_rules.tie_message(selection, 2, seats=1)
    assert "或把候选人人数改为 3 人。" in message


def test_replacement_is_the_next_nominee_or_a_tie():
    taken = {"person:1", "person:2"}
    assert setup_rules.replacement_options(TALLY, taken) == [TALLY[2], TALLY[3]]
    assert setup_rules.replacement_options(TALLY, taken | {"person:3"}) == [TALLY[3]]
    assert setup_rules.replacement_options(TALLY, {t.nominee_key for t in TALLY}) == []


def test_namesakes_are_told_apart_on_the_ballot():
    names = setup_rules.ballot_names(
        [("person:1", "张伟", "一组"), ("person:2", "张伟", "二组"), ("person:3", "李红", "一组")]
    )
    assert names == {"person:1": "张伟（一组）", "person:2": "张伟（二组）", "person:3": "李红"}
    same = setup_rules.ballot_names([("person:1", "张伟", "一组"), ("person:2", "张伟", "一组")])
    assert len(set(same.values())) == 2


def test_nominee_keys():
    assert setup_rules.person_key(7) == "person:7"
    assert setup_rules.person_id_of("person:7") == 7
    assert setup_rules.person_id_of("name:张三") is None
    assert setup_rules.name_key("张三") == "name:张三"
