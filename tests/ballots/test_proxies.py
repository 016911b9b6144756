"""委托投票: the rules of Art 18 at their boundaries, revoking, and the public list."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from ballots.exceptions import EntrustmentRefused
from ballots.models import Candidate, Channel, Entrustment, RoundStatus, Stage
from ballots.paper import proxies
from ballots.setup.credentials import credential_for
from ballots.voting.casting import use_credential
from tests.ballots.paper_support import ELECTION_DAY, audit_count, make_scene

WRITTEN = date(2026, 12, 1)


def entrust(scene, voter, proxy, relation="邻居"):  # type: ignore[no-untyped-def]
    return proxies.add_entrustment(
        scene.db, scene.actor, scene.election, voter, proxy, WRITTEN, relation
    )


def refusal(scene, voter, proxy, **kwargs) -> EntrustmentRefused:  # type: ignore[no-untyped-def]
    with pytest.raises(EntrustmentRefused) as refused:
        entrust(scene, voter, proxy, **kwargs)
    return refused.value


def live(db) -> list[Entrustment]:  # type: ignore[no-untyped-def]
    return list(db.scalars(select(Entrustment).where(Entrustment.revoked_at.is_(None))))


def test_a_proxy_accepts_three_and_the_fourth_is_refused_naming_the_limit(db):
    scene = make_scene(db, voters=6)
    proxy, *voters = scene.entries[:5]
    for voter in voters[:3]:
        entrust(scene, voter, proxy)
    assert len(live(db)) == 3

    error = refusal(scene, voters[3], proxy)
    assert error.field == "proxy"
    message = error.render_message()
    assert "已经接受了 3 人的委托" in message
    assert "每人最多接受 3 人的委托" in message
    assert scene.person(proxy).name in message
    assert len(live(db)) == 3


def test_the_limit_is_a_profile_parameter(db):
    scene = make_scene(db, overrides='{"max_entrustments_per_proxy": 1}')
    proxy, first, second = scene.entries[:3]
    entrust(scene, first, proxy)
    assert "每人最多接受 1 人的委托" in refusal(scene, second, proxy).render_message()


def test_a_revoked_entrustment_frees_a_place(db):
    scene = make_scene(db, voters=6, status=RoundStatus.PENDING)
    proxy, *voters = scene.entries[:5]
    made = [entrust(scene, voter, proxy) for voter in voters[:3]]
    proxies.revoke_entrustment(db, scene.actor, made[0], "本人回村了")
    entrust(scene, voters[3], proxy)
    assert len(live(db)) == 3


def test_a_candidate_is_refused_as_proxy(db):
    scene = make_scene(db)
    candidate = scene.candidates[0]  # 甲
    error = refusal(scene, scene.entries[0], candidate)
    assert error.field == "proxy"
    assert "甲 是本次选举的候选人，候选人不能接受委托" in error.render_message()
    assert live(db) == []


def test_a_withdrawn_candidate_may_be_a_proxy(db):
    scene = make_scene(db)
    withdrawn = db.scalar(select(Candidate).where(Candidate.name == "乙"))
    withdrawn.withdrawn = True
    db.flush()
    entrust(scene, scene.entries[0], scene.candidates[1])
    assert len(live(db)) == 1


def test_a_candidate_may_entrust_their_own_vote(db):
    scene = make_scene(db)
    entrust(scene, scene.candidates[0], scene.entries[0])
    assert len(live(db)) == 1


def test_nobody_entrusts_themselves(db):
    scene = make_scene(db)
    voter = scene.entries[0]
    error = refusal(scene, voter, voter)
    assert "不能委托自己" in error.render_message()


def test_a_voter_entrusts_once_until_revoked(db):
    scene = make_scene(db, status=RoundStatus.PENDING)
    voter, first, second = scene.entries[:3]
    made = entrust(scene, voter, first)
    error = refusal(scene, voter, second)
    assert error.field == "voter"
    assert "已经委托过别人了" in error.render_message()
    proxies.revoke_entrustment(db, scene.actor, made, "改托他人")
    entrust(scene, voter, second)
    assert [(e.voter_entry_id, e.proxy_entry_id) for e in live(db)] == [(voter.id, second.id)]


def test_no_chains_of_entrustment(db):
    scene = make_scene(db)
    a, b, c = scene.entries[:3]
    entrust(scene, a, b)
    # a is away: a cannot act for c; b acts for a: b cannot go away in turn.
    assert "自己已经委托别人投票" in refusal(scene, c, a).render_message()
    assert "正在替别人投票" in refusal(scene, b, c).render_message()


def test_the_proxy_must_be_on_this_roll(db):
    scene = make_scene(db)
    other = make_scene(db)
    struck = scene.entries[1]
    struck.struck = True
    db.flush()
    assert refusal(scene, scene.entries[0], struck).field == "proxy"
    assert (
        "不在本次选举的选民名单上"
        in refusal(scene, scene.entries[0], other.entries[0]).render_message()
    )


def test_the_written_date_and_relation_are_required_and_checked(db):
    scene = make_scene(db)
    voter, proxy = scene.entries[:2]
    assert refusal(scene, voter, proxy, relation=" ").field == "relation"
    with pytest.raises(EntrustmentRefused) as refused:
        proxies.add_entrustment(
            db, scene.actor, scene.election, voter, proxy, date(2026, 12, 21), "儿子"
        )
    assert "不能晚于选举日" in refused.value.render_message()
    made = proxies.add_entrustment(
        db, scene.actor, scene.election, voter, proxy, ELECTION_DAY, "儿子"
    )
    assert (made.written_on, made.relation) == (ELECTION_DAY, "儿子")
    assert audit_count(db, "entrustment.add") == 1


def test_no_entrustment_once_voting_is_over_or_for_someone_who_voted(db):
    scene = make_scene(db)
    voter, proxy, voted = scene.entries[:3]
    use_credential(
        db, scene.round, credential_for(db, scene.election, voted), Channel.ONLINE, ELECTION_DAY
    )
    assert "已经投过票了" in refusal(scene, voted, proxy).render_message()
    scene.election.stage = Stage.COUNTING
    db.flush()
    assert "投票已经结束" in refusal(scene, voter, proxy).render_message()


def test_no_entrustment_before_the_roll_is_published(db):
    scene = make_scene(db)
    scene.election.stage = Stage.DRAFT
    db.flush()
    assert "选民名单公示以后" in refusal(scene, *scene.entries[:2]).render_message()
    scene.election.stage = Stage.ROLL_PUBLISHED
    db.flush()
    entrust(scene, *scene.entries[:2])
    assert len(live(db)) == 1


def test_revoking_needs_a_reason_and_is_refused_once_voting_opens(db):
    scene = make_scene(db, status=RoundStatus.PENDING)
    voter, proxy = scene.entries[:2]
    made = entrust(scene, voter, proxy)
    with pytest.raises(EntrustmentRefused) as refused:
        proxies.revoke_entrustment(db, scene.actor, made, "")
    assert refused.value.field == "reason"
    assert proxies.can_revoke(db, scene.election)
    scene.set_status(RoundStatus.OPEN)
    assert not proxies.can_revoke(db, scene.election)
    with pytest.raises(EntrustmentRefused) as refused:
        proxies.revoke_entrustment(db, scene.actor, made, "本人回来了")
    assert "投票已经开始" in refused.value.render_message()
    assert made.revoked_at is None
    use_credential(
        db, scene.round, credential_for(db, scene.election, voter), Channel.PROXY, ELECTION_DAY
    )
    # Announced, or a further round waiting to open: still after the first opened.
    scene.set_status(RoundStatus.ANNOUNCED)
    with pytest.raises(EntrustmentRefused):
        proxies.revoke_entrustment(db, scene.actor, made, "本人回来了")
    rows = proxies.entrustment_rows(db, scene.election)
    assert [(r.voter.name, r.proxy.name, r.voted) for r in rows] == [
        (scene.person(voter).name, scene.person(proxy).name, True)
    ]
    assert audit_count(db, "entrustment.revoke") == 0


def test_entrusted_to_lists_the_live_entrustments_of_a_proxy(db):
    scene = make_scene(db, status=RoundStatus.PENDING)
    proxy, a, b = scene.entries[:3]
    first = entrust(scene, a, proxy)
    second = entrust(scene, b, proxy)
    proxies.revoke_entrustment(db, scene.actor, first, "本人回村了")
    assert [e.id for e in proxies.entrusted_to(db, proxy)] == [second.id]
    assert audit_count(db, "entrustment.revoke") == 1
