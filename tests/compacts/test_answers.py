"""Every comment gets an answer before the version goes to the assembly."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from compacts.adoption import answers
from compacts.exceptions import AlreadyAnswered, AnswerRefused, NotReadyForAdoption
from compacts.models import Answer, AnswerOutcome
from tests.compacts.adoption_support import book, comment, round_on, version


def test_unanswered_comments_of_earlier_rounds_block_adoption(db: Session) -> None:
    b = book(db)
    v1 = version(db, b, 1)
    r1 = round_on(db, b, v1)
    first = comment(db, b, r1, b.people[0], "第二条写得太笼统")
    second = comment(db, b, r1, b.people[1], "同意")
    v2 = version(db, b, 2)

    assert answers.unanswered_count(db, v2) == 2
    with pytest.raises(NotReadyForAdoption) as refused:
        answers.require_ready(db, v2)
    assert "还有 2 条意见没有答复" in refused.value.render_message()

    answers.answer(db, b.actor, first, AnswerOutcome.ACCEPTED, "已改写第二条", v2)
    assert not answers.ready_for_adoption(db, v2)
    answers.answer(db, b.actor, second, AnswerOutcome.NOT_ACCEPTED, "无需修改", v2)
    assert answers.ready_for_adoption(db, v2)


def test_comments_of_a_later_round_do_not_block_an_earlier_version(db: Session) -> None:
    b = book(db)
    v1 = version(db, b, 1)
    v2 = version(db, b, 2)
    comment(db, b, round_on(db, b, v2), b.people[0], "第二版的意见")
    assert answers.ready_for_adoption(db, v1)
    assert not answers.ready_for_adoption(db, v2)


def test_answer_needs_a_reason_and_is_given_once(db: Session) -> None:
    b = book(db)
    v1 = version(db, b, 1)
    c = comment(db, b, round_on(db, b, v1), b.people[0], "意见")
    with pytest.raises(AnswerRefused) as refused:
        answers.answer(db, b.actor, c, AnswerOutcome.ACCEPTED, "   ")
    assert "请写明理由" in refused.value.render_message()

    answers.answer(db, b.actor, c, AnswerOutcome.PARTLY, "部分采纳")
    with pytest.raises(AlreadyAnswered):
        answers.answer(db, b.actor, c, AnswerOutcome.ACCEPTED, "全部采纳")
    rows = list(db.scalars(select(Answer).where(Answer.comment_id == c.id)))
    assert [(r.outcome, r.reason) for r in rows] == [(AnswerOutcome.PARTLY, "部分采纳")]
    audited = db.scalars(
        select(AuditEntry.action).where(
            AuditEntry.object_type == "compact_comment", AuditEntry.object_id == str(c.id)
        )
    ).all()
    assert audited == ["compact.answer"]


def test_member_sees_only_their_own_comments(db: Session) -> None:
    b = book(db)
    r = round_on(db, b, version(db, b, 1))
    mine = comment(db, b, r, b.people[0], "我的意见")
    comment(db, b, r, b.people[1], "别人的意见")
    answers.answer(db, b.actor, mine, AnswerOutcome.PARTLY, "部分采纳，见第三条")
    rows = answers.answers_for_person(db, b.people[0])
    assert [(row.comment.text, row.answer and row.answer.reason) for row in rows] == [
        ("我的意见", "部分采纳，见第三条")
    ]
