"""Paper ballots: issuing consumes the credential; the count, its comparison and closing;
reconciliation; how invalid and blank paper ballots reach the one counting function."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from ballots import paper
from ballots.counting import count_round
from ballots.exceptions import (
    AlreadyVoted,
    CountClosed,
    CountsDiffer,
    EntrustedAway,
    NotOnRoll,
    NotYourCount,
    PaperEntryRefused,
    StageError,
)
from ballots.models import (
    Ballot,
    Channel,
    Entrustment,
    PaperCountEntry,
    RoundStatus,
    RoundTeller,
)
from ballots.results.services import round_input
from ballots.setup.credentials import credential_for
from ballots.voting.casting import use_credential
from tests.ballots.paper_support import (
    ELECTION_DAY,
    audit_count,
    audit_texts,
    enter,
    make_scene,
    paper_ballots,
    uses,
)

# Issuing -----------------------------------------------------------------------------------


def test_issuing_uses_the_credential_once_and_records_no_voter(db):
    scene = make_scene(db)
    voter = scene.entries[0]
    before = audit_count(db)

    use = paper.issue_paper_ballot(db, scene.actor, scene.round, voter, today=ELECTION_DAY)

    assert use.channel is Channel.PAPER and use.used_on == ELECTION_DAY
    assert use.credential_id == credential_for(db, scene.election, voter).id
    with pytest.raises(AlreadyVoted):
        paper.issue_paper_ballot(db, scene.actor, scene.round, voter)
    assert len(uses(db, scene.round)) == 1
    # The audit log never ties a voter to the moment they got a ballot.
    assert audit_count(db) == before
    assert not any(scene.person(voter).name in text for text in audit_texts(db))


def test_a_voter_who_voted_online_gets_no_paper_ballot(db):
    scene = make_scene(db)
    voter = scene.entries[1]
    credential = credential_for(db, scene.election, voter)
    use_credential(db, scene.round, credential, Channel.ONLINE, ELECTION_DAY)

    with pytest.raises(AlreadyVoted):
        paper.issue_paper_ballot(db, scene.actor, scene.round, voter)
    assert [u.channel for u in uses(db, scene.round)] == [Channel.ONLINE]
    assert paper.paper_issued(db, scene.round) == 0


def test_no_paper_ballot_outside_voting_off_the_roll_or_for_an_entrusting_voter(db):
    scene = make_scene(db)
    struck, away, proxy = scene.entries[:3]
    struck.struck = True
    db.add(
        Entrustment(
            election_id=scene.election.id,
            voter_entry_id=away.id,
            proxy_entry_id=proxy.id,
            written_on=ELECTION_DAY,
            relation="儿子",
        )
    )
    db.flush()
    with pytest.raises(NotOnRoll):
        paper.issue_paper_ballot(db, scene.actor, scene.round, struck)
    with pytest.raises(EntrustedAway) as refused:
        paper.issue_paper_ballot(db, scene.actor, scene.round, away)
    assert scene.person(proxy).name in refused.value.render_message()
    scene.set_status(RoundStatus.COUNTING)
    with pytest.raises(StageError, match="没有在进行"):
        paper.issue_paper_ballot(db, scene.actor, scene.round, scene.entries[3])
    assert uses(db, scene.round) == []


# A teller's count ------------------------------------------------------------------------------


def test_entries_tally_blank_invalid_over_marked_and_write_ins(db):
    scene = make_scene(db, seats=1, status=RoundStatus.COUNTING)
    count = paper.start_count(db, scene.teller(), scene.round, "1")
    enter(db, count, ["甲", "甲", "乙", "", "X", ("甲", "乙"), "  王五 "])
    entries = list(db.scalars(select(PaperCountEntry).order_by(PaperCountEntry.position)))
    readings = [paper.Reading.of(e) for e in entries]

    assert [e.position for e in entries] == [1, 2, 3, 4, 5, 6, 7]
    # Two names on a one-seat ballot spoil it: recorded as a 废票, names kept.
    assert readings[5].invalid and set(readings[5].marks) == {"甲", "乙"}
    tally = paper.tally(readings, ["甲", "乙", "丙"])
    assert tally.votes == {"甲": 2, "乙": 1, "丙": 0, "王五": 1}
    assert (tally.blank, tally.invalid, tally.total) == (1, 2, 7)


def test_an_entry_is_one_of_names_blank_or_invalid(db):
    scene = make_scene(db, status=RoundStatus.COUNTING)
    count = paper.start_count(db, scene.teller(), scene.round, "1")
    for kwargs in ({}, {"marks": ["甲"], "blank": True}, {"blank": True, "invalid": True}):
        with pytest.raises(PaperEntryRefused, match="只能录入一种"):
            paper.add_entry(db, count, **kwargs)
    assert paper.count_entries(db, count) == []


def test_write_ins_refused_when_the_profile_forbids_them(db):
    scene = make_scene(db, overrides='{"write_ins_allowed": false}', status=RoundStatus.COUNTING)
    count = paper.start_count(db, scene.teller(), scene.round, "1")
    with pytest.raises(PaperEntryRefused, match="请按“废票”录入"):
        paper.add_entry(db, count, marks=["王五"])
    paper.add_entry(db, count, marks=["丙"])
    assert len(paper.count_entries(db, count)) == 1


def test_a_double_tap_records_one_ballot_and_undo_takes_back_the_last(db):
    scene = make_scene(db, status=RoundStatus.COUNTING)
    count = paper.start_count(db, scene.teller(), scene.round, "1")
    paper.add_entry(db, count, marks=["甲"], expected_position=1)
    with pytest.raises(PaperEntryRefused) as refused:
        paper.add_entry(db, count, marks=["甲"], expected_position=1)
    assert "第 1 张已经录入过了" in refused.value.render_message()
    paper.add_entry(db, count, marks=["乙"], expected_position=2)

    removed = paper.undo_last(db, count, expected_position=2)
    assert removed == paper.Reading(("乙",), invalid=False)
    with pytest.raises(PaperEntryRefused, match="撤销过了"):
        paper.undo_last(db, count, expected_position=2)
    assert [paper.Reading.of(e).marks for e in paper.count_entries(db, count)] == [("甲",)]
    assert audit_count(db, "paper_count.entry") == 2
    assert audit_count(db, "paper_count.undo") == 1


def test_counting_only_while_the_round_counts_and_only_by_named_tellers(db):
    scene = make_scene(db)  # still voting
    teller, other = scene.teller(), scene.teller()
    with pytest.raises(StageError, match="还没有开始计票"):
        paper.start_count(db, teller, scene.round, "1")
    scene.set_status(RoundStatus.COUNTING)
    db.add(RoundTeller(round_id=scene.round.id, teller_id=teller.id))
    db.flush()
    with pytest.raises(NotYourCount, match="指定的监计票人"):
        paper.start_count(db, other, scene.round, "1")
    first = paper.start_count(db, teller, scene.round, "1")
    assert paper.start_count(db, teller, scene.round, "1").id == first.id  # resumes


# Two tellers, one stack ------------------------------------------------------------------------


def test_differing_entries_are_shown_by_position_and_block_closing(db):
    scene = make_scene(db, status=RoundStatus.COUNTING)
    wang, li = scene.teller("王监票"), scene.teller("李计票")
    mine = paper.start_count(db, wang, scene.round, "1")
    theirs = paper.start_count(db, li, scene.round, "1")
    enter(db, mine, ["甲", "乙", "甲", "X"])
    enter(db, theirs, ["甲", "丙", "甲"])

    differences = paper.compare_counts([mine, theirs])
    assert [(d.stack, d.position) for d in differences] == [("1", 2), ("1", 4)]
    assert differences[0].readings == (
        paper.Reading(("乙",), False),
        paper.Reading(("丙",), False),
    )
    assert differences[1].readings == (paper.Reading((), True), None)
    assert [d.position for d in paper.disagreements(differences)] == [2]
    with pytest.raises(CountsDiffer) as refused:
        paper.close_paper_counting(db, scene.actor, scene.round)
    assert "“1”第 2 张" in refused.value.render_message()
    assert "第 4 张" not in refused.value.render_message()  # not a disagreement: a gap

    # 李 re-reads ballot 2 (undo back to it); still one short of 王.
    paper.undo_last(db, theirs)
    paper.undo_last(db, theirs)
    enter(db, theirs, ["乙", "甲"])
    with pytest.raises(CountsDiffer) as refused:
        paper.close_paper_counting(db, scene.actor, scene.round)
    assert "第“1”叠还有计票人没有录完" in refused.value.render_message()
    assert paper_ballots(db, scene.round) == []

    enter(db, theirs, ["X"])
    assert paper.compare_counts([mine, theirs]) == []
    assert paper.close_paper_counting(db, scene.actor, scene.round) == 4


def test_one_ballot_is_mended_in_place_without_undoing_the_rest(db):
    scene = make_scene(db, status=RoundStatus.COUNTING)
    mine = paper.start_count(db, scene.teller(), scene.round, "1")
    theirs = paper.start_count(db, scene.teller(), scene.round, "1")
    enter(db, mine, ["甲", "乙", "甲", "丙"])
    enter(db, theirs, ["甲", "丙", "甲", "丙"])
    assert [d.position for d in paper.compare_counts([mine, theirs])] == [2]

    paper.correct_entry(db, theirs, 2, marks=["乙"])
    assert paper.compare_counts([mine, theirs]) == []
    assert [paper.Reading.of(e).marks for e in paper.count_entries(db, theirs)] == [
        ("甲",),
        ("乙",),
        ("甲",),
        ("丙",),
    ]
    with pytest.raises(PaperEntryRefused) as refused:
        paper.correct_entry(db, theirs, 5, blank=True)
    assert "还没有录入第 5 张" in refused.value.render_message()
    corrected = [e for e in db.scalars(select(AuditEntry)) if e.action == "paper_count.correct"]
    assert len(corrected) == 1 and "丙" in corrected[0].summary  # what it was, kept


def test_an_invalid_ballot_read_differently_still_agrees(db):
    scene = make_scene(db, status=RoundStatus.COUNTING)
    mine = paper.start_count(db, scene.teller(), scene.round, "1")
    theirs = paper.start_count(db, scene.teller(), scene.round, "1")
    paper.add_entry(db, mine, invalid=True)
    paper.add_entry(db, theirs, marks=["甲", "乙"])  # over-marked: invalid either way
    assert paper.compare_counts([mine, theirs]) == []


def test_stacks_are_compared_separately(db):
    scene = make_scene(db, status=RoundStatus.COUNTING)
    one = paper.start_count(db, scene.teller(), scene.round, "1")
    two = paper.start_count(db, scene.teller(), scene.round, "2")
    enter(db, one, ["甲"])
    enter(db, two, ["乙", "乙"])
    assert paper.compare_counts([one, two]) == []
    assert paper.reconcile(db, scene.round).returned == 3


# Closing, and what counting makes of it -----------------------------------------------------


def _issue(scene, n):  # type: ignore[no-untyped-def]
    scene.set_status(RoundStatus.OPEN)
    for entry in scene.entries[:n]:
        paper.issue_paper_ballot(scene.db, scene.actor, scene.round, entry)
    scene.set_status(RoundStatus.COUNTING)


def test_invalid_and_blank_paper_ballots_count_as_cast(db):
    scene = make_scene(db, voters=6)
    _issue(scene, 5)
    count = paper.start_count(db, scene.teller(), scene.round, "1")
    enter(db, count, ["甲", "甲", "乙", "", "X"])

    assert paper.close_paper_counting(db, scene.actor, scene.round, today=ELECTION_DAY) == 5
    stored = paper_ballots(db, scene.round)
    assert [] in stored
    assert paper.invalid_marks(1) in stored
    assert all(b.cast_on == ELECTION_DAY for b in db.scalars(select(Ballot)))
    result = count_round(round_input(db, scene.round))
    # 9 registered (3 candidates + 6), 5 cast: valid; 甲 has 2 of 5 cast, not a majority.
    assert (result.ballots_cast, result.invalid_ballots, result.blank_ballots) == (5, 1, 1)
    assert result.counts == {"甲": 2, "乙": 1, "丙": 0}
    assert result.valid and result.elected == []
    assert audit_count(db, "paper_count.close") == 1


def test_more_paper_returned_than_issued_voids_the_round(db):
    scene = make_scene(db, voters=6)
    _issue(scene, 5)
    count = paper.start_count(db, scene.teller(), scene.round, "1")
    enter(db, count, ["甲"] * 6)

    reconciliation = paper.reconcile(db, scene.round)
    assert (reconciliation.issued, reconciliation.returned, reconciliation.excess) == (5, 6, 1)
    paper.close_paper_counting(db, scene.actor, scene.round)
    assert paper.reconcile(db, scene.round).returned == 6
    result = count_round(round_input(db, scene.round))
    assert not result.valid
    assert "more_returned_than_issued" in result.void_reasons
    assert result.elected == []


def test_as_many_returned_as_issued_is_not_void(db):
    scene = make_scene(db, voters=6)
    _issue(scene, 5)
    count = paper.start_count(db, scene.teller(), scene.round, "1")
    enter(db, count, ["甲"] * 5)
    paper.close_paper_counting(db, scene.actor, scene.round)
    result = count_round(round_input(db, scene.round))
    assert result.valid and result.elected == ["甲"]


def test_a_closed_count_is_final(db):
    scene = make_scene(db, status=RoundStatus.COUNTING)
    teller = scene.teller()
    count = paper.start_count(db, teller, scene.round, "1")
    enter(db, count, ["甲"])
    paper.close_paper_counting(db, scene.actor, scene.round)

    assert paper.paper_counting_done(db, scene.round)
    with pytest.raises(CountClosed):
        paper.close_paper_counting(db, scene.actor, scene.round)
    with pytest.raises(CountClosed):
        paper.add_entry(db, count, marks=["乙"])
    with pytest.raises(CountClosed):
        paper.undo_last(db, count)
    with pytest.raises(CountClosed):
        paper.start_count(db, scene.teller(), scene.round, "2")
    assert paper_ballots(db, scene.round) == [["甲"]]


def test_closing_without_any_count(db):
    scene = make_scene(db, status=RoundStatus.COUNTING)
    assert paper.paper_counting_done(db, scene.round)  # no paper at all
    assert paper.close_paper_counting(db, scene.actor, scene.round) == 0
    _issue(scene, 1)
    assert not paper.paper_counting_done(db, scene.round)
    with pytest.raises(StageError, match="还没有人录入"):
        paper.close_paper_counting(db, scene.actor, scene.round)
    # None came back: an empty count closes the paper count with nothing in it.
    paper.start_count(db, scene.teller(), scene.round, "1")
    assert paper.close_paper_counting(db, scene.actor, scene.round) == 0
    assert paper.paper_counting_done(db, scene.round)
    assert paper.reconcile(db, scene.round).missing == 1


def test_the_audit_of_a_count_holds_no_voter(db):
    scene = make_scene(db)
    _issue(scene, 2)
    count = paper.start_count(db, scene.teller(), scene.round, "1")
    enter(db, count, ["甲", "乙"])
    paper.close_paper_counting(db, scene.actor, scene.round)
    names = {scene.person(e).name for e in scene.entries}
    for entry in db.scalars(select(AuditEntry)):
        assert not any(name in entry.summary for name in names), entry.action
