"""Assemblies and the villagers' QR slips for them.

One QR slip per villager per assembly opens everything that villager may do there
(DESIGN decision 3): the domains (elections, meetings, compacts, surveys) point their
rows at an assembly; this package knows none of them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow


class Assembly(Base):
    """A gathering at which villagers vote (and later check in, answer surveys).

    One QR slip per villager per assembly opens everything that villager may do there
    (DESIGN decision 3).
    """

    __tablename__ = "assembly"

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200), default="")
    # Slip links stop working after this moment.
    links_expire_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A drill's assembly (演练, app.drill): it holds only drill elections and meetings,
    # and its slips and pages say 演练. Fixed when it is created (a trigger refuses changes).
    drill: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Slip(Base):
    """One villager's QR slip for one assembly. The secret is kept only as a hash."""

    __tablename__ = "slip"
    __table_args__ = (
        Index(
            "uq_slip_live",
            "assembly_id",
            "person_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    # Random; with the app's secret key it re-derives the slip's secret and short code,
    # so a lost sheet can be reprinted without ever storing either in the clear.
    nonce: Mapped[str] = mapped_column(String(32))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    short_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_reason: Mapped[str] = mapped_column(Text, default="")
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("slip.id"), nullable=True)
