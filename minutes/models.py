"""Minutes, their signatures, addenda and public postings.

Signed minutes are locked: `Minutes.locked_json` holds the canonical text both
signatories signed, its SHA-256 goes into the audit log, and the database refuses any
change to a locked row. Corrections are `Addendum` rows, themselves signed.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, str_enum, utcnow


class SignerRole(enum.StrEnum):
    HOST = "host"
    RECORDER = "recorder"


class Minutes(Base):
    __tablename__ = "minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), unique=True)
    # Filled in by the platform (attendance, quorum, votes) plus the recorder's notes;
    # kept as canonical JSON so the signed text is exactly reproducible.
    draft_json: Mapped[str] = mapped_column(Text, default="{}")
    locked_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    locked_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ItemNote(Base):
    """The recorder's discussion notes for one agenda item (before locking)."""

    __tablename__ = "minutes_item_note"
    __table_args__ = (UniqueConstraint("minutes_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_item.id"))
    text: Mapped[str] = mapped_column(Text, default="")


class Signature(Base):
    """A signatory's confirmation (password re-entered) of the exact text by its hash."""

    __tablename__ = "minutes_signature"
    __table_args__ = (UniqueConstraint("minutes_id", "addendum_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    addendum_id: Mapped[int | None] = mapped_column(
        ForeignKey("minutes_addendum.id"), nullable=True
    )
    role: Mapped[SignerRole] = mapped_column(str_enum(SignerRole, "signer_role", length=16))
    signer_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    signed_sha256: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Addendum(Base):
    """A correction to locked minutes: points at the original, which stays readable."""

    __tablename__ = "minutes_addendum"
    __table_args__ = (UniqueConstraint("minutes_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Posting(Base):
    """The public edition on the village notice board (村务公开), at least 15 days (Art 35)."""

    __tablename__ = "minutes_posting"

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    posted_on: Mapped[date] = mapped_column(Date)
    until: Mapped[date] = mapped_column(Date)
    public_json: Mapped[str] = mapped_column(Text)
    posted_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
