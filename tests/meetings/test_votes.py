"""Motions in the meeting: QR votes (secret, one each, attendees only), show of hands
(two tellers must agree), and the decision at close: quorum, then more than half of
THOSE PRESENT (abstentions and silence count against)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.actors import Actor
from app.audit.models import AuditEntry
from app.errors import DomainError, Forbidden
from meetings import votes
from meetings.exceptions import InvalidMeetingInput, MotionAlreadyVoted, VoteRefused
from meetings.models import Choice, ItemKind, MeetingStatus, MotionVote, MotionVoteUse, VoteMethod
from tests.meetings.votes_support import arrive, close_with_box, hall, leave, motion

ACTOR = Actor(label="测试")


def _vote(db, m, people, choice):
    for person in people:
        votes.cast_qr_vote(db, m, person, choice)


def _count(db, model, m):
    return db.scalar(select(func.count()).select_from(model).where(model.motion_id == m.id))


def _close(db, m):
    close_with_box(db, ACTOR, m)
    return json.loads(m.result_json)


def test_exactly_half_of_those_present_fails_and_one_more_passes(db):
    h = hall(db, 10)
    arrive(db, h.meeting, *h.people[:8])
    half, more = motion(db, h.item), motion(db, h.item)
    _vote(db, half, h.people[:4], Choice.YES)
    _vote(db, half, h.people[4:8], Choice.NO)
    assert _close(db, half)["passed"] is False
    more.opened_at = half.opened_at
    _vote(db, more, h.people[:5], Choice.YES)
    result = _close(db, more)
    assert result["quorum"] is True and result["passed"] is True
    assert (result["yes"], result["present"], result["members"]) == (5, 8, 10)
    assert (more.present_at_close, more.members_at_close) == (8, 10)


def test_abstentions_and_silence_count_against(db):
    h = hall(db, 10)
    arrive(db, h.meeting, *h.people[:9])
    m = motion(db, h.item)
    _vote(db, m, h.people[:4], Choice.YES)
    _vote(db, m, h.people[4:6], Choice.NO)
    _vote(db, m, h.people[6:8], Choice.ABSTAIN)  # one present person does not vote
    result = _close(db, m)
    # More yes than no, but 4 is not more than half of the 9 present.
    assert result["passed"] is False and result["quorum"] is True
    assert (result["abstain"], result["not_voting"]) == (2, 1)


def test_quorum_lost_as_people_leave_before_the_close_means_not_passed(db):
    h = hall(db, 10)
    arrive(db, h.meeting, *h.people[:6])
    m = motion(db, h.item)
    _vote(db, m, h.people[:6], Choice.YES)
    leave(db, h.meeting, *h.people[:2])  # 4 of 10 left: not more than half
    result = _close(db, m)
    assert result["quorum"] is False and result["passed"] is False
    assert m.present_at_close == 4
    assert "未达到法定人数" in result["reason"]


def test_a_checked_out_person_cannot_vote_by_qr_and_nothing_is_stored(db):
    h = hall(db, 4)
    arrive(db, h.meeting, *h.people[:2])
    leave(db, h.meeting, h.people[1])
    m = motion(db, h.item)
    for person in (h.people[1], h.people[2]):  # left early; never came
        with pytest.raises(Forbidden, match="已经签到、还在会场"):
            votes.cast_qr_vote(db, m, person, Choice.YES)
    assert _count(db, MotionVoteUse, m) == 0 and _count(db, MotionVote, m) == 0


def test_a_replayed_vote_stores_nothing(db):
    h = hall(db, 3)
    arrive(db, h.meeting, *h.people)
    m = motion(db, h.item)
    votes.cast_qr_vote(db, m, h.people[0], Choice.YES)
    with pytest.raises(MotionAlreadyVoted, match="只能投一次"):
        votes.cast_qr_vote(db, m, h.people[0], Choice.NO)
    # The vote is sealed in the meeting's box: nothing readable until the close opens it.
    assert _count(db, MotionVoteUse, m) == 1 and _count(db, MotionVote, m) == 0
    assert votes.box_status(db, h.meeting).sealed_choices == 1
    result = _close(db, m)
    assert _count(db, MotionVote, m) == 1 and votes.qr_tally(db, m)[Choice.YES] == 1
    assert result["yes"] == 1 and result["no"] == 0


def test_qr_votes_need_an_open_motion_and_write_no_audit_entry(db):
    h = hall(db, 3)
    arrive(db, h.meeting, *h.people)
    m = motion(db, h.item, opened=False)
    with pytest.raises(VoteRefused, match="还没有开始"):
        votes.cast_qr_vote(db, m, h.people[0], Choice.YES)
    votes.open_motion(db, ACTOR, m)
    before = db.scalar(select(func.count()).select_from(AuditEntry))
    votes.cast_qr_vote(db, m, h.people[0], Choice.YES)
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == before
    _close(db, m)
    with pytest.raises(VoteRefused, match="已经结束"):
        votes.cast_qr_vote(db, m, h.people[1], Choice.YES)


def test_show_of_hands_needs_two_tellers_who_agree(db):
    h = hall(db, 10)
    arrive(db, h.meeting, *h.people[:8])
    m = motion(db, h.item, VoteMethod.HANDS)
    first, second = h.tellers[:2]
    votes.record_hand_count(db, ACTOR, m, first.id, 5, 2, 1)
    with pytest.raises(VoteRefused, match="两位计票员"):
        votes.close_motion(db, ACTOR, m)
    votes.record_hand_count(db, ACTOR, m, second.id, 5, 3, 0)
    state = votes.hands_state(db, m)
    assert not state.agreed and state.differing == {"no", "abstain"}
    with pytest.raises(VoteRefused, match="不一致"):
        votes.close_motion(db, ACTOR, m)
    votes.record_hand_count(db, ACTOR, m, second.id, 5, 2, 1)  # recounted: replaces
    result = _close(db, m)
    assert (result["yes"], result["no"], result["abstain"], result["passed"]) == (5, 2, 1, True)
    assert result["method"] == "hands"
    closing = db.scalar(select(AuditEntry).where(AuditEntry.action == "motion.close"))
    assert closing is not None and json.loads(closing.summary)["passed"] is True


def test_a_hand_count_larger_than_the_hall_is_refused(db):
    h = hall(db, 10)
    arrive(db, h.meeting, *h.people[:3])
    m = motion(db, h.item, VoteMethod.HANDS)
    with pytest.raises(InvalidMeetingInput) as refused:
        votes.record_hand_count(db, ACTOR, m, h.tellers[0].id, 2, 1, 1)
    assert "加起来有 4 人，比现在在场的 3 人还多" in refused.value.errors["hands"]


def test_motions_open_only_in_an_open_meeting_one_at_a_time(db):
    h = hall(db, 3, status=MeetingStatus.NOTIFIED)
    first, second = motion(db, h.item, opened=False), motion(db, h.item, opened=False)
    with pytest.raises(VoteRefused, match="宣布开会"):
        votes.open_motion(db, ACTOR, first)
    h.meeting.status = MeetingStatus.OPEN
    votes.open_motion(db, ACTOR, first)
    with pytest.raises(VoteRefused, match="另一项表决还在进行"):
        votes.open_motion(db, ACTOR, second)
    assert db.scalar(select(AuditEntry.action).where(AuditEntry.object_id == str(first.id)))


def test_a_compact_adoption_motion_names_the_compact_version(db):
    h = hall(db, 3, kind=ItemKind.COMPACT_ADOPTION)
    with pytest.raises(VoteRefused, match="写明要通过的村规民约版本"):
        votes.create_motion(db, ACTOR, h.item, "通过村规民约", VoteMethod.HANDS)
    h.item.compact_version_ref = "2026版"
    with pytest.raises(VoteRefused) as refused:
        votes.create_motion(db, ACTOR, h.item, "通过村规民约", VoteMethod.HANDS)
    assert "版本“2026版”" in refused.value.render_message()
    made = votes.create_motion(db, ACTOR, h.item, "通过村规民约（2026版）", VoteMethod.HANDS)
    assert made.id and made.method is VoteMethod.HANDS


def test_a_discussion_item_takes_no_motion(db):
    h = hall(db, 3, kind=ItemKind.DISCUSSION)
    with pytest.raises(DomainError, match="不是表决事项"):
        votes.create_motion(db, ACTOR, h.item, "同意", VoteMethod.QR)


def test_the_slip_lists_open_qr_motions_only_for_people_in_the_hall(db):
    h = hall(db, 3)
    arrive(db, h.meeting, h.people[0])
    qr = motion(db, h.item)
    motion(db, h.item, VoteMethod.HANDS)  # open too, but voted by hands: not listed
    assert votes.slip_motions(db, h.assembly.id, h.people[0]) == [(qr, False)]
    assert votes.slip_motions(db, h.assembly.id, h.people[1]) == []
    votes.cast_qr_vote(db, qr, h.people[0], Choice.YES)
    assert votes.slip_motions(db, h.assembly.id, h.people[0]) == [(qr, True)]
