"""Deliberation rounds, service level: who may speak, once-only votes, paper entries by the
leader, the coverage matrix and the rule for closing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.actors import actor_for
from app.audit.models import AuditEntry
from app.errors import Conflict, DomainError, Forbidden
from app.registry.rules import today_in_china
from compacts.models import Comment, MemberVote, RoundGroup, VoteChoice
from compacts.rounds import lookup
from compacts.rounds import services as rounds
from compacts.rounds.coverage import coverage
from tests import factories
from tests.compacts.rounds_support import open_round, setting


@pytest.fixture
def s(db, settings):
    return setting(db, settings)


def _actions(db) -> list[str]:
    return list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_opening_a_round_names_its_groups_and_is_audited(db, s):
    round_ = open_round(db, s)
    assert [g.name for g in lookup.groups_of(db, round_)] == [
        "第一村民小组",
        "妇女小组",
        "老年协会联户组",
    ]
    assert "compact.round_open" in _actions(db)


def test_a_round_refuses_groups_of_another_village_and_a_past_deadline(db, s):
    stranger = factories.GroupFactory(village_id=factories.VillageFactory().id)
    actor = actor_for(s.organizer)
    with pytest.raises(DomainError, match="只能选择本村的小组"):
        rounds.open_round(db, actor, s.compact, s.version, [stranger.id], today_in_china(), None)
    with pytest.raises(DomainError, match="截止日期已经过去了"):
        rounds.open_round(
            db,
            actor,
            s.compact,
            s.version,
            [s.villagers.id],
            today_in_china() - timedelta(days=1),
            None,
        )
    assert db.scalars(select(RoundGroup)).all() == []


def test_a_member_of_two_groups_speaks_in_each(db, s):
    """Each group deliberates as a unit: a villagers'-group member who is also in the
    women's group comments and votes in both, once in each."""
    round_ = open_round(db, s)
    both = s.members[0]  # in the villagers' group and in the women's group
    assert lookup.member_groups(db, round_, both) == [s.villagers, s.women]
    assert lookup.member_groups(db, round_, s.members[3]) == [s.women]
    qr = rounds.VILLAGER_QR
    here = rounds.add_comment(
        db, qr, round_, both, "2", "邻里互助要写具体", group_id=s.villagers.id
    )
    there = rounds.add_comment(db, qr, round_, both, "2", "妇女小组也这样看", group_id=s.women.id)
    assert (here.group_id, there.group_id) == (s.villagers.id, s.women.id)
    rounds.cast_vote(db, qr, round_, both, VoteChoice.APPROVE, group_id=s.villagers.id)
    rounds.cast_vote(db, qr, round_, both, VoteChoice.REJECT, group_id=s.women.id)
    with pytest.raises(Conflict, match="已投票"):
        rounds.cast_vote(db, qr, round_, both, VoteChoice.REJECT, group_id=s.women.id)
    votes = db.scalars(select(MemberVote).where(MemberVote.person_id == both.id)).all()
    assert sorted((v.group_id, v.choice) for v in votes) == sorted(
        [(s.villagers.id, VoteChoice.APPROVE), (s.women.id, VoteChoice.REJECT)]
    )
    with pytest.raises(Forbidden, match="这个小组里"):
        rounds.cast_vote(db, qr, round_, s.members[3], VoteChoice.APPROVE, group_id=s.villagers.id)


def test_a_minor_in_a_group_does_not_speak_and_is_not_counted(db, s):
    round_ = open_round(db, s)
    minor = factories.PersonFactory(
        household=s.members[1].household, birth_year=today_in_china().year - 10, birth_month=1
    )
    factories.MembershipFactory(person_id=minor.id, group_id=s.villagers.id)
    assert lookup.member_groups(db, round_, minor) == []
    assert minor not in lookup.speakers(db, round_, s.villagers)
    with pytest.raises(Forbidden):
        rounds.cast_vote(
            db, rounds.VILLAGER_QR, round_, minor, VoteChoice.APPROVE, group_id=s.villagers.id
        )
    assert coverage(db, round_).groups[0].members == 3


def test_the_database_refuses_a_vote_in_a_group_outside_the_round(db, s):
    round_ = open_round(db, s)
    elsewhere = factories.GroupFactory(village_id=s.village.id, name="第九村民小组")
    db.add(
        MemberVote(
            round_id=round_.id,
            group_id=elsewhere.id,
            person_id=s.members[1].id,
            choice=VoteChoice.REJECT,
        )
    )
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        db.flush()


def test_an_outsider_may_not_comment(db, s):
    round_ = open_round(db, s)
    outsider = factories.PersonFactory(
        household=factories.HouseholdFactory(village_id=s.village.id)
    )
    with pytest.raises(Forbidden, match="您不在这一轮征求意见的这个小组里"):
        rounds.add_comment(
            db, rounds.VILLAGER_QR, round_, outsider, "1", "我也想说", group_id=s.villagers.id
        )
    assert db.scalars(select(Comment)).all() == []


def test_a_comment_must_name_an_article_of_the_version(db, s):
    round_ = open_round(db, s)
    with pytest.raises(DomainError, match="没有这一条"):
        rounds.add_comment(
            db, rounds.VILLAGER_QR, round_, s.members[1], "99", "意见", group_id=s.villagers.id
        )


def test_a_member_votes_once(db, s):
    round_ = open_round(db, s)
    rounds.cast_vote(
        db, rounds.VILLAGER_QR, round_, s.members[1], VoteChoice.APPROVE, group_id=s.villagers.id
    )
    with pytest.raises(Conflict, match="已投票"):
        rounds.cast_vote(
            db, rounds.VILLAGER_QR, round_, s.members[1], VoteChoice.REJECT, group_id=s.villagers.id
        )
    votes = db.scalars(select(MemberVote)).all()
    assert [(v.person_id, v.choice) for v in votes] == [(s.members[1].id, VoteChoice.APPROVE)]


def test_the_database_refuses_a_second_vote_even_past_the_check(db, s):
    round_ = open_round(db, s)
    rounds.cast_vote(
        db, rounds.VILLAGER_QR, round_, s.members[1], VoteChoice.APPROVE, group_id=s.villagers.id
    )
    db.add(
        MemberVote(
            round_id=round_.id,
            group_id=s.villagers.id,
            person_id=s.members[1].id,
            choice=VoteChoice.REJECT,
        )
    )
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        db.flush()


def test_members_cannot_speak_after_the_deadline_but_leaders_can_enter_paper(db, s):
    round_ = open_round(db, s)
    round_.deadline = today_in_china() - timedelta(days=1)
    with pytest.raises(Conflict, match="截止了"):
        rounds.cast_vote(
            db,
            rounds.VILLAGER_QR,
            round_,
            s.members[1],
            VoteChoice.APPROVE,
            group_id=s.villagers.id,
        )
    vote = rounds.cast_vote(
        db,
        actor_for(s.leader),
        round_,
        s.members[1],
        VoteChoice.REJECT,
        entered_by=s.leader,
        group_id=s.villagers.id,
    )
    assert vote.entered_by_id == s.leader.id


def test_a_leader_enters_only_for_members_of_the_named_group(db, s):
    round_ = open_round(db, s)
    with pytest.raises(DomainError, match="不是这个小组在这一轮的成员"):
        rounds.add_comment(
            db,
            actor_for(s.leader),
            round_,
            s.members[3],
            "1",
            "纸上写的",
            entered_by=s.leader,
            group_id=s.villagers.id,
        )


def test_a_leader_of_another_village_is_refused(db, s):
    from app.permissions import Role

    round_ = open_round(db, s)
    stranger = factories.staff(Role.GROUP_LEADER, factories.VillageFactory())
    with pytest.raises(Forbidden, match="这个村不在您的管辖范围内"):
        rounds.file_summary(db, stranger, actor_for(stranger), round_, s.villagers.id, "同意")


def test_coverage_counts_comments_votes_and_reach_per_group(db, s):
    round_ = open_round(db, s)
    qr = rounds.VILLAGER_QR
    villagers_id, women_id = s.villagers.id, s.women.id
    rounds.add_comment(db, qr, round_, s.members[0], "2", "第一条意见", group_id=villagers_id)
    rounds.add_comment(db, qr, round_, s.members[1], "2", "第二条意见", group_id=villagers_id)
    rounds.add_comment(db, qr, round_, s.members[3], "", "整体意见", group_id=women_id)
    rounds.cast_vote(
        db, qr, round_, s.members[1], VoteChoice.APPROVE_WITH_CHANGES, group_id=villagers_id
    )
    rounds.cast_vote(
        db,
        actor_for(s.leader),
        round_,
        s.members[2],
        VoteChoice.APPROVE,
        entered_by=s.leader,
        group_id=s.villagers.id,
    )
    cov = coverage(db, round_)
    assert cov.count("2", s.villagers.id) == 2
    assert cov.count("", s.women.id) == 1
    assert cov.count("1", s.villagers.id) == 0
    villagers, women, association = cov.groups
    assert (villagers.members, villagers.reached, villagers.share) == (3, 3, 100)
    assert villagers.votes == {VoteChoice.APPROVE_WITH_CHANGES: 1, VoteChoice.APPROVE: 1}
    assert villagers.paper == 1
    assert (women.members, women.reached, women.share) == (2, 1, 50)
    assert (association.members, association.reached, association.share) == (0, 0, 0)
    # members[0] sits in both groups: counted in each, but once for the round.
    assert (cov.people, cov.people_reached, cov.share) == (4, 4, 100)
    assert [key for key, _label in cov.articles] == ["", "1", "2", "3"]


def test_closing_refuses_while_a_group_is_silent_unless_a_reason_is_given(db, s):
    round_ = open_round(db, s)
    rounds.cast_vote(
        db, rounds.VILLAGER_QR, round_, s.members[1], VoteChoice.APPROVE, group_id=s.villagers.id
    )
    rounds.file_summary(db, s.leader, actor_for(s.leader), round_, s.women.id, "妇女小组基本同意")
    with pytest.raises(Conflict) as refused:
        rounds.close_round(db, actor_for(s.organizer), round_)
    assert refused.value.render_message().startswith("老年协会联户组 还没有汇总意见")
    assert round_.closed_at is None
    rounds.close_round(db, actor_for(s.organizer), round_, "协会组长外出务工，本轮无法组织讨论")
    assert round_.closed_at is not None
    assert round_.close_note == "协会组长外出务工，本轮无法组织讨论"
    with pytest.raises(Conflict, match="已经结束"):
        rounds.add_comment(
            db, rounds.VILLAGER_QR, round_, s.members[1], "1", "晚了", group_id=s.villagers.id
        )
    assert _actions(db)[-1] == "compact.round_close"


def test_closing_without_a_reason_when_every_group_answered(db, s):
    round_ = open_round(db, s)
    for group in (s.villagers, s.women, s.association):
        rounds.file_summary(db, s.leader, actor_for(s.leader), round_, group.id, "同意")
    rounds.close_round(db, actor_for(s.organizer), round_)
    assert round_.closed_at is not None and round_.close_note == ""


def test_a_member_who_left_after_speaking_is_counted_apart_and_the_share_stays_within_100(db, s):
    round_ = open_round(db, s)
    qr = rounds.VILLAGER_QR
    for member in s.members[:3]:
        rounds.cast_vote(db, qr, round_, member, VoteChoice.APPROVE, group_id=s.villagers.id)
    s.members[2].active = False  # left the roll after voting
    db.flush()
    (villagers, *_others) = coverage(db, round_).groups
    # Their vote still counts; the share counts only who is still a member.
    assert villagers.votes == {VoteChoice.APPROVE: 3}
    assert (villagers.members, villagers.reached, villagers.since_left) == (2, 2, 1)
    assert villagers.share == 100
