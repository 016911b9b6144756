"""Staff accounts. Villagers never have accounts; they hold signed QR links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, str_enum, utcnow
from app.permissions import Role
from app.registry.models import Township, Village


class StaffUser(Base):
    __tablename__ = "staff_user"
    __table_args__ = (
        CheckConstraint(
            "(role = 'township_admin' AND village_id IS NULL)"
            " OR (role IN ('organizer', 'group_leader', 'teller', 'recorder')"
            " AND village_id IS NOT NULL)"
            " OR role = 'auditor'",
            name="role_scope",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id"), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on password change or deactivation: every older session cookie stops working
    # (the sign-in sessions are revoked too; the epoch is the second lock).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    township: Mapped[Township] = relationship()
    village: Mapped[Village | None] = relationship()


class SigninFailure(Base):
    """A failed sign-in, counted per account and per client address for throttling.

    Stored in the database so the limit holds across several app workers.
    """

    __tablename__ = "signin_failure"
    __table_args__ = (Index("ix_signin_failure_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))  # "account:<name>" or "address:<ip>"
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StaffSession(Base):
    """One sign-in of a staff member: the session cookie names it, and it opens pages only
    while it is not revoked (sign-out, password change, deactivation, sign out everywhere).

    Only the SHA-256 of the cookie's random id is stored: a copy of the table opens nothing.
    """

    __tablename__ = "staff_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
