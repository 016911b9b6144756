"""ballots: candidate photos, the ballot read aloud, recorded help (代写), polling facilities

Revision ID: a7d2f9c41e63
Revises: f6c3d9e2a8b1
Create Date: 2026-12-04 19:00:00.000000

Four append-only tables. `candidate_photo` holds each candidate's small re-encoded
portrait (a replacement is a new row); `ballot_audio` the ballot read aloud; `ballot_help` says that a voter had a person of
their choosing write the ballot, and who, never what; `election_facilities` is what the
organizer reports of ballot boxes and booths for the township's report. Like the other
records that matter they refuse UPDATE and DELETE, except that a drill's rows go when the
drill is removed (see the drills revision, d4e7a1c90b52).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "a7d2f9c41e63"
down_revision: str | None = "f6c3d9e2a8b1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ELECTION = (
    "SELECT 1 FROM election e WHERE e.id = {old}.election_id AND e.drill_started_at IS NOT NULL"
)
_ROUND = (
    "SELECT 1 FROM election_round r JOIN election e ON e.id = r.election_id "
    "WHERE r.id = {old}.round_id AND e.drill_started_at IS NOT NULL"
)
DRILL_OF = {
    "candidate_photo": _ELECTION,
    "ballot_help": _ROUND,
    "ballot_audio": _ROUND,
    "election_facilities": _ELECTION,
}


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _triggers() -> None:
    sqlite = _sqlite()
    for table, lookup in DRILL_OF.items():
        if sqlite:
            op.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are immutable'); END"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                f"WHEN NOT EXISTS ({lookup.format(old='OLD')}) "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are immutable'); END"
            )
        else:
            argument = lookup.format(old="($1)").replace("'", "''")
            op.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION cunyi_refuse_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} FOR EACH ROW "
                f"EXECUTE FUNCTION cunyi_refuse_delete_unless_drill('{argument}')"
            )


def upgrade() -> None:
    op.create_table(
        "candidate_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", app.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "image IS NULL OR (length(image) BETWEEN 1 AND 10240)",
            name=op.f("ck_candidate_photo_image_small"),
        ),
        sa.ForeignKeyConstraint(
            ["election_id"], ["election.id"], name=op.f("fk_candidate_photo_election_id_election")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["staff_user.id"],
            name=op.f("fk_candidate_photo_uploaded_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate_photo")),
    )
    op.create_index(op.f("ix_candidate_photo_election_id"), "candidate_photo", ["election_id"])
    op.create_table(
        "ballot_audio",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("audio", sa.LargeBinary(), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("made_at", app.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["election_round.id"],
            name=op.f("fk_ballot_audio_round_id_election_round"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot_audio")),
    )
    op.create_index(op.f("ix_ballot_audio_round_id"), "ballot_audio", ["round_id"])
    op.create_table(
        "ballot_help",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("roll_entry_id", sa.Integer(), nullable=False),
        sa.Column("helper_person_id", sa.Integer(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "online",
                "paper",
                "mobile",
                "proxy",
                name="channel",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "channel IN ('paper', 'mobile')", name=op.f("ck_ballot_help_helped_channel")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["election_round.id"], name=op.f("fk_ballot_help_round_id_election_round")
        ),
        sa.ForeignKeyConstraint(
            ["roll_entry_id"],
            ["roll_entry.id"],
            name=op.f("fk_ballot_help_roll_entry_id_roll_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["helper_person_id"],
            ["person.id"],
            name=op.f("fk_ballot_help_helper_person_id_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot_help")),
        sa.UniqueConstraint(
            "round_id", "roll_entry_id", name=op.f("uq_ballot_help_round_id_roll_entry_id")
        ),
    )
    op.create_index(op.f("ix_ballot_help_round_id"), "ballot_help", ["round_id"])
    op.create_table(
        "election_facilities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("ballot_boxes", sa.Integer(), nullable=False),
        sa.Column("mobile_boxes", sa.Integer(), nullable=False),
        sa.Column("booths", sa.Integer(), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=False),
        sa.Column("entered_at", app.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "ballot_boxes >= 0 AND mobile_boxes >= 0 AND booths >= 0",
            name=op.f("ck_election_facilities_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["election.id"],
            name=op.f("fk_election_facilities_election_id_election"),
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["staff_user.id"],
            name=op.f("fk_election_facilities_entered_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_election_facilities")),
    )
    op.create_index(
        op.f("ix_election_facilities_election_id"), "election_facilities", ["election_id"]
    )
    _triggers()


def downgrade() -> None:
    sqlite = _sqlite()
    for table in DRILL_OF:
        for verb in ("update", "delete"):
            op.execute(
                f"DROP TRIGGER IF EXISTS {table}_no_{verb}" + ("" if sqlite else f" ON {table}")
            )
    op.drop_index(op.f("ix_election_facilities_election_id"), table_name="election_facilities")
    op.drop_table("election_facilities")
    op.drop_index(op.f("ix_ballot_audio_round_id"), table_name="ballot_audio")
    op.drop_table("ballot_audio")
    op.drop_index(op.f("ix_ballot_help_round_id"), table_name="ballot_help")
    op.drop_table("ballot_help")
    op.drop_index(op.f("ix_candidate_photo_election_id"), table_name="candidate_photo")
    op.drop_table("candidate_photo")
