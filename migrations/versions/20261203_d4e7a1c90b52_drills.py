"""drills: a drill marker on elections and meetings, a drill flag on assemblies

Revision ID: d4e7a1c90b52
Revises: c4e8a1f2b6d9
Create Date: 2026-12-03 11:00:00.000000

A drill (演练, app.drill) is an election or meeting with a marker: when it started and how
many real seconds one of its days lasts. The marker is fixed once written: a trigger
refuses to change it, so no real election can be turned into a drill afterwards. That is
what lets the immutability triggers make one exception: a drill's cast ballots, receipts,
credential uses, results, attendance, QR votes and signed minutes may be deleted (when
the drill is removed); a real one's still may not. Audit entries are never deleted.

Columns are added without rebuilding the tables (SQLite's batch mode would drop and
recreate `election`, which its foreign keys refuse on a database with data): on SQLite
the marker's shape is checked by a trigger, on PostgreSQL by a CHECK constraint.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "d4e7a1c90b52"
down_revision: str | None = "c4e8a1f2b6d9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MARKED = ("election", "meeting")
MARKER_SHAPE = (
    "(drill_started_at IS NULL AND drill_day_seconds IS NULL) OR "
    "(drill_started_at IS NOT NULL AND drill_day_seconds >= 1 AND drill_day_seconds <= 86400)"
)

_ROUND = (
    "SELECT 1 FROM election_round r JOIN election e ON e.id = r.election_id "
    "WHERE r.id = {old}.round_id AND e.drill_started_at IS NOT NULL"
)
_MOTION = (
    "SELECT 1 FROM motion v JOIN agenda_item i ON i.id = v.item_id "
    "JOIN meeting m ON m.id = i.meeting_id "
    "WHERE v.id = {old}.motion_id AND m.drill_started_at IS NOT NULL"
)
_MINUTES = (
    "SELECT 1 FROM minutes n JOIN meeting m ON m.id = n.meeting_id "
    "WHERE n.id = {old}.minutes_id AND m.drill_started_at IS NOT NULL"
)
_MEETING = "SELECT 1 FROM meeting m WHERE m.id = {old}.meeting_id AND m.drill_started_at IS NOT NULL"
# Each immutable table: how a row finds out whether it belongs to a drill.
DRILL_OF = {
    "ballot": _ROUND,
    "receipt": _ROUND,
    "credential_use": _ROUND,
    "round_outcome": _ROUND,
    "certification": (
        "SELECT 1 FROM round_outcome o JOIN election_round r ON r.id = o.round_id "
        "JOIN election e ON e.id = r.election_id "
        "WHERE o.id = {old}.outcome_id AND e.drill_started_at IS NOT NULL"
    ),
    "attendance_event": _MEETING,
    "motion_vote": _MOTION,
    "motion_vote_use": _MOTION,
    "minutes_signature": _MINUTES,
    "minutes_posting": _MINUTES,
}
# Deletable while unsigned; once signed (locked), only a drill's.
LOCKED_DRILL_OF = {"minutes": _MEETING, "minutes_addendum": _MINUTES}
# What the earlier revisions call each table's delete trigger.
_TRIGGER = {table: f"{table}_no_delete" for table in DRILL_OF} | {
    table: f"{table}_locked_no_delete" for table in LOCKED_DRILL_OF
}
_WORDS = {
    "ballot": "immutable",
    "receipt": "immutable",
    "credential_use": "immutable",
    "round_outcome": "immutable",
    "certification": "immutable",
}


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    for table in MARKED:
        op.add_column(table, sa.Column("drill_started_at", app.db.UTCDateTime(), nullable=True))
        op.add_column(table, sa.Column("drill_day_seconds", sa.Integer(), nullable=True))
    op.add_column(
        "assembly", sa.Column("drill", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    if _sqlite():
        _sqlite_upgrade()
    else:
        _postgres_upgrade()


def _sqlite_upgrade() -> None:
    for table in MARKED:
        op.execute(
            f"CREATE TRIGGER {table}_drill_marker BEFORE INSERT ON {table} "
            f"WHEN NOT ({MARKER_SHAPE.replace('drill_', 'NEW.drill_')}) "
            f"BEGIN SELECT RAISE(ABORT, '{table} drill marker is not valid'); END"
        )
        op.execute(
            f"CREATE TRIGGER {table}_drill_fixed BEFORE UPDATE ON {table} "
            "WHEN OLD.drill_started_at IS NOT NEW.drill_started_at "
            "OR OLD.drill_day_seconds IS NOT NEW.drill_day_seconds "
            f"BEGIN SELECT RAISE(ABORT, '{table} drill marker is fixed'); END"
        )
    op.execute(
        "CREATE TRIGGER assembly_drill_fixed BEFORE UPDATE ON assembly "
        "WHEN OLD.drill IS NOT NEW.drill "
        "BEGIN SELECT RAISE(ABORT, 'assembly drill flag is fixed'); END"
    )
    for table, lookup in DRILL_OF.items():
        op.execute(f"DROP TRIGGER {_TRIGGER[table]}")
        op.execute(
            f"CREATE TRIGGER {_TRIGGER[table]} BEFORE DELETE ON {table} "
            f"WHEN NOT EXISTS ({lookup.format(old='OLD')}) "
            f"BEGIN SELECT RAISE(ABORT, '{table} rows are {_WORDS.get(table, 'append-only')}'); END"
        )
    for table, lookup in LOCKED_DRILL_OF.items():
        op.execute(f"DROP TRIGGER {_TRIGGER[table]}")
        op.execute(
            f"CREATE TRIGGER {_TRIGGER[table]} BEFORE DELETE ON {table} "
            f"WHEN OLD.locked_at IS NOT NULL AND NOT EXISTS ({lookup.format(old='OLD')}) "
            f"BEGIN SELECT RAISE(ABORT, '{table} is signed and locked'); END"
        )


def _postgres_upgrade() -> None:
    for table in MARKED:
        op.create_check_constraint(op.f(f"ck_{table}_drill_marker"), table, MARKER_SHAPE)
        op.execute(
            f"CREATE TRIGGER {table}_drill_fixed BEFORE UPDATE ON {table} FOR EACH ROW "
            "WHEN (OLD.drill_started_at IS DISTINCT FROM NEW.drill_started_at "
            "OR OLD.drill_day_seconds IS DISTINCT FROM NEW.drill_day_seconds) "
            "EXECUTE FUNCTION cunyi_refuse_change()"
        )
    op.execute(
        "CREATE TRIGGER assembly_drill_fixed BEFORE UPDATE ON assembly FOR EACH ROW "
        "WHEN (OLD.drill IS DISTINCT FROM NEW.drill) EXECUTE FUNCTION cunyi_refuse_change()"
    )
    # The row's lookup comes as the trigger's argument, fixed here; nested IFs because
    # only the minutes tables have locked_at.
    op.execute(
        """CREATE FUNCTION cunyi_refuse_delete_unless_drill() RETURNS trigger AS $$
        DECLARE
          drill boolean;
        BEGIN
          EXECUTE 'SELECT EXISTS (' || TG_ARGV[0] || ')' INTO drill USING OLD;
          IF drill THEN RETURN OLD; END IF;
          IF TG_NARGS > 1 THEN
            IF OLD.locked_at IS NULL THEN RETURN OLD; END IF;
          END IF;
          RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME;
        END; $$ LANGUAGE plpgsql"""
    )
    for table, lookup in [*DRILL_OF.items(), *LOCKED_DRILL_OF.items()]:
        locked = ", 'locked'" if table in LOCKED_DRILL_OF else ""
        argument = lookup.format(old="($1)").replace("'", "''")
        op.execute(f"DROP TRIGGER {_TRIGGER[table]} ON {table}")
        op.execute(
            f"CREATE TRIGGER {_TRIGGER[table]} BEFORE DELETE ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION cunyi_refuse_delete_unless_drill('{argument}'{locked})"
        )


def downgrade() -> None:
    sqlite = _sqlite()
    for table in [*DRILL_OF, *LOCKED_DRILL_OF]:
        op.execute(f"DROP TRIGGER {_TRIGGER[table]}" + ("" if sqlite else f" ON {table}"))
        if table in LOCKED_DRILL_OF:
            condition = "WHEN OLD.locked_at IS NOT NULL " if sqlite else ""
            message = f"{table} is signed and locked"
            function = "cunyi_refuse_locked_change()"
        else:
            condition = ""
            message = f"{table} rows are {_WORDS.get(table, 'append-only')}"
            function = "cunyi_refuse_change()"
        if sqlite:
            op.execute(
                f"CREATE TRIGGER {_TRIGGER[table]} BEFORE DELETE ON {table} {condition}"
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
        else:
            op.execute(
                f"CREATE TRIGGER {_TRIGGER[table]} BEFORE DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {function}"
            )
    suffix = "" if sqlite else " ON assembly"
    op.execute(f"DROP TRIGGER assembly_drill_fixed{suffix}")
    for table in MARKED:
        on = "" if sqlite else f" ON {table}"
        op.execute(f"DROP TRIGGER {table}_drill_fixed{on}")
        if sqlite:
            op.execute(f"DROP TRIGGER {table}_drill_marker")
        else:
            op.drop_constraint(op.f(f"ck_{table}_drill_marker"), table, type_="check")
    if not sqlite:
        op.execute("DROP FUNCTION cunyi_refuse_delete_unless_drill()")
    # Plain ALTER TABLE (SQLite 3.35+), not a batch rebuild: see the module's note.
    op.execute("ALTER TABLE assembly DROP COLUMN drill")
    for table in MARKED:
        op.execute(f"ALTER TABLE {table} DROP COLUMN drill_day_seconds")
        op.execute(f"ALTER TABLE {table} DROP COLUMN drill_started_at")
