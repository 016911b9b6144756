"""A township's assessment settings: which standards apply and their thresholds.

A standard without a row here applies with its default threshold
(assessment.standards.DEFAULTS). Settings are configuration, not records: a change is
an UPDATE, written to the audit log with the old and new values.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow


class StandardSetting(Base):
    __tablename__ = "assessment_standard"
    __table_args__ = (
        UniqueConstraint("township_id", "code"),
        CheckConstraint(
            "threshold_percent IS NULL OR (threshold_percent >= 0 AND threshold_percent <= 100)",
            name="threshold_is_a_percentage",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))  # assessment.standards code
    applies: Mapped[bool] = mapped_column(Boolean, default=True)
    # Whole percent; NULL = reported beside the standards without pass or fail.
    threshold_percent: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
