"""Meetings, agenda items, attendance events and motion votes.

QR motion votes follow the ballots' secrecy rule: `MotionVoteUse` says that an attendee
voted on a motion, `MotionVote` says what was voted, and nothing links the two.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, str_enum, utcnow
from app.drill import DrillMarker, drill_constraints


class MeetingKind(enum.StrEnum):
    VILLAGERS_ASSEMBLY = "villagers_assembly"  # 村民会议
    HOUSEHOLD_ASSEMBLY = "household_assembly"  # 户代表会议
    REPRESENTATIVES_ASSEMBLY = "representatives_assembly"  # 村民代表会议
    GROUP_MEETING = "group_meeting"  # 村民小组会议
    ASSOCIATION_CONGRESS = "association_congress"  # 协会会员代表大会
    ASSOCIATION_COUNCIL = "association_council"  # 协会理事会


class MeetingStatus(enum.StrEnum):
    DRAFT = "draft"
    NOTIFIED = "notified"  # notice published
    OPEN = "open"  # in session: check-in and votes
    CLOSED = "closed"
    CANCELLED = "cancelled"


class CheckInMethod(enum.StrEnum):
    QR = "qr"  # the attendee's own slip
    SCAN = "scan"  # a teller scanned the slip
    TICK = "tick"  # a teller ticked the name


class ItemKind(enum.StrEnum):
    DISCUSSION = "discussion"
    MOTION = "motion"
    ELECTION = "election"  # carries an election round (ballots)
    COMPACT_ADOPTION = "compact_adoption"  # a motion to adopt a compact version


class VoteMethod(enum.StrEnum):
    QR = "qr"
    HANDS = "hands"  # show of hands, entered by tellers


class Choice(enum.StrEnum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"


class Meeting(DrillMarker, Base):
    """A meeting; with a drill marker (app.drill) a rehearsal that runs in minutes."""

    __tablename__ = "meeting"
    __table_args__ = drill_constraints()

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    kind: Mapped[MeetingKind] = mapped_column(str_enum(MeetingKind, "meeting_kind"))
    title: Mapped[str] = mapped_column(String(200))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("village_group.id"), nullable=True)
    convener: Mapped[str] = mapped_column(String(100))  # e.g. 村民委员会
    host_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    recorder_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    place: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    notice_text: Mapped[str] = mapped_column(Text, default="")
    notice_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    short_notice_reason: Mapped[str] = mapped_column(Text, default="")
    # Opened before the noticed day: the noticed start, and why (starts_at is the real start).
    noticed_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    early_open_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[MeetingStatus] = mapped_column(
        str_enum(MeetingStatus, "meeting_status"), default=MeetingStatus.DRAFT
    )
    profile_overrides: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON
    # The QR slips of this assembly check attendees in (and open its ballots).
    assembly_id: Mapped[int | None] = mapped_column(ForeignKey("assembly.id"), nullable=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position"
    )


class AgendaItem(Base):
    __tablename__ = "agenda_item"
    __table_args__ = (UniqueConstraint("meeting_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[ItemKind] = mapped_column(str_enum(ItemKind, "item_kind"))
    # Art 28: important matters go to the village Party organization for study first.
    party_studied: Mapped[bool] = mapped_column(Boolean, default=False)
    party_studied_on: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    party_studied_note: Mapped[str] = mapped_column(Text, default="")
    round_id: Mapped[int | None] = mapped_column(ForeignKey("election_round.id"), nullable=True)
    # Compact adoption (issue 4): the version put to the vote; no FK until that table exists.
    compact_version_ref: Mapped[str] = mapped_column(String(60), default="")
    # Added after the notice was published: the villagers were not told of it beforehand.
    outside_notice: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    meeting: Mapped[Meeting] = relationship(back_populates="items")


class AttendanceEvent(Base):
    """An arrival or a departure. Append-only: presence is derived from the events."""

    __tablename__ = "attendance_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    arrived: Mapped[bool] = mapped_column(Boolean)  # True = arrival, False = departure
    method: Mapped[CheckInMethod] = mapped_column(str_enum(CheckInMethod, "checkin_method"))
    # Checked in as their household's representative (household-count quorums).
    for_household: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)


class Motion(Base):
    """A motion put to the vote under an agenda item."""

    __tablename__ = "motion"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_item.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    method: Mapped[VoteMethod] = mapped_column(str_enum(VoteMethod, "vote_method"))
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Frozen when the vote closes: who was eligible and present at that moment.
    members_at_close: Mapped[int | None] = mapped_column(Integer, nullable=True)
    present_at_close: Mapped[int | None] = mapped_column(Integer, nullable=True)
    households_at_close: Mapped[int | None] = mapped_column(Integer, nullable=True)
    households_present_at_close: Mapped[int | None] = mapped_column(Integer, nullable=True)
    result_json: Mapped[str] = mapped_column(Text, default="")


class HandCount(Base):
    """A teller's count of a show of hands. Several tellers may count; they must agree."""

    __tablename__ = "hand_count"
    __table_args__ = (
        UniqueConstraint("motion_id", "teller_id"),
        CheckConstraint("yes >= 0 AND no >= 0 AND abstain >= 0", name="non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    motion_id: Mapped[int] = mapped_column(ForeignKey("motion.id"), index=True)
    teller_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    yes: Mapped[int] = mapped_column(Integer)
    no: Mapped[int] = mapped_column(Integer)
    abstain: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MotionVoteUse(Base):
    """That an attendee voted on a QR motion. The unique constraint refuses a second vote."""

    __tablename__ = "motion_vote_use"
    __table_args__ = (UniqueConstraint("motion_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    motion_id: Mapped[int] = mapped_column(ForeignKey("motion.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))


class MotionVote(Base):
    """What one QR vote said: no person, no time, random key."""

    __tablename__ = "motion_vote"
    __table_args__ = ({"sqlite_with_rowid": False},)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    motion_id: Mapped[int] = mapped_column(ForeignKey("motion.id"), index=True)
    choice: Mapped[Choice] = mapped_column(str_enum(Choice, "motion_choice"))
