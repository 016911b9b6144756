"""A compact's history at a glance: for each version, its rounds, what the groups said,
how many comments were answered, the assembly's decision, the filing and the delivery.

Read straight from the tables of each step (a summary, not the steps' own logic), so
the compact page stays one query per version and step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from compacts.models import (
    Adoption,
    Answer,
    Comment,
    Compact,
    DeliberationRound,
    DeliveryReceipt,
    Filing,
    MemberVote,
    Publication,
    RoundGroup,
    Version,
)
from compacts.versions.services import versions_of


@dataclass
class RoundSummary:
    round: DeliberationRound
    groups: int
    comments: int
    answered: int
    votes: int


@dataclass
class VersionHistory:
    version: Version
    rounds: list[RoundSummary] = field(default_factory=list)
    adoption: Adoption | None = None
    figures: dict[str, Any] = field(default_factory=dict)
    filing: Filing | None = None
    publication: Publication | None = None
    deliveries: int = 0

    @property
    def comments(self) -> int:
        return sum(r.comments for r in self.rounds)

    @property
    def unanswered(self) -> int:
        return sum(r.comments - r.answered for r in self.rounds)


def _count(session: Session, stmt: Any) -> int:
    return int(session.scalar(stmt) or 0)


def _round_summary(session: Session, round_: DeliberationRound) -> RoundSummary:
    comments = select(Comment.id).where(Comment.round_id == round_.id)
    return RoundSummary(
        round=round_,
        groups=_count(
            session,
            select(func.count(RoundGroup.id)).where(RoundGroup.round_id == round_.id),
        ),
        comments=_count(session, select(func.count()).select_from(comments.subquery())),
        answered=_count(
            session,
            select(func.count(Answer.id)).where(Answer.comment_id.in_(comments)),
        ),
        votes=_count(
            session,
            select(func.count(MemberVote.id)).where(MemberVote.round_id == round_.id),
        ),
    )


def _latest(session: Session, model: Any, version: Version) -> Any:
    stmt = select(model).where(model.version_id == version.id).order_by(model.id.desc()).limit(1)
    return session.scalars(stmt).first()


def version_history(session: Session, version: Version) -> VersionHistory:
    rounds = session.scalars(
        select(DeliberationRound)
        .where(DeliberationRound.version_id == version.id)
        .order_by(DeliberationRound.id)
    )
    history = VersionHistory(version, [_round_summary(session, r) for r in rounds])
    history.adoption = _latest(session, Adoption, version)
    if history.adoption is not None:
        history.figures = json.loads(history.adoption.figures_json or "{}")
    history.filing = _latest(session, Filing, version)
    history.publication = _latest(session, Publication, version)
    history.deliveries = _count(
        session,
        select(func.count(DeliveryReceipt.id)).where(DeliveryReceipt.version_id == version.id),
    )
    return history


def compact_history(session: Session, compact: Compact) -> list[VersionHistory]:
    """Newest version first."""
    return [version_history(session, v) for v in reversed(versions_of(session, compact))]
