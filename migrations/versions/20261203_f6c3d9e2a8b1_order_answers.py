"""compacts: mark a saved version as the one answering a correction order

Revision ID: f6c3d9e2a8b1
Revises: e5b2c8d1f4a7
Create Date: 2026-12-03 13:00:00.000000

A version saved with "这一版是按乡镇的改正通知修改的" left at "不是" could never answer the
order: versions are frozen, and saving the same text again is refused. The mark made
afterwards is its own record, one per order, immutable like the other compact records.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "f6c3d9e2a8b1"
down_revision: str | None = "e5b2c8d1f4a7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _triggers(create: bool) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for verb in ("UPDATE", "DELETE"):
        name = f"compact_order_answer_no_{verb.lower()}"
        if not create:
            op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if sqlite else " ON compact_order_answer"))
        elif sqlite:
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {verb} ON compact_order_answer "
                "BEGIN SELECT RAISE(ABORT, 'compact_order_answer rows are immutable'); END"
            )
        else:
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {verb} ON compact_order_answer "
                "FOR EACH ROW EXECUTE FUNCTION cunyi_refuse_change()"
            )


def upgrade() -> None:
    op.create_table(
        "compact_order_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filing_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("marked_by_id", sa.Integer(), nullable=False),
        sa.Column("marked_at", app.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["filing_id"], ["compact_filing.id"],
            name=op.f("fk_compact_order_answer_filing_id_compact_filing"),
        ),
        sa.ForeignKeyConstraint(
            ["marked_by_id"], ["staff_user.id"],
            name=op.f("fk_compact_order_answer_marked_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"], ["compact_version.id"],
            name=op.f("fk_compact_order_answer_version_id_compact_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compact_order_answer")),
        sa.UniqueConstraint("filing_id", name=op.f("uq_compact_order_answer_filing_id")),
    )
    op.create_index(
        op.f("ix_compact_order_answer_version_id"), "compact_order_answer", ["version_id"]
    )
    _triggers(create=True)


def downgrade() -> None:
    _triggers(create=False)
    op.drop_index(op.f("ix_compact_order_answer_version_id"), table_name="compact_order_answer")
    op.drop_table("compact_order_answer")
