"""Nominations and candidates (Art 18): tallied, chosen by count, more than the seats,
ties at the cut decided by the organizer, withdrawals replaced (services, real DB)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ballots import setup
from ballots.exceptions import (
    AlreadyNominated,
    CandidatesRefused,
    NominationRefused,
    StageBlocked,
    TieAtCut,
)
from ballots.models import Candidate, Nomination, RollEntry, Round, Stage
from tests.ballots.setup_support import (
    CANDIDATES_ON,
    audit_actions,
    election,
    nominate,
    person,
    place,
    to_stage,
)


@pytest.fixture
def nominating(db):
    where = place(db, voters=6)
    found = election(db, where)
    to_stage(db, where, found, Stage.NOMINATIONS)
    return where, found


def _entry(db, found, index_person):
    return db.scalar(
        select(RollEntry).where(
            RollEntry.election_id == found.id, RollEntry.person_id == index_person.id
        )
    )


def _names(candidates):
    return [c.name for c in candidates]


def test_nominations_are_tallied_most_first(db, nominating):
    where, found = nominating
    nominate(db, where, found, {2: 1, 0: 3, 1: 2})
    setup.add_nomination(db, where.actor, found, nominee_person_id=where.people[2].id,
                         nominator_key="party")  # fmt: skip
    tally = setup.tally_nominations(db, found)
    assert [(name, count) for _key, name, count in tally] == [
        ("选民0", 3), ("选民1", 2), ("选民2", 2)
    ]  # fmt: skip
    first = db.scalar(select(Nomination).order_by(Nomination.id))
    assert audit_actions(db, "nomination", first.id) == ["election.nomination_add"]


def test_nomination_rules(db, nominating):
    where, found = nominating
    setup.add_nomination(db, where.actor, found, nominee_person_id=where.people[0].id,
                         nominator_key="paper:7")  # fmt: skip
    with pytest.raises(AlreadyNominated) as caught:
        setup.add_nomination(db, where.actor, found, nominee_person_id=where.people[0].id,
                             nominator_key="paper:7")  # fmt: skip
    assert caught.value.render_message() == "这位提名人已经提名过选民0，同一人只算一次。"
    outsider = person(where.village, birth_year=2012)  # not on the roll
    with pytest.raises(NominationRefused) as caught:
        setup.add_nomination(db, where.actor, found, nominee_person_id=outsider.id,
                             nominator_key="party")  # fmt: skip
    assert caught.value.render_message() == "被提名的人必须在这次选举的选民名单上。"
    written = setup.add_nomination(db, where.actor, found, nominee_name=" 张三 ",
                                   nominator_key="party")  # fmt: skip
    assert (written.nominee_key, written.nominee_name) == ("name:张三", "张三")


def test_nominations_only_in_the_nomination_stage(db):
    where = place(db, voters=2)
    found = election(db, where)
    to_stage(db, where, found, Stage.OBJECTIONS_CLOSED)
    with pytest.raises(NominationRefused) as caught:
        nominate(db, where, found, {0: 1})
    assert caught.value.render_message() == "现在不是提名阶段（现在是“异议期结束”），不能提名。"


def test_a_villager_nominates_up_to_seats_once(db):
    where = place(db, voters=6)
    found = election(db, where, seats=2)
    to_stage(db, where, found, Stage.NOMINATIONS)
    voter = _entry(db, found, where.people[5])
    ids = [p.id for p in where.people[:3]]
    with pytest.raises(NominationRefused) as caught:
        setup.nominate_as_villager(db, found, voter, ids)
    assert caught.value.render_message() == "这次选举应选 2 人，最多只能提名 2 人。"
    made = setup.nominate_as_villager(db, found, voter, ids[:2])
    assert [n.nominator_key for n in made] == [f"roll:{voter.id}"] * 2
    assert made[0].entered_by_id is None
    assert setup.villager_nominations(db, found, voter) == ["选民0", "选民1"]
    with pytest.raises(AlreadyNominated) as caught:
        setup.nominate_as_villager(db, found, voter, ids[2:])
    assert caught.value.render_message() == "您已经提名过了，每位选民只能提名一次。"
    assert db.scalar(select(func.count()).select_from(Nomination)) == 2


def test_publishing_picks_the_most_nominated_as_round_one(db, nominating):
    where, found = nominating
    nominate(db, where, found, {0: 1, 1: 4, 2: 2, 3: 0})
    listed = setup.publish_candidates(db, where.actor, found, CANDIDATES_ON, 3)
    assert _names(listed) == ["选民1", "选民2", "选民0"]
    assert [c.position for c in listed] == [1, 2, 3]
    assert [c.nominations for c in listed] == [4, 2, 1]
    assert [c.person_id for c in listed] == [where.people[i].id for i in (1, 2, 0)]
    round_ = db.get(Round, listed[0].round_id)
    assert (round_.number, round_.seats) == (1, 1)
    assert found.stage is Stage.CANDIDATES_PUBLISHED
    assert found.candidates_published_on == CANDIDATES_ON
    assert "election.candidates_publish" in audit_actions(db, "election", found.id)


def test_publishing_refuses_without_a_margin(db, nominating):
    where, found = nominating
    nominate(db, where, found, {0: 2, 1: 1})
    with pytest.raises(CandidatesRefused) as caught:
        setup.publish_candidates(db, where.actor, found, CANDIDATES_ON, 1)
    assert caught.value.render_message() == (
        "候选人必须多于应选人数（差额选举）：应选 1 人，候选人至少要 2 人。"
    )
    with pytest.raises(CandidatesRefused) as caught:
        setup.publish_candidates(db, where.actor, found, CANDIDATES_ON, 3)
    assert caught.value.render_message() == "只有 2 人被提名，候选人人数不能超过被提名的人数。"
    assert found.stage is Stage.NOMINATIONS
    assert db.scalar(select(func.count()).select_from(Candidate)) == 0


def test_a_tie_at_the_cut_waits_for_the_organizer(db, nominating):
    where, found = nominating
    nominate(db, where, found, {0: 3, 1: 2, 2: 2})
    with pytest.raises(TieAtCut) as caught:
        setup.publish_candidates(db, where.actor, found, CANDIDATES_ON, 2)
    keys = caught.value.tied_keys
    assert sorted(keys) == sorted(f"person:{where.people[i].id}" for i in (1, 2))
    assert caught.value.places == 1
    assert "的提名数相同（2 票）" in caught.value.render_message()
    assert found.stage is Stage.NOMINATIONS
    chosen = f"person:{where.people[2].id}"
    listed = setup.publish_candidates(
        db, where.actor, found, CANDIDATES_ON, 2, picked_at_cut=[chosen]
    )
    assert _names(listed) == ["选民0", "选民2"]


def test_publishing_only_while_nominating(db):
    where = place(db, voters=4)
    found = election(db, where)
    to_stage(db, where, found, Stage.CANDIDATES_PUBLISHED)
    with pytest.raises(StageBlocked) as caught:
        setup.publish_candidates(db, where.actor, found, CANDIDATES_ON, 2)
    assert caught.value.messages == ["只有在提名阶段才能确定候选人。"]


def test_a_withdrawn_candidate_is_replaced_by_the_next_nominee(db, nominating):
    where, found = nominating
    nominate(db, where, found, {0: 4, 1: 3, 2: 2, 3: 1})
    listed = setup.publish_candidates(db, where.actor, found, CANDIDATES_ON, 2)
    added = setup.withdraw_candidate(db, where.actor, listed[0], "本人书面申请退出")
    assert added is not None and added.name == "选民2" and added.position == 3
    assert listed[0].withdrawn and listed[0].withdrawn_reason == "本人书面申请退出"
    round_ = db.get(Round, listed[0].round_id)
    assert _names(setup.round_candidates(db, round_)) == ["选民1", "选民2"]
    assert audit_actions(db, "candidate", listed[0].id) == ["election.candidate_withdraw"]
    with pytest.raises(CandidatesRefused) as caught:
        setup.withdraw_candidate(db, where.actor, listed[0], "再退")
    assert caught.value.render_message() == "选民0 已经退出了。"


def test_a_tie_for_the_replacement_is_decided_by_the_organizer(db, nominating):
    where, found = nominating
    nominate(db, where, found, {0: 4, 1: 3, 2: 1, 3: 1})
    listed = setup.publish_candidates(db, where.actor, found, CANDIDATES_ON, 2)
    with pytest.raises(TieAtCut) as caught:
        setup.withdraw_candidate(db, where.actor, listed[1], "生病")
    assert "接替的人选有并列" in caught.value.render_message()
    assert not listed[1].withdrawn
    key = f"person:{where.people[3].id}"
    added = setup.withdraw_candidate(db, where.actor, listed[1], "生病", replacement_key=key)
    assert added is not None and added.person_id == where.people[3].id


def test_withdrawal_needs_a_reason_and_is_refused_once_voting_opened(db):
    where = place(db, voters=4)
    found = election(db, where)
    to_stage(db, where, found, Stage.VOTING_OPEN)
    round_ = setup.latest_round(db, found)
    first = setup.round_candidates(db, round_)[0]
    with pytest.raises(CandidatesRefused) as caught:
        setup.withdraw_candidate(db, where.actor, first, "")
    assert caught.value.render_message() == "请写明退出的原因，例如：本人书面申请退出。"
    with pytest.raises(CandidatesRefused) as caught:
        setup.withdraw_candidate(db, where.actor, first, "不想选了")
    assert caught.value.render_message() == (
        "投票已经开始（或候选人还没有公布），候选人名单不能再变动。"
    )
    assert not first.withdrawn


def test_namesakes_get_distinct_ballot_names(db):
    where = place(db, voters=2)
    twin = person(where.village, where.other_group, name="选民0")
    found = election(db, where)
    to_stage(db, where, found, Stage.NOMINATIONS)
    nominate(db, where, found, {0: 2})
    setup.add_nomination(db, where.actor, found, nominee_person_id=twin.id, nominator_key="party")
    listed = setup.publish_candidates(db, where.actor, found, CANDIDATES_ON, 2)
    assert sorted(_names(listed)) == ["选民0（第一组）", "选民0（第二组）"]


def test_a_proxy_cannot_be_published_as_a_candidate(db, nominating):
    from datetime import date

    from ballots.models import Entrustment

    where, found = nominating
    nominate(db, where, found, {0: 1, 1: 4, 2: 2})
    proxy = _entry(db, found, where.people[1])
    voter = _entry(db, found, where.people[5])
    entrustment = Entrustment(
        election_id=found.id,
        voter_entry_id=voter.id,
        proxy_entry_id=proxy.id,
        written_on=date(2026, 1, 1),
        relation="邻居",
    )
    db.add(entrustment)
    db.flush()
    with pytest.raises(CandidatesRefused, match="选民1 接受了别人的委托投票"):
        setup.publish_candidates(db, where.actor, found, CANDIDATES_ON, 3)
    assert db.scalar(select(func.count()).select_from(Candidate)) == 0
    # Once the entrustment is revoked, the list can be published.
    from app.db import utcnow

    entrustment.revoked_at = utcnow()
    db.flush()
    assert _names(setup.publish_candidates(db, where.actor, found, CANDIDATES_ON, 3))[0] == "选民1"
