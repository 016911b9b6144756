"""Creating elections, building the roll, and every stage transition (services, real DB)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.permissions import Role
from app.registry.models import GroupKind, Residence
from app.sealed_box import services as sealed_box
from ballots import setup
from ballots.exceptions import InvalidElectionInput, RollFrozen, StageBlocked
from ballots.models import Electorate, Office, RollEntry, RoundStatus, Stage
from ballots.results import set_tellers
from tests import factories
from tests.ballots.setup_support import (
    CANDIDATES_ON,
    CLOSE_ON,
    ELECTION_DAY,
    PUBLISH_ON,
    audit_actions,
    election,
    nominate,
    person,
    place,
    to_stage,
)
from tests.sealed_box_support import make_ready


def _roll_people(db, found):
    return set(
        db.scalars(
            select(RollEntry.person_id).where(
                RollEntry.election_id == found.id, RollEntry.struck.is_(False)
            )
        )
    )


# --- creating an election ---------------------------------------------------------------


def test_create_election_stores_profile_overrides_and_audits(db):
    where = place(db, voters=0)
    found = election(db, where, overrides={"roll_publication_days": 15})
    assert found.stage is Stage.DRAFT
    assert json.loads(found.profile_overrides) == {"roll_publication_days": 15}
    assert setup.profile_for(found).roll_publication_days == 15
    assert found.created_by_id == where.organizer.id
    assert audit_actions(db, "election", found.id) == ["election.create"]


def test_create_election_refuses_with_a_message_per_field(db):
    where = place(db, voters=0)
    foreign = factories.GroupFactory()
    with pytest.raises(InvalidElectionInput) as caught:
        election(
            db,
            where,
            office=Office.OTHER,
            electorate=Electorate.GROUP,
            group_id=foreign.id,
            seats=0,
            profile_name="no-such-rules",
        )
    assert caught.value.errors == {
        "profile_name": "请从列表里选择选举规则。",
        "group_id": "所选的小组不属于本村，请从列表里重新选择。",
        "office_label": "请写明职务名称，例如：计生协会副会长。",
        "seats": "应选人数至少是 1。",
    }
    with pytest.raises(InvalidElectionInput) as caught:
        election(db, where, office=Office.GROUP_LEADER, profile_name="group-meeting")
    assert caught.value.errors == {"group_id": "小组长选举和小组选民，都要选择是哪个小组。"}
    with pytest.raises(InvalidElectionInput) as caught:
        election(db, where, overrides={"no_such_parameter": 1})
    assert caught.value.errors == {"profile_name": "规则参数有误，请检查后重新填写。"}


# --- the roll ----------------------------------------------------------------------------


def test_roll_has_every_active_adult_on_election_day_with_their_category(db):
    where = place(db, voters=2)
    turning_18 = person(where.village, birth_year=2008, birth_month=9)  # 18 in Sept 2026
    too_young = person(where.village, birth_year=2008, birth_month=10)
    away = person(where.village, residence=Residence.REGISTERED_AWAY)
    gone = person(where.village, active=False)
    elsewhere = factories.PersonFactory()  # another village
    found = election(db, where)
    assert setup.build_roll(db, where.actor, found) == 4
    on_roll = _roll_people(db, found)
    assert on_roll == {where.people[0].id, where.people[1].id, turning_18.id, away.id}
    assert too_young.id not in on_roll and gone.id not in on_roll
    assert elsewhere.id not in on_roll
    category = db.scalar(select(RollEntry.category).where(RollEntry.person_id == away.id))
    assert category is Residence.REGISTERED_AWAY
    assert audit_actions(db, "election", found.id)[-1] == "election.roll_build"


def test_group_and_association_electorates(db):
    where = place(db, voters=2)
    in_other = person(where.village, where.other_group)
    member = person(where.village, is_association_member=True)
    group_election = election(
        db,
        where,
        office=Office.GROUP_LEADER,
        electorate=Electorate.GROUP,
        group_id=where.other_group.id,
        profile_name="group-meeting",
    )
    setup.build_roll(db, where.actor, group_election)
    assert _roll_people(db, group_election) == {in_other.id}
    association = election(db, where, electorate=Electorate.ASSOCIATION)
    setup.build_roll(db, where.actor, association)
    assert _roll_people(db, association) == {member.id}


def test_rebuilding_replaces_the_draft_roll_and_is_refused_once_published(db):
    where = place(db, voters=2)
    found = election(db, where)
    setup.build_roll(db, where.actor, found)
    newcomer = person(where.village, where.group)
    assert setup.build_roll(db, where.actor, found) == 3
    assert newcomer.id in _roll_people(db, found)
    setup.advance(db, where.actor, found, Stage.ROLL_PUBLISHED, PUBLISH_ON)
    with pytest.raises(RollFrozen) as caught:
        setup.build_roll(db, where.actor, found)
    assert "不能重新生成" in caught.value.render_message()


def test_changing_the_election_day_of_a_draft_rebuilds_its_roll(db):
    where = place(db, voters=1)
    young = person(where.village, birth_year=2008, birth_month=12)
    found = election(db, where)
    setup.build_roll(db, where.actor, found)
    assert young.id not in _roll_people(db, found)
    setup.update_election(
        db,
        where.actor,
        found,
        title=found.title,
        seats=1,
        election_day=ELECTION_DAY + timedelta(days=90),
        profile_name="village-election",
        overrides={},
    )
    assert young.id in _roll_people(db, found)
    assert "election.update" in audit_actions(db, "election", found.id)


# --- stage transitions, each allowed and refused -------------------------------------------


def _refused(db, where, found, target, day):
    with pytest.raises(StageBlocked) as caught:
        setup.advance(db, where.actor, found, target, day)
    return caught.value.messages


def _box_refusal(db, where, found, day):
    """Opening voting refused for the round's sealed box: the part saying how many are ready."""
    with pytest.raises(StageBlocked) as caught:
        setup.advance(db, where.actor, found, Stage.VOTING_OPEN, day)
    assert caught.value.reasons == ["box_not_ready"]
    (message,) = caught.value.messages
    assert "至少要有 3 位票箱保管人设好开箱密码" in message
    return re.search(r"现在设好了 \d+ 位", message).group(0)


def test_roll_publication_needs_a_roll_and_twenty_days_before_election_day(db):
    where = place(db, voters=2)
    found = election(db, where)
    assert _refused(db, where, found, Stage.ROLL_PUBLISHED, PUBLISH_ON) == [
        "选民名单是空的，不能公示。请先生成选民名单，并检查村民的出生年月和所属小组。"
    ]
    setup.build_roll(db, where.actor, found)
    late = ELECTION_DAY - timedelta(days=19)
    assert _refused(db, where, found, Stage.ROLL_PUBLISHED, late) == [
        "选民名单须在选举日（2026-09-30）前至少 20 天公示，最晚 2026-09-10，"
        "现在已经来不及了。请把选举日改晚一些后再公示。"
    ]
    assert found.stage is Stage.DRAFT and found.roll_published_on is None
    setup.advance(db, where.actor, found, Stage.ROLL_PUBLISHED, ELECTION_DAY - timedelta(days=20))
    assert found.stage is Stage.ROLL_PUBLISHED
    assert found.roll_published_on == ELECTION_DAY - timedelta(days=20)
    assert audit_actions(db, "election", found.id)[-1] == "election.stage"


def test_a_profile_override_changes_the_publication_period(db):
    where = place(db, voters=2)
    found = election(db, where, overrides={"roll_publication_days": 10})
    setup.build_roll(db, where.actor, found)
    setup.advance(db, where.actor, found, Stage.ROLL_PUBLISHED, ELECTION_DAY - timedelta(days=10))
    assert found.stage is Stage.ROLL_PUBLISHED


def test_skipping_a_stage_is_refused_with_the_next_step(db):
    where = place(db, voters=2)
    found = election(db, where)
    assert _refused(db, where, found, Stage.VOTING_OPEN, ELECTION_DAY) == [
        "选举现在处于“准备”阶段，不能进入“投票”。下一步是：公示选民名单。"
    ]


def test_objections_close_after_five_days_and_only_when_all_are_decided(db):
    where = place(db, voters=2)
    found = election(db, where)
    to_stage(db, where, found, Stage.ROLL_PUBLISHED)
    assert _refused(db, where, found, Stage.OBJECTIONS_CLOSED, CLOSE_ON - timedelta(days=1)) == [
        "异议期还没有结束：异议可以提到 2026-09-09，2026-09-10 起才能结束异议期。"
    ]
    objection = setup.file_objection(
        db, where.actor, found, person_id=None, filed_by="王五", text="名单漏了人", today=PUBLISH_ON
    )
    assert _refused(db, where, found, Stage.OBJECTIONS_CLOSED, CLOSE_ON) == [
        "还有 1 件异议没有答复。请逐件作出决定并写明理由，再结束异议期。"
    ]
    setup.decide_objection(
        db, where.actor, objection, upheld=False, reason="经核实无误", today=CLOSE_ON
    )
    setup.advance(db, where.actor, found, Stage.OBJECTIONS_CLOSED, CLOSE_ON)
    setup.advance(db, where.actor, found, Stage.NOMINATIONS, CLOSE_ON)
    assert found.stage is Stage.NOMINATIONS


def test_candidates_are_published_only_through_the_nomination_count(db):
    where = place(db, voters=4)
    found = election(db, where)
    to_stage(db, where, found, Stage.NOMINATIONS)
    assert _refused(db, where, found, Stage.CANDIDATES_PUBLISHED, CANDIDATES_ON) == [
        "请在“候选人”页面按提名票数确定候选人，公布候选人名单。"
    ]


def test_voting_opens_round_one_on_election_day_after_both_publication_periods(db):
    where = place(db, voters=4)
    found = election(db, where)
    to_stage(db, where, found, Stage.NOMINATIONS)
    nominate(db, where, found, {0: 2, 1: 1})
    late_list = ELECTION_DAY - timedelta(days=4)
    setup.publish_candidates(db, where.actor, found, late_list, 2)
    assert found.stage is Stage.CANDIDATES_PUBLISHED
    assert _refused(db, where, found, Stage.VOTING_OPEN, ELECTION_DAY - timedelta(days=1)) == [
        "候选人名单 2026-09-26 公布，须满 5 天，2026-10-01 起才能开始投票。",
        "还没到选举日（2026-09-30），不能开始投票。",
        "还不能开始投票：至少要有 3 位票箱保管人设好开箱密码（开箱时需要其中 2 位，多一位是防止有人忘记密码），现在设好了 0 位。请通知保管人登录后设开箱密码。",
    ]
    round_ = setup.pending_round(db, found)
    assert round_ is not None and round_.status is RoundStatus.PENDING
    # Voting opens only once k+1 = 3 of the round's tellers have set a box password.
    opening_day = ELECTION_DAY + timedelta(days=1)
    assert _box_refusal(db, where, found, opening_day) == "现在设好了 0 位"
    tellers = [factories.staff(Role.TELLER, where.village) for _ in range(3)]
    set_tellers(db, where.actor, round_, [t.id for t in tellers])
    box = sealed_box.find_box(db, sealed_box.ELECTION_ROUND, round_.id)
    assert box is not None
    make_ready(db, box.id, tellers[:2])
    assert _box_refusal(db, where, found, opening_day) == "现在设好了 2 位"
    assert found.stage is Stage.CANDIDATES_PUBLISHED and round_.status is RoundStatus.PENDING
    make_ready(db, box.id, tellers)
    setup.advance(db, where.actor, found, Stage.VOTING_OPEN, ELECTION_DAY + timedelta(days=1))
    assert found.stage is Stage.VOTING_OPEN
    assert round_.status is RoundStatus.OPEN and round_.number == 1 and round_.seats == 1
    assert sealed_box.box_status(db, sealed_box.ELECTION_ROUND, round_.id).sealed
    assert [c.name for c in setup.round_candidates(db, round_)] == ["选民0", "选民1"]


def test_voting_needs_more_live_candidates_than_seats(db):
    where = place(db, voters=4)
    found = election(db, where)
    to_stage(db, where, found, Stage.NOMINATIONS)
    nominate(db, where, found, {0: 2, 1: 1})
    listed = setup.publish_candidates(db, where.actor, found, CANDIDATES_ON, 2)
    setup.withdraw_candidate(db, where.actor, listed[1], "本人书面申请退出")
    assert _refused(db, where, found, Stage.VOTING_OPEN, ELECTION_DAY) == [
        "候选人必须多于应选人数（差额选举）：应选 1 人，现在只有 1 名候选人。",
        "还不能开始投票：至少要有 3 位票箱保管人设好开箱密码（开箱时需要其中 2 位，多一位是防止有人忘记密码），现在设好了 0 位。请通知保管人登录后设开箱密码。",
    ]


def test_roll_frozen_once_voting_opens(db):
    where = place(db, voters=4)
    found = election(db, where)
    to_stage(db, where, found, Stage.VOTING_OPEN)
    with pytest.raises(RollFrozen) as caught:
        setup.build_roll(db, where.actor, found)
    assert caught.value.render_message() == "投票已经开始，选民名单已冻结，不能再修改。"


def test_later_stages_go_one_step_at_a_time(db):
    where = place(db, voters=4)
    found = election(db, where)
    to_stage(db, where, found, Stage.VOTING_OPEN)
    assert _refused(db, where, found, Stage.ANNOUNCED, ELECTION_DAY) == [
        "选举现在处于“投票”阶段，不能进入“当场公布结果”。下一步是：结束投票，开始计票。"
    ]
    for target in (Stage.COUNTING, Stage.ANNOUNCED, Stage.CERTIFIED):
        setup.advance(db, where.actor, found, target, ELECTION_DAY)
    assert found.stage is Stage.CERTIFIED
    assert _refused(db, where, found, Stage.COUNTING, ELECTION_DAY) == [
        "选举现在处于“结果确认”阶段，不能进入“计票”。下一步是：没有了，选举已经结束。"
    ]


def test_group_kind_women_cannot_elect_a_leader(db):
    where = place(db, voters=0)
    women = factories.GroupFactory(village_id=where.village.id, kind=GroupKind.WOMEN)
    with pytest.raises(InvalidElectionInput) as caught:
        election(
            db,
            where,
            office=Office.GROUP_LEADER,
            electorate=Electorate.GROUP,
            group_id=women.id,
            profile_name="group-meeting",
        )
    assert caught.value.errors == {"group_id": "育龄妇女小组只用于讨论，不选小组长，请换一个小组。"}
