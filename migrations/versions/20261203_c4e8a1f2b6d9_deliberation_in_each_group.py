"""deliberation: a member speaks in each of the round's groups they belong to

Revision ID: c4e8a1f2b6d9
Revises: 57a5e17b20a7
Create Date: 2026-12-03 11:30:00.000000

A member of a villagers' group and of the women's group used to speak only for the first
of the round's groups, so the other group lost every shared member. Each group deliberates
as a unit: a vote is now once per round per group (unique round, group, person), and a
comment or vote must name one of the round's groups (a foreign key to deliberation_group).

On SQLite the constraints live in the table definition, so the tables are rebuilt (batch
mode); compact_vote's immutability triggers go with the old table and are made again.
Downgrading fails while a member has voted in two groups of one round.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c4e8a1f2b6d9"
down_revision: str | None = "57a5e17b20a7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _vote_triggers(create: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL keeps a table's triggers through ALTER TABLE
    for verb in ("UPDATE", "DELETE"):
        name = f"compact_vote_no_{verb.lower()}"
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        if create:
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {verb} ON compact_vote "
                "BEGIN SELECT RAISE(ABORT, 'compact_vote rows are immutable'); END"
            )


def upgrade() -> None:
    _vote_triggers(create=False)
    with op.batch_alter_table("compact_vote") as batch:
        batch.drop_constraint("uq_compact_vote_round_id_person_id", type_="unique")
        batch.create_unique_constraint(
            "uq_compact_vote_round_id_group_id_person_id", ["round_id", "group_id", "person_id"]
        )
        batch.create_foreign_key(
            "fk_compact_vote_round_id_deliberation_group",
            "deliberation_group",
            ["round_id", "group_id"],
            ["round_id", "group_id"],
        )
    _vote_triggers(create=True)
    with op.batch_alter_table("compact_comment") as batch:
        batch.create_foreign_key(
            "fk_compact_comment_round_id_deliberation_group",
            "deliberation_group",
            ["round_id", "group_id"],
            ["round_id", "group_id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("compact_comment") as batch:
        batch.drop_constraint("fk_compact_comment_round_id_deliberation_group", type_="foreignkey")
    _vote_triggers(create=False)
    with op.batch_alter_table("compact_vote") as batch:
        batch.drop_constraint("fk_compact_vote_round_id_deliberation_group", type_="foreignkey")
        batch.drop_constraint("uq_compact_vote_round_id_group_id_person_id", type_="unique")
        batch.create_unique_constraint(
            "uq_compact_vote_round_id_person_id", ["round_id", "person_id"]
        )
    _vote_triggers(create=True)
