"""Counting from the database, closing voting, announcing, further rounds, turnout."""

from __future__ import annotations

import hashlib
import json
import secrets

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.registry.models import Person
from ballots.counting import count_round
from ballots.counting.export import export_bytes, export_document
from ballots.exceptions import AttendanceRefused, Conflict, ElectionError, StageError
from ballots.models import (
    Ballot,
    BallotSource,
    Candidate,
    PaperCount,
    RoundKind,
    RoundOutcome,
    RoundStatus,
    Stage,
)
from ballots.results import services as results
from ballots.results import tracker
from tests.ballots.results_support import ELECTION_DAY, make_poll


def closed(poll):
    results.close_voting(poll.db, poll.actor, poll.round, ELECTION_DAY)
    return poll


def test_round_input_reads_roll_uses_ballots_and_live_candidates(db):
    poll = make_poll(db, voters=6, candidates=("甲", "乙", "丙", "丁"))
    poll.entries[5].struck = True
    db.scalar(select(Candidate).where(Candidate.name == "丁")).withdrawn = True
    poll.votes([["甲"], ["乙"], []])
    data = results.round_input(db, poll.round)
    assert data.registered == 5
    assert data.issued == 3
    assert data.candidates == ("甲", "乙", "丙")
    assert sorted(map(tuple, data.ballots)) == [(), ("乙",), ("甲",)]
    assert data.round == 1
    assert data.profile.name == "village-election"


def test_close_voting_moves_round_and_election_to_counting(db):
    poll = make_poll(db)
    poll.votes([["甲"]] * 3)
    closed(poll)
    assert poll.round.status is RoundStatus.COUNTING
    assert poll.election.stage is Stage.COUNTING
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "election.close_voting"))
    assert json.loads(entry.summary)["credentials_used"] == 3
    with pytest.raises(StageError, match="没有在投票"):
        results.close_voting(db, poll.actor, poll.round, ELECTION_DAY)


def test_announce_records_the_counted_result_bound_to_the_export(db):
    poll = make_poll(db, voters=9)
    poll.votes([["甲"]] * 4 + [["乙"]] * 2 + [[]])
    closed(poll)
    outcome = results.announce(db, poll.actor, poll.round, ELECTION_DAY)
    published = json.loads(outcome.result_json)
    assert published == count_round(results.round_input(db, poll.round)).to_json()
    assert published["elected"] == ["甲"]
    assert published["ballots_cast"] == 7
    assert published["blank_ballots"] == 1
    assert outcome.kind == "announced"
    export = export_bytes(export_document(db, poll.round, results.round_input(db, poll.round)))
    assert outcome.sha256 == hashlib.sha256(export).hexdigest()
    assert poll.round.status is RoundStatus.ANNOUNCED
    assert poll.election.stage is Stage.ANNOUNCED


def test_turnout_of_exactly_half_makes_the_round_void(db):
    poll = make_poll(db, voters=10)
    poll.votes([["甲"]] * 5)
    closed(poll)
    outcome = results.announce(db, poll.actor, poll.round, ELECTION_DAY)
    assert json.loads(outcome.result_json)["void_reasons"] == ["turnout_too_low"]
    assert poll.round.status is RoundStatus.VOID
    assert poll.election.stage is Stage.ANNOUNCED


def test_more_ballots_than_credential_uses_voids_the_round(db):
    poll = make_poll(db, voters=4)
    poll.votes([["甲"]] * 3)
    db.add(
        Ballot(
            id=secrets.token_hex(16),
            round_id=poll.round.id,
            source=BallotSource.PAPER,
            marks='["甲"]',
            cast_on=ELECTION_DAY,
        )
    )
    closed(poll)
    outcome = results.announce(db, poll.actor, poll.round, ELECTION_DAY)
    assert "more_returned_than_issued" in json.loads(outcome.result_json)["void_reasons"]


def test_announce_is_refused_while_voting_is_open_or_paper_is_uncounted(db):
    poll = make_poll(db)
    poll.votes([["甲"]] * 8)
    with pytest.raises(StageError, match="请先结束投票"):
        results.announce(db, poll.actor, poll.round, ELECTION_DAY)
    closed(poll)
    db.add(PaperCount(round_id=poll.round.id, teller_id=poll.teller().id, stack="1"))
    db.flush()
    with pytest.raises(ElectionError, match="纸质选票还没有计完"):
        results.announce(db, poll.actor, poll.round, ELECTION_DAY)
    assert db.scalar(select(RoundOutcome)) is None


def test_group_meeting_needs_attendance_then_applies_the_quorum(db):
    poll = make_poll(db, voters=9, profile="group-meeting", groups=1)
    poll.votes([["甲"]] * 5 + [["乙"]])
    closed(poll)
    with pytest.raises(ElectionError, match="应到人数和实到人数"):
        results.announce(db, poll.actor, poll.round, ELECTION_DAY)
    # 6 of 9 present is exactly two thirds: quorum; 甲 has 5 of 6 present.
    results.record_attendance(db, poll.actor, poll.round, present=6, households_present=None)
    published = json.loads(results.announce(db, poll.actor, poll.round, ELECTION_DAY).result_json)
    assert published["quorum"] is True
    assert published["elected"] == ["甲"]


def test_group_meeting_without_quorum_is_void(db):
    poll = make_poll(db, voters=9, profile="group-meeting", groups=1)
    poll.votes([["甲"]] * 5)
    closed(poll)
    # 5 of 9 people, and 5 of 9 households: neither reaches two thirds.
    results.record_attendance(db, poll.actor, poll.round, present=5, households_present=5)
    assert (poll.round.members, poll.round.households) == (9, 9)
    published = json.loads(results.announce(db, poll.actor, poll.round, ELECTION_DAY).result_json)
    assert published["void_reasons"] == ["no_quorum"]
    assert poll.round.status is RoundStatus.VOID


def test_attendance_is_refused_for_village_elections(db):
    poll = make_poll(db)
    with pytest.raises(ElectionError, match="不是小组会议选举"):
        results.record_attendance(db, poll.actor, poll.round, present=6, households_present=None)


def test_group_attendance_is_bounded_by_the_roll_and_by_who_voted(db):
    """The issue's made-up quorum: 30 expected of a 40-strong roll, 44 households of 14,
    4 households present with 5 ballots cast. Here: a roll of 6 in 6 households."""
    group = make_poll(db, voters=6, profile="group-meeting", groups=1)
    group.votes([["甲"]] * 3)

    def refused(present: int, households_present: int | None) -> AttendanceRefused:
        with pytest.raises(AttendanceRefused) as caught:
            results.record_attendance(
                db, group.actor, group.round, present=present, households_present=households_present
            )
        return caught.value

    beyond = refused(7, None)
    assert beyond.field == "present"
    assert "不能多于本组选民名单上的 6 人" in beyond.render_message()
    below = refused(2, None)
    assert below.field == "present"
    assert "已经有 3 人投了票" in below.render_message()
    assert refused(4, 7).field == "households_present"
    assert "本组选民名单上的 6 户" in refused(4, 7).render_message()
    assert "不能多于实到人数" in refused(3, 4).render_message()
    # 3 of 6 is short of two thirds; 2 households cannot have cast 3 ballots.
    assert "实到户代表数不能少于 3" in refused(3, 2).render_message()
    assert group.round.present is None and group.round.members is None
    results.record_attendance(db, group.actor, group.round, present=4, households_present=None)
    assert (group.round.members, group.round.present, group.round.households) == (6, 4, None)
    verdict = results.quorum_verdict(group.round)
    assert verdict is not None
    assert (verdict.met, verdict.needed) == (True, 4)


def test_several_voters_of_one_household_count_as_one_household(db):
    poll = make_poll(db, voters=4, profile="group-meeting", groups=1)
    people = [db.get(Person, entry.person_id) for entry in poll.entries]
    for person in people[1:3]:
        person.household_id = people[0].household_id
    db.flush()
    assert results.group_roll(db, poll.election) == results.GroupRoll(members=4, households=2)


def test_unfilled_seat_leads_to_a_further_round_counted_at_one_third(db):
    poll = make_poll(db, voters=10)
    # 10 cast: 甲 5 is exactly half, not more: nobody elected.
    poll.votes([["甲"]] * 5 + [["乙"]] * 3 + [["丙"]] * 2)
    closed(poll)
    outcome = results.announce(db, poll.actor, poll.round, ELECTION_DAY)
    further = results.further_round(db, poll.actor, poll.election, results.result_of(outcome))
    assert further.kind is RoundKind.FURTHER
    assert further.number == 2
    assert further.seats == 1
    assert [c.name for c in results.round_candidates(db, further)] == ["甲", "乙"]
    assert poll.election.stage is Stage.CANDIDATES_PUBLISHED
    poll.open_round(further)
    # 9 cast in the further round: 乙 3 is exactly a third, and the most: elected.
    for entry, marks in zip(poll.entries, [["乙"]] * 3 + [["甲"]] * 2 + [[]] * 4, strict=False):
        poll.vote(entry, marks, round_=further)
    closed(poll)
    second = json.loads(results.announce(db, poll.actor, further, ELECTION_DAY).result_json)
    assert second["round"] == 2
    assert second["elected"] == ["乙"]


def test_a_tie_for_the_last_seat_leads_to_a_re_vote_among_the_tied(db):
    poll = make_poll(db, voters=9, seats=2, candidates=("甲", "乙", "丙", "丁"))
    # 9 cast: 甲 7, 乙 5, 丙 5, all more than half; 甲 elected, 乙 and 丙 tie for seat two.
    poll.votes([["甲", "乙"]] * 3 + [["甲", "丙"]] * 3 + [["乙", "丙"]] * 2 + [["甲"]])
    closed(poll)
    outcome = results.announce(db, poll.actor, poll.round, ELECTION_DAY)
    published = json.loads(outcome.result_json)
    assert (published["elected"], published["tie"]) == (["甲"], ["乙", "丙"])
    revote = results.further_round(db, poll.actor, poll.election, results.result_of(outcome))
    assert revote.kind is RoundKind.TIE_REVOTE
    assert revote.seats == 1
    assert [c.name for c in results.round_candidates(db, revote)] == ["乙", "丙"]


def test_a_void_round_is_held_again_as_it_was(db):
    poll = make_poll(db, voters=10)
    poll.votes([["甲"]] * 2)
    closed(poll)
    outcome = results.announce(db, poll.actor, poll.round, ELECTION_DAY)
    again = results.further_round(db, poll.actor, poll.election, results.result_of(outcome))
    assert again.kind is RoundKind.FIRST
    assert again.number == 2
    assert [c.name for c in results.round_candidates(db, again)] == ["甲", "乙", "丙"]


def test_no_further_round_when_every_seat_is_filled_or_before_announcement(db):
    poll = make_poll(db, voters=5)
    with pytest.raises(StageError, match="上一轮结果公布以后"):
        results.further_round(db, poll.actor, poll.election, {"unfilled": 1})
    poll.votes([["甲"]] * 4)
    closed(poll)
    outcome = results.announce(db, poll.actor, poll.round, ELECTION_DAY)
    with pytest.raises(Conflict, match="不需要另行选举"):
        results.further_round(db, poll.actor, poll.election, results.result_of(outcome))


def test_turnout_per_group_counts_only(db):
    poll = make_poll(db, voters=6, groups=2)
    # Entries alternate between the two groups; three of group one vote, one of group two.
    for index in (0, 2, 4, 1):
        poll.vote(poll.entries[index], ["甲"])
    rows = tracker.turnout_by_group(db, poll.round)
    by_name = {row.group: (row.registered, row.voted) for row in rows}
    assert by_name == {poll.groups[0].name: (3, 3), poll.groups[1].name: (3, 1)}


def test_audit_entries_never_name_a_voter(db):
    poll = make_poll(db, voters=4)
    poll.votes([["甲"]] * 3)
    closed(poll)
    results.announce(db, poll.actor, poll.round, ELECTION_DAY)
    person_ids = {str(entry.person_id) for entry in poll.entries}
    entry_ids = {str(entry.id) for entry in poll.entries}
    for entry in db.scalars(select(AuditEntry).where(AuditEntry.action.startswith("election."))):
        summary = json.loads(entry.summary)
        assert not {"person_id", "roll_entry_id", "credential_id"} & set(summary)
        if entry.object_type == "roll_entry":
            assert entry.object_id not in entry_ids | person_ids
