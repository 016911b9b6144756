"""meetings: opening before the noticed day needs a reason; items added after the notice

Revision ID: e5b2c8d1f4a7
Revises: d4e7a1c90b52
Create Date: 2026-12-03 12:40:00.000000

A meeting noticed for one day and opened on an earlier one defeats the notice rule, so
opening early needs a recorded reason, like a short notice: `early_open_reason`, with the
noticed start kept in `noticed_starts_at` while `starts_at` becomes the real start. An
agenda item added after the notice was published is `outside_notice`, and the minutes
say so. Columns are added in place (no table rebuild), so the tables' triggers stay.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "e5b2c8d1f4a7"
down_revision: str | None = "d4e7a1c90b52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("meeting", sa.Column("noticed_starts_at", app.db.UTCDateTime(), nullable=True))
    op.add_column(
        "meeting",
        sa.Column("early_open_reason", sa.Text(), nullable=False, server_default=""),
    )
    op.add_column(
        "agenda_item",
        sa.Column("outside_notice", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    # DROP COLUMN in place (SQLite 3.35+ and PostgreSQL): a batch rebuild of these tables
    # would trip the drill migration's triggers that name them.
    op.execute("ALTER TABLE agenda_item DROP COLUMN outside_notice")
    op.execute("ALTER TABLE meeting DROP COLUMN early_open_reason")
    op.execute("ALTER TABLE meeting DROP COLUMN noticed_starts_at")
