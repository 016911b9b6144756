"""The village compact (章程/公约): drafts, frozen versions, deliberation rounds, comments,
group votes, answers, adoption, filing with the township, publication and delivery.

Versions are immutable (a trigger refuses UPDATE and DELETE); a correction is a new
version. Comments and votes name their member: deliberation is open, not secret, and
the answer to a comment must reach the member who made it.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, str_enum, utcnow


class VoteChoice(enum.StrEnum):
    APPROVE = "approve"
    APPROVE_WITH_CHANGES = "approve_with_changes"
    REJECT = "reject"


class AnswerOutcome(enum.StrEnum):
    ACCEPTED = "accepted"
    PARTLY = "partly"
    NOT_ACCEPTED = "not_accepted"


class FilingDecision(enum.StrEnum):
    ACKNOWLEDGED = "acknowledged"  # 备案
    CORRECTION_ORDERED = "correction_ordered"  # 责令改正


class DeliveryMethod(enum.StrEnum):
    QR = "qr"  # the household's own slip
    LEADER = "leader"  # recorded by the group leader


class Compact(Base):
    __tablename__ = "compact"

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Draft(Base):
    """The organizers' working text (mutable) until it is saved as a version."""

    __tablename__ = "compact_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    compact_id: Mapped[int] = mapped_column(ForeignKey("compact.id"), unique=True)
    source: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Version(Base):
    """A frozen, numbered text. Never changed: the database refuses UPDATE and DELETE."""

    __tablename__ = "compact_version"
    __table_args__ = (UniqueConstraint("compact_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    compact_id: Mapped[int] = mapped_column(ForeignKey("compact.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)  # as written (plain, Markdown-like)
    structure_json: Mapped[str] = mapped_column(Text)  # chapters/articles/clauses, numbered
    sha256: Mapped[str] = mapped_column(String(64))
    change_note: Mapped[str] = mapped_column(Text, default="")
    # The filing order (责令改正) this version answers, if any: the id of a compact_filing
    # row. No foreign key, since filings point at versions and SQLite cannot add a
    # constraint to close the cycle; the service checks it.
    answers_filing_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DeliberationRound(Base):
    """One version sent to chosen groups with a deadline."""

    __tablename__ = "deliberation_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    compact_id: Mapped[int] = mapped_column(ForeignKey("compact.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("compact_version.id"), index=True)
    deadline: Mapped[date] = mapped_column(Date)
    # Members act through their QR slips of this assembly (slips.models.Assembly).
    assembly_id: Mapped[int | None] = mapped_column(ForeignKey("assembly.id"), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Why it closed although a group had neither a summary nor any votes.
    close_note: Mapped[str] = mapped_column(Text, default="")


class RoundGroup(Base):
    """A group taking part in a round, and its leader's summary opinion."""

    __tablename__ = "deliberation_group"
    __table_args__ = (UniqueConstraint("round_id", "group_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("deliberation_round.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("village_group.id"))
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    summary_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


# A comment or vote is made in one of the round's groups: the database refuses any other.
def _in_a_round_group() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["round_id", "group_id"], ["deliberation_group.round_id", "deliberation_group.group_id"]
    )


class Comment(Base):
    """A member's comment on one article (or on the whole text when article is empty), made
    in one of the round's groups the member belongs to."""

    __tablename__ = "compact_comment"
    __table_args__ = (_in_a_round_group(),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("deliberation_round.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("village_group.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    article: Mapped[str] = mapped_column(String(20), default="")  # article key, e.g. "5"
    text: Mapped[str] = mapped_column(Text)
    # Set when the group leader entered it from paper on the member's behalf.
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MemberVote(Base):
    """A member's vote on the whole version: once per round in each of the round's groups
    the member belongs to, as each group deliberates as a unit (database-enforced)."""

    __tablename__ = "compact_vote"
    __table_args__ = (UniqueConstraint("round_id", "group_id", "person_id"), _in_a_round_group())

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("deliberation_round.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("village_group.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    choice: Mapped[VoteChoice] = mapped_column(str_enum(VoteChoice, "compact_vote_choice"))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Answer(Base):
    """The organizers' answer to a comment, given with the next version."""

    __tablename__ = "compact_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("compact_comment.id"), unique=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("compact_version.id"), nullable=True)
    outcome: Mapped[AnswerOutcome] = mapped_column(str_enum(AnswerOutcome, "answer_outcome"))
    reason: Mapped[str] = mapped_column(Text)
    answered_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Adoption(Base):
    """The assembly's decision on a version (from the meeting's motion)."""

    __tablename__ = "compact_adoption"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("compact_version.id"), index=True)
    motion_id: Mapped[int | None] = mapped_column(ForeignKey("motion.id"), nullable=True)
    adopted: Mapped[bool] = mapped_column(Boolean)
    figures_json: Mapped[str] = mapped_column(Text)  # the motion's result, frozen
    adopted_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))


class Filing(Base):
    """备案 with the township: acknowledged, or returned with an order to correct."""

    __tablename__ = "compact_filing"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("compact_version.id"), index=True)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decision: Mapped[FilingDecision | None] = mapped_column(
        str_enum(FilingDecision, "filing_decision"), nullable=True
    )
    order_text: Mapped[str] = mapped_column(Text, default="")
    articles_json: Mapped[str] = mapped_column(Text, default="[]")  # articles to correct
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OrderAnswer(Base):
    """A version saved without saying so, marked afterwards as the one that answers a
    correction order (责令改正): versions are frozen, so the mark is a record of its own.
    One answer per order (database-enforced); Version.answers_filing_id is the mark made
    when the version is saved."""

    __tablename__ = "compact_order_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    filing_id: Mapped[int] = mapped_column(ForeignKey("compact_filing.id"), unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("compact_version.id"), index=True)
    marked_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Publication(Base):
    __tablename__ = "compact_publication"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("compact_version.id"), unique=True)
    published_on: Mapped[date] = mapped_column(Date)
    published_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))


class DeliveryReceipt(Base):
    """A household received the published compact (by its QR, or per its group leader)."""

    __tablename__ = "compact_delivery"
    __table_args__ = (UniqueConstraint("version_id", "household_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("compact_version.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    method: Mapped[DeliveryMethod] = mapped_column(str_enum(DeliveryMethod, "delivery_method"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
