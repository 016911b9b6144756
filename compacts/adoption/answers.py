"""Answers to deliberation comments: every comment gets one (accepted, partly accepted or
not accepted, with a reason) before a version may go to the assembly.

Which comments must be answered before version N is put to the vote: every comment of
every round of the compact held on a version numbered N or lower. That includes a round
on version N itself: if the text did not change after it, the answer says why (usually
"not accepted" or "partly", with the reason). Comments are never dropped silently.

An accepted (or partly accepted) answer no longer stands once the township ordered the
article it changed corrected (责令改正) and a later version answered that order: the
public text of that later version shows only the answers that still stand, and says how
many were struck out and why (`standing_answers`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.actors import Actor
from app.audit.services import record
from app.errors import NotFound
from app.i18n import lazy
from app.registry.models import Person
from compacts.exceptions import AlreadyAnswered, AnswerRefused, NotReadyForAdoption
from compacts.models import (
    Answer,
    AnswerOutcome,
    Comment,
    Compact,
    DeliberationRound,
    Filing,
    FilingDecision,
    Version,
)
from compacts.versions.diff import compare
from compacts.versions.services import answered_orders, structure_of

MAX_REASON = 2000


@dataclass(frozen=True)
class AnsweredComment:
    comment: Comment
    answer: Answer | None
    person: Person
    round: DeliberationRound
    version: Version  # the version the comment was made on


def compact_of(session: Session, version: Version) -> Compact:
    compact = session.get(Compact, version.compact_id)
    if compact is None:  # the foreign key makes this impossible
        raise NotFound(lazy("找不到这份村规民约。"))
    return compact


def _with_answers() -> Select[Comment, Answer, Person, DeliberationRound, Version]:
    return (
        select(Comment, Answer, Person, DeliberationRound, Version)
        .join(DeliberationRound, DeliberationRound.id == Comment.round_id)
        .join(Version, Version.id == DeliberationRound.version_id)
        .join(Person, Person.id == Comment.person_id)
        .outerjoin(Answer, Answer.comment_id == Comment.id)
    )


def _answered(row: Any) -> AnsweredComment:
    comment, answer_, person, round_, version = row
    return AnsweredComment(comment, answer_, person, round_, version)


def comments_to_answer(session: Session, version: Version) -> list[AnsweredComment]:
    """Every comment that must be answered before `version` goes to the assembly."""
    stmt = _with_answers().where(
        DeliberationRound.compact_id == version.compact_id, Version.number <= version.number
    )
    rows = session.execute(stmt.order_by(Version.number, DeliberationRound.id, Comment.id))
    return [_answered(row) for row in rows]


def unanswered_count(session: Session, version: Version) -> int:
    stmt = (
        select(func.count())
        .select_from(Comment)
        .join(DeliberationRound, DeliberationRound.id == Comment.round_id)
        .join(Version, Version.id == DeliberationRound.version_id)
        .outerjoin(Answer, Answer.comment_id == Comment.id)
        .where(
            DeliberationRound.compact_id == version.compact_id,
            Version.number <= version.number,
            Answer.id.is_(None),
        )
    )
    return int(session.scalar(stmt) or 0)


def ready_for_adoption(session: Session, version: Version) -> bool:
    return unanswered_count(session, version) == 0


def require_ready(session: Session, version: Version) -> None:
    missing = unanswered_count(session, version)
    if missing:
        raise NotReadyForAdoption(
            lazy(
                "还有 %(n)s 条意见没有答复。每条意见都要先答复（采纳、部分采纳或不采纳，并写明理由），才能提交大会表决。"
            ),
            n=missing,
        )


def answer(
    session: Session,
    actor: Actor,
    comment: Comment,
    outcome: AnswerOutcome,
    reason: str,
    version: Version | None = None,
) -> Answer:
    """Answer a comment, once: an answer is a record (the database refuses changes)."""
    reason = reason.strip()
    if not reason:
        raise AnswerRefused(lazy("请写明理由，让提意见的村民知道为什么。"))
    round_ = session.get(DeliberationRound, comment.round_id)
    assert round_ is not None  # foreign key
    if version is not None and version.compact_id != round_.compact_id:
        raise AnswerRefused(lazy("答复所在的版本不是这份村规民约的，请重新选择。"))
    if session.scalar(select(Answer.id).where(Answer.comment_id == comment.id)) is not None:
        raise AlreadyAnswered(lazy("这条意见已经答复过了。答复是存档记录，不能再改。"))
    row = Answer(
        comment_id=comment.id,
        version_id=version.id if version is not None else None,
        outcome=outcome,
        reason=reason,
        answered_by_id=actor_id(actor),
    )
    session.add(row)
    session.flush()
    compact = session.get(Compact, round_.compact_id)
    assert compact is not None
    record(
        session,
        actor,
        "compact.answer",
        "compact_comment",
        comment.id,
        {"outcome": outcome.value, "reason": reason, "version_id": row.version_id},
        village_id=compact.village_id,
    )
    return row


def actor_id(actor: Actor) -> int:
    if actor.user_id is None:
        raise AnswerRefused(lazy("请先登录。"))
    return actor.user_id


def must_answer(session: Session, version: Version, comment: Comment) -> bool:
    """Whether `version` must answer this comment before it goes to the assembly."""
    stmt = (
        select(func.count())
        .select_from(DeliberationRound)
        .join(Version, Version.id == DeliberationRound.version_id)
        .where(
            DeliberationRound.id == comment.round_id,
            DeliberationRound.compact_id == version.compact_id,
            Version.number <= version.number,
        )
    )
    return bool(session.scalar(stmt))


def answers_for_person(session: Session, person: Person) -> list[AnsweredComment]:
    """A member's own comments with their answers (their slip link shows them)."""
    stmt = _with_answers().where(Comment.person_id == person.id).order_by(Comment.id.desc())
    return [_answered(row) for row in session.execute(stmt)]


# --- answers struck out by the township's correction order -------------------------------


@dataclass(frozen=True)
class StruckOrder:
    """A correction order and the accepted answers it struck out."""

    filing: Filing
    filed: Version  # the version the order was made on
    rows: list[AnsweredComment] = field(default_factory=list)


def _article_in(
    key: str, made_on: Version, filed: Version, cache: dict[int, dict[str, str]]
) -> str | None:
    """The key in `filed` of article `key` of `made_on` (None when it was removed)."""
    if made_on.id == filed.id:
        return key
    if made_on.id not in cache:
        mapping: dict[str, str] = {}
        for change in compare(structure_of(made_on), structure_of(filed)):
            for old in change.old:
                if change.new:
                    mapping[old.key] = change.new[0].key
        cache[made_on.id] = mapping
    return cache[made_on.id].get(key)


def standing_answers(
    session: Session, version: Version
) -> tuple[list[AnsweredComment], list[StruckOrder]]:
    """The comments `version` answers, without the accepted answers a correction order
    struck out (an order on an earlier version that `version` or one before it answers,
    naming the article the answer changed), and those orders with what they struck."""
    rows = comments_to_answer(session, version)
    answered = answered_orders(version.compact_id, up_to_number=version.number)
    stmt = (
        select(Filing, Version)
        .join(Version, Version.id == Filing.version_id)
        .where(
            Filing.decision == FilingDecision.CORRECTION_ORDERED,
            Filing.id.in_(answered),
            Version.number < version.number,
        )
        .order_by(Version.number, Filing.id)
    )
    orders = [StruckOrder(filing, filed) for filing, filed in session.execute(stmt)]
    versions = {
        v.id: v
        for v in session.scalars(select(Version).where(Version.compact_id == version.compact_id))
    }
    cache: dict[int, dict[str, str]] = {}
    struck: set[int] = set()
    for order in orders:
        named = set(json.loads(order.filing.articles_json or "[]"))
        for row in rows:
            answer_ = row.answer
            if answer_ is None or answer_.outcome is AnswerOutcome.NOT_ACCEPTED:
                continue
            if row.comment.id in struck or not row.comment.article:
                continue
            given_with = versions.get(answer_.version_id or row.version.id, row.version)
            if given_with.number > order.filed.number:
                continue  # answered after the order: the corrected text
            key = _article_in(row.comment.article, row.version, order.filed, cache)
            if key in named:
                order.rows.append(row)
                struck.add(row.comment.id)
    standing = [row for row in rows if row.comment.id not in struck]
    return standing, [order for order in orders if order.rows]
