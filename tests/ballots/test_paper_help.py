"""代写: recording who wrote a voter's ballot, at the issue desk and at the mobile box.

A candidate, a candidate's household member and the voter are refused with a message
that says why, and nothing is written: a paper ballot issued with a refused helper is not
issued either. Each record is one ballot written with help, counted per round.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.registry.models import Household, Person
from app.sealed_box.models import SealedChoice
from ballots import paper
from ballots.exceptions import AlreadyVoted, HelpRefused
from ballots.models import BallotHelp, Candidate, Channel, RoundStatus
from ballots.paper import help as helping
from ballots.paper import mobile
from tests import factories
from tests.ballots.paper_support import ELECTION_DAY, Scene, audit_count, make_scene, uses


def _helps(db) -> list[BallotHelp]:  # type: ignore[no-untyped-def]
    return list(db.scalars(select(BallotHelp).order_by(BallotHelp.id)))


def _villager(scene: Scene, name: str = "", *, household: Household | None = None) -> Person:
    """A person of the village registry who is not on the election's roll."""
    household = household or factories.HouseholdFactory(village_id=scene.village.id)
    kwargs = {"name": name} if name else {}
    return factories.PersonFactory(household=household, **kwargs)


def _household_of(scene: Scene, person: Person) -> Household:
    household = scene.db.get(Household, person.household_id)
    assert household is not None
    return household


def _issue(scene: Scene, voter, helper):  # type: ignore[no-untyped-def]
    return paper.issue_paper_ballot(
        scene.db, scene.actor, scene.round, voter, helper=helper, today=ELECTION_DAY
    )


# Who may write ------------------------------------------------------------------------------


def test_an_ordinary_villager_who_is_not_a_voter_is_recorded_as_helper(db):
    scene = make_scene(db)
    voter = scene.entries[0]
    grandchild = _villager(scene, "小明")  # 17, not on the roll: may still write
    before = audit_count(db)

    _issue(scene, voter, grandchild)

    (help_,) = _helps(db)
    assert (help_.round_id, help_.roll_entry_id, help_.helper_person_id) == (
        scene.round.id,
        voter.id,
        grandchild.id,
    )
    assert (help_.channel, help_.recorded_on) == (Channel.PAPER, ELECTION_DAY)
    assert [u.channel for u in uses(db, scene.round)] == [Channel.PAPER]
    # No audit entry: its timestamp would tell when this voter voted.
    assert audit_count(db) == before
    assert paper.helped_count(db, scene.round) == 1
    assert paper.helped_by_channel(db, scene.round) == {"paper": 1, "mobile": 0}
    assert paper.helpers_of(db, scene.round, [voter.id, scene.entries[1].id]) == {voter.id: "小明"}


def test_a_candidate_is_refused_and_the_ballot_is_not_issued(db):
    scene = make_scene(db)
    voter = scene.entries[0]
    candidate = scene.person(scene.candidates[1])  # 乙

    with pytest.raises(HelpRefused) as refused:
        _issue(scene, voter, candidate)

    assert refused.value.render_message() == (
        "候选人不能为选民代写：乙 是本轮的候选人。请选民另请一位代写人。"
    )
    assert _helps(db) == [] and uses(db, scene.round) == []
    # Nothing lost: the teller chooses another helper and the ballot is issued.
    _issue(scene, voter, _villager(scene))
    assert len(_helps(db)) == len(uses(db, scene.round)) == 1


def test_a_member_of_a_candidates_household_is_refused(db):
    scene = make_scene(db)
    voter = scene.entries[0]
    candidate = scene.person(scene.candidates[0])  # 甲
    son = _villager(scene, "甲的儿子", household=_household_of(scene, candidate))

    with pytest.raises(HelpRefused) as refused:
        _issue(scene, voter, son)

    assert refused.value.render_message() == (
        "候选人的家庭成员不能代写：甲的儿子 与候选人 甲 同户。请选民另请一位代写人。"
    )
    assert _helps(db) == [] and uses(db, scene.round) == []


def test_the_voter_cannot_be_their_own_helper(db):
    scene = make_scene(db)
    voter = scene.entries[0]
    with pytest.raises(HelpRefused, match="选民不能给自己代写"):
        _issue(scene, voter, scene.person(voter))
    assert _helps(db) == [] and uses(db, scene.round) == []


def test_a_namesake_of_a_candidate_is_told_apart_by_the_registry(db):
    """A candidate with a person of the registry is that person: another 乙 may write.
    A candidate listed by name alone cannot be told apart, so every 丁 is refused."""
    scene = make_scene(db)
    db.add(Candidate(round_id=scene.round.id, person_id=None, name="丁", position=4))
    db.flush()
    other_yi, ding = _villager(scene, "乙"), _villager(scene, "丁")

    with pytest.raises(HelpRefused, match="与本轮候选人同名"):
        _issue(scene, scene.entries[0], ding)
    _issue(scene, scene.entries[0], other_yi)
    assert [h.helper_person_id for h in _helps(db)] == [other_yi.id]


def test_a_withdrawn_candidate_is_no_longer_refused(db):
    scene = make_scene(db)
    candidate = db.scalar(select(Candidate).where(Candidate.name == "丙"))
    assert candidate is not None
    candidate.withdrawn = True
    db.flush()
    _issue(scene, scene.entries[0], scene.person(scene.candidates[2]))
    assert len(_helps(db)) == 1


def test_someone_of_another_village_or_struck_off_the_register_is_refused(db):
    scene = make_scene(db)
    voter = scene.entries[0]
    elsewhere = factories.PersonFactory(name="外村人")
    moved_away = _villager(scene, "已迁走")
    moved_away.active = False
    db.flush()
    with pytest.raises(HelpRefused, match="代写人要是本村村民名册上的人"):
        _issue(scene, voter, elsewhere)
    with pytest.raises(HelpRefused, match="已迁走 已从村民名册注销"):
        _issue(scene, voter, moved_away)
    assert _helps(db) == [] and uses(db, scene.round) == []


# One record per voter and round ----------------------------------------------------------------


def test_a_second_record_for_the_same_voter_is_refused(db):
    scene = make_scene(db)
    voter = scene.entries[0]
    first, second = _villager(scene, "邻居甲"), _villager(scene, "邻居乙")
    _issue(scene, voter, first)

    with pytest.raises(AlreadyVoted):
        _issue(scene, voter, second)
    # A record beside the issue is refused by the database too: one per voter and round.
    with pytest.raises(IntegrityError), db.begin_nested():
        helping.add_help(db, scene.round, voter, second, Channel.PAPER)
    assert [h.helper_person_id for h in _helps(db)] == [first.id]
    assert len(uses(db, scene.round)) == 1


def test_one_helper_may_write_for_several_voters_and_the_count_is_shown(db):
    scene = make_scene(db)
    helper = _villager(scene, "热心人")
    for voter in scene.entries[:3]:
        _issue(scene, voter, helper)
    found = helping.find_helpers(db, scene.round, scene.entries[3], "热心")
    assert [(c.person.id, c.problem, c.helped) for c in found.choices] == [(helper.id, None, 3)]
    assert paper.helped_count(db, scene.round) == 3


def test_the_search_lists_the_registry_with_each_refusal(db):
    scene = make_scene(db)
    voter = scene.entries[0]
    candidate = scene.person(scene.candidates[0])
    _villager(scene, "甲家里人", household=_household_of(scene, candidate))
    _villager(scene, "甲乙的邻居")
    found = helping.find_helpers(db, scene.round, voter, "甲")
    problems = {c.person.name: c.problem for c in found.choices}
    assert set(problems) == {"甲", "甲家里人", "甲乙的邻居"}
    assert "是本轮的候选人" in (problems["甲"] or "")
    assert "与候选人 甲 同户" in (problems["甲家里人"] or "")
    assert problems["甲乙的邻居"] is None
    assert helping.find_helpers(db, scene.round, voter, "  ").choices == []


# At the mobile box -----------------------------------------------------------------------------


def test_at_the_mobile_box_the_help_is_recorded_with_the_ballot(db):
    scene = make_scene(db)
    voter = scene.entries[0]
    mobile.set_homebound(db, scene.actor, voter, True)
    helper = _villager(scene, "护工")
    before = audit_count(db)

    mobile.cast_at_mobile_box(db, scene.round, voter, ["乙"], helper=helper)

    (help_,) = _helps(db)
    assert (help_.channel, help_.helper_person_id) == (Channel.MOBILE, helper.id)
    assert [u.channel for u in uses(db, scene.round)] == [Channel.MOBILE]
    assert audit_count(db) == before
    assert paper.helped_by_channel(db, scene.round) == {"paper": 0, "mobile": 1}


def test_at_the_mobile_box_a_refused_helper_stores_no_ballot(db):
    scene = make_scene(db)
    voter = scene.entries[0]
    mobile.set_homebound(db, scene.actor, voter, True)
    candidate = scene.person(scene.candidates[2])
    with pytest.raises(HelpRefused, match="丙 是本轮的候选人"):
        mobile.cast_at_mobile_box(db, scene.round, voter, ["乙"], helper=candidate)
    assert _helps(db) == [] and uses(db, scene.round) == []
    assert db.scalar(select(func.count()).select_from(SealedChoice)) == 0


def test_help_is_counted_per_round(db):
    scene = make_scene(db)
    _issue(scene, scene.entries[0], _villager(scene))
    scene.set_status(RoundStatus.COUNTING)
    other = make_scene(db)
    assert paper.helped_count(db, scene.round) == 1
    assert paper.helped_count(db, other.round) == 0
    assert paper.helped_by_channel(db, other.round) == {"paper": 0, "mobile": 0}
