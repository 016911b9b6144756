"""Objections to the published roll (Art 17): filed in time, decided with reasons,
the roll corrected, the decisions kept for the public page (services, real DB)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from ballots import setup
from ballots.exceptions import (
    ElectionError,
    InvalidElectionInput,
    ObjectionRefused,
    RollFrozen,
)
from ballots.models import RollEntry, Stage
from tests.ballots.setup_support import (
    CLOSE_ON,
    PUBLISH_ON,
    audit_actions,
    election,
    person,
    place,
    to_stage,
)


@pytest.fixture
def published(db):
    where = place(db, voters=3)
    found = election(db, where)
    to_stage(db, where, found, Stage.ROLL_PUBLISHED)
    return where, found


def _file(db, where, found, person_id=None, today=PUBLISH_ON, text="有错"):
    return setup.file_objection(
        db, where.actor, found, person_id=person_id, filed_by="王五", text=text, today=today
    )


def _entry(db, found, person_id):
    return db.scalar(
        select(RollEntry).where(RollEntry.election_id == found.id, RollEntry.person_id == person_id)
    )


def test_objection_filed_within_five_days_and_refused_after(db, published):
    where, found = published
    last_day = PUBLISH_ON + timedelta(days=4)
    objection = _file(db, where, found, today=last_day)
    assert objection.filed_on == last_day and objection.upheld is None
    assert audit_actions(db, "roll_objection", objection.id) == ["election.objection_file"]
    with pytest.raises(ObjectionRefused) as caught:
        _file(db, where, found, today=last_day + timedelta(days=1))
    assert caught.value.render_message() == "提出异议的期限是 2026-09-09，已经过了，不能再登记。"


def test_objection_refused_before_publication_and_after_closing(db):
    where = place(db, voters=2)
    found = election(db, where)
    with pytest.raises(ObjectionRefused) as caught:
        _file(db, where, found)
    assert caught.value.render_message() == "选民名单还没有公示，公示后才能登记异议。"
    to_stage(db, where, found, Stage.OBJECTIONS_CLOSED)
    with pytest.raises(ObjectionRefused) as caught:
        _file(db, where, found, today=CLOSE_ON)
    assert caught.value.render_message() == "异议期已经结束，不能再登记异议。"


def test_objection_needs_who_and_what(db, published):
    where, found = published
    with pytest.raises(InvalidElectionInput) as caught:
        setup.file_objection(
            db, where.actor, found, person_id=None, filed_by=" ", text="", today=PUBLISH_ON
        )
    assert caught.value.errors == {
        "filed_by": "请填写提出异议的人。",
        "text": "请写明异议的内容，例如：谁漏登了、谁不应登记、为什么。",
    }


def test_one_open_objection_per_person(db, published):
    where, found = published
    target = where.people[0]
    _file(db, where, found, person_id=target.id)
    with pytest.raises(InvalidElectionInput) as caught:
        _file(db, where, found, person_id=target.id)
    assert caught.value.errors == {
        "person_id": f"关于{target.name}已经有一件异议还没答复，请先答复那一件。"
    }


def test_upheld_objection_about_someone_on_the_roll_strikes_them(db, published):
    where, found = published
    target = where.people[1]
    objection = _file(db, where, found, person_id=target.id, text="已迁出本村")
    assert setup.objection_asks_removal(db, found, objection)
    change = setup.decide_objection(
        db, where.actor, objection, upheld=True, reason="经核实已迁出", today=PUBLISH_ON
    )
    assert change == "struck"
    entry = _entry(db, found, target.id)
    assert entry.struck and entry.note == "经核实已迁出"
    assert objection.upheld is True and objection.decided_on == PUBLISH_ON
    assert setup.decided_objections(db, found) == [(objection, target.name)]
    assert audit_actions(db, "roll_objection", objection.id)[-1] == "election.objection_decide"


def test_upheld_objection_about_someone_missing_adds_them(db, published):
    where, found = published
    missing = person(where.village, where.group, active=False)  # left off the roll
    objection = _file(db, where, found, person_id=missing.id, text="漏登")
    assert not setup.objection_asks_removal(db, found, objection)
    assert (
        setup.decide_objection(
            db, where.actor, objection, upheld=True, reason="常住本村", today=PUBLISH_ON
        )
        == "added"
    )
    assert not _entry(db, found, missing.id).struck


def test_rejected_objection_changes_nothing_but_is_published(db, published):
    where, found = published
    target = where.people[0]
    objection = _file(db, where, found, person_id=target.id)
    assert (
        setup.decide_objection(
            db, where.actor, objection, upheld=False, reason="户籍在本村并居住", today=PUBLISH_ON
        )
        == "none"
    )
    assert not _entry(db, found, target.id).struck
    assert objection.upheld is False
    assert setup.decided_objections(db, found)[0][0].decision_reason == "户籍在本村并居住"


def test_decision_needs_a_reason_and_happens_once(db, published):
    where, found = published
    objection = _file(db, where, found)
    with pytest.raises(InvalidElectionInput) as caught:
        setup.decide_objection(
            db, where.actor, objection, upheld=True, reason=" ", today=PUBLISH_ON
        )
    assert caught.value.errors == {"reason": "请写明答复的理由。"}
    assert objection.decided_on is None
    setup.decide_objection(
        db, where.actor, objection, upheld=False, reason="不成立", today=PUBLISH_ON
    )
    with pytest.raises(ObjectionRefused) as caught:
        setup.decide_objection(
            db, where.actor, objection, upheld=True, reason="改", today=PUBLISH_ON
        )
    assert caught.value.render_message() == "这件异议已经答复过了，不能再改。"


def test_a_minor_cannot_be_added_by_objection(db, published):
    where, found = published
    minor = person(where.village, birth_year=2010, birth_month=1, name="小明")
    objection = _file(db, where, found, person_id=minor.id)
    with pytest.raises(ElectionError) as caught:
        setup.decide_objection(
            db, where.actor, objection, upheld=True, reason="漏登", today=PUBLISH_ON
        )
    assert caught.value.render_message() == (
        "小明 到选举日（2026-09-30）不满 18 周岁，不能列入选民名单。"
        "如果出生年月登记错了，请先在村民登记里改正。"
    )
    assert _entry(db, found, minor.id) is None


def test_no_roll_change_once_voting_is_open(db):
    where = place(db, voters=4)
    found = election(db, where)
    to_stage(db, where, found, Stage.ROLL_PUBLISHED)
    objection = _file(db, where, found, person_id=where.people[0].id)
    # Force the (impossible through advance) case of an undecided objection at voting.
    found.stage = Stage.VOTING_OPEN
    with pytest.raises(RollFrozen) as caught:
        setup.decide_objection(
            db, where.actor, objection, upheld=True, reason="x", today=PUBLISH_ON
        )
    assert caught.value.render_message() == "投票已经开始，选民名单已冻结，不能再修改。"
    assert not _entry(db, found, where.people[0].id).struck
