"""cunyi_shuffle: CLUSTER the anonymous tables for an app role that does not own them

Revision ID: 57a5e17b20a7
Revises: 9b4f2c6d8e11
Create Date: 2026-12-03 09:00:00.000000

On PostgreSQL the app connects as a role that does not own the tables, so that it cannot
switch off the immutability triggers (docs/deploy.md "PostgreSQL roles"). Closing a poll
still rewrites the anonymous tables in random-key order (app.secret_choice
.shuffle_storage_order), and CLUSTER needs the owner: this function runs it as its owner,
the role that migrates, on a fixed allow-list of tables only. EXECUTE is revoked from
PUBLIC; `cunyi migrate` grants it to the app role (app.migrate). SQLite: nothing to do.
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "57a5e17b20a7"
down_revision: str | None = "9b4f2c6d8e11"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables holding anonymous choices under random keys. A name whose table does not
# exist (yet) is skipped by the function, so the list may run ahead of the schema.
SHUFFLED_TABLES = (
    "ballot",
    "receipt",
    "motion_vote",
    "survey_response",
    "sealed_choice",
    "sealed_box_holder",
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # The schema the tables are in, written into the function: with search_path pinned to
    # pg_catalog and pg_temp, no object another role creates can stand in for ours.
    schema = bind.scalar(text("SELECT quote_literal(current_schema())"))
    allowed = ", ".join(f"'{name}'" for name in SHUFFLED_TABLES)
    op.execute(
        f"""CREATE FUNCTION cunyi_shuffle(table_name text) RETURNS boolean
        LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$
        DECLARE
          target regclass;
          key_index name;
        BEGIN
          IF table_name IS NULL OR table_name NOT IN ({allowed}) THEN
            RAISE EXCEPTION 'cunyi_shuffle: % is not an anonymous table', table_name
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          target := to_regclass(format('%I.%I', {schema}, table_name));
          IF target IS NULL THEN
            RETURN false;
          END IF;
          SELECT c.relname INTO key_index
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
           WHERE i.indrelid = target AND i.indisprimary;
          IF key_index IS NULL THEN
            RETURN false;
          END IF;
          EXECUTE format('CLUSTER %s USING %I', target, key_index);
          RETURN true;
        END
        $$"""  # noqa: S608  (constants, and the schema quoted by the server)
    )
    op.execute("REVOKE ALL ON FUNCTION cunyi_shuffle(text) FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS cunyi_shuffle(text)")
