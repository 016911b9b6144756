"""A vote's sealed box, its key holders and the sealed choices inside it.

Nothing here names a voter. `SealedChoice` rows are ciphertext under the box's public
key; they are deleted when the box is opened and the open choices are written, in a
random order, to the kind's own table (ballot, motion vote, survey answer).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow


class SealedBox(Base):
    """One vote's box: an election round, a QR motion or a survey (`poll_kind`, `poll_id`).

    `public_key` is set when voting opens (sealing starts); the matching private key is
    never stored, only its shares, each sealed to one holder's password-derived key.
    """

    __tablename__ = "sealed_box"
    __table_args__ = (
        UniqueConstraint("poll_kind", "poll_id"),
        CheckConstraint("threshold >= 1", name="threshold_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_kind: Mapped[str] = mapped_column(String(20))
    poll_id: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[int] = mapped_column(Integer)
    public_key: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    sealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # How many sealed choices the box held when it was opened.
    opened_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BoxHolder(Base):
    """A key holder of one box and, once they set their box password, their public key.

    `salt`, `opslimit` and `memlimit` rebuild the holder's private key from the password
    (argon2id); `sealed_share` is their share of the box's private key, sealed to their
    public key. Both the share and the key are erased when the box is opened.
    """

    __tablename__ = "sealed_box_holder"
    __table_args__ = (UniqueConstraint("box_id", "holder_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    box_id: Mapped[int] = mapped_column(ForeignKey("sealed_box.id"), index=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    salt: Mapped[bytes | None] = mapped_column(LargeBinary(16), nullable=True)
    opslimit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    memlimit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    public_key: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sealed_share: Mapped[bytes | None] = mapped_column(LargeBinary(), nullable=True)


class SealedChoice(Base):
    """One choice, sealed: a random key, the box, and ciphertext of a fixed-size bucket."""

    __tablename__ = "sealed_choice"
    __table_args__ = ({"sqlite_with_rowid": False},)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    box_id: Mapped[int] = mapped_column(ForeignKey("sealed_box.id"), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary())
