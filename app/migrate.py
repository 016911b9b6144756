"""Running Alembic migrations from code (CLI, `make run`, tests).

On PostgreSQL the tables belong to the role that migrates (CUNYI_MIGRATE_DATABASE_URL)
and the app connects as another role (CUNYI_DATABASE_URL), which therefore cannot
ALTER, DROP or TRUNCATE the tables nor switch off their immutability triggers. After
migrating, `grant_app_privileges` gives the app role what the code needs, in the same
transaction; see docs/deploy.md "PostgreSQL roles". With one URL for both (the default)
nothing is granted and everything works as before; SQLite has no roles.
"""

from __future__ import annotations

import logging

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from app.db import make_engine
from app.settings import (
    MIGRATIONS_DIR,
    PROJECT_ROOT,
    DatabaseSettings,
    load_database_settings,
    normalize_database_url,
)

logger = logging.getLogger("cunyi")

# Tables whose rows are never changed or deleted once written (their triggers refuse it
# too, app.audit and the migrations): the app role may read and add rows, nothing more.
# The anonymous tables (ballot, receipt, motion_vote, survey_response) are not here: the
# close of a poll rewrites their rows unchanged (app.db.reseal), an UPDATE.
APPEND_ONLY_TABLES = (
    "audit_entry",
    "credential_use",
    "round_outcome",
    "certification",
    "attendance_event",
    "motion_vote_use",
    "minutes_signature",
    "minutes_posting",
    "survey_participation",
    "compact_version",
    "compact_vote",
    "compact_answer",
    "compact_adoption",
    "compact_publication",
    "compact_delivery",
)
# Tables the app only reads: the schema version, which `cunyi serve` checks at start.
READ_ONLY_TABLES = ("alembic_version",)
# Functions the app role may call (migrations revoke them from PUBLIC).
APP_FUNCTIONS = ("cunyi_shuffle(text)",)


class DatabaseRoleError(RuntimeError):
    """The app's database role is missing: `cunyi migrate` cannot grant it anything."""


def alembic_config(
    database_url: str | None = None, connection: Connection | None = None
) -> AlembicConfig:
    cfg = AlembicConfig(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if database_url is not None:
        cfg.attributes["database_url"] = database_url
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade_to_head(
    database_url: str | None = None,
    connection: Connection | None = None,
    *,
    app_role: str | None = None,
) -> None:
    """Upgrade a database to the newest schema.

    `database_url` is the application's database, as `cunyi migrate` passes it. When it
    is the configured CUNYI_DATABASE_URL (or None), this migrates the configured way
    (`migrate`): as CUNYI_MIGRATE_DATABASE_URL, granting the app role. Any other URL (a
    test's throwaway database) and `connection` are migrated as given, granting
    `app_role` when it is passed.
    """
    if connection is not None:
        command.upgrade(alembic_config(connection=connection), "head")
        if app_role:
            grant_app_privileges(connection, app_role)
        return
    configured = load_database_settings()
    if database_url is None or normalize_database_url(database_url) == configured.database_url:
        migrate(configured)
        return
    _upgrade(database_url, app_role or "")


def migrate(settings: DatabaseSettings) -> None:
    """`cunyi migrate`: upgrade as the owner, then grant the app role (PostgreSQL)."""
    _upgrade(settings.migrate_database_url, app_role_of(settings))


def app_role_of(settings: DatabaseSettings) -> str:
    """CUNYI_APP_DATABASE_ROLE, else the user CUNYI_DATABASE_URL connects as ("" on SQLite
    or with no user in the URL: nothing to grant)."""
    if settings.database_url.startswith("sqlite"):
        return ""
    return settings.app_database_role or make_url(settings.database_url).username or ""


def _upgrade(database_url: str, app_role: str) -> None:
    if not database_url.startswith("postgresql"):
        command.upgrade(alembic_config(database_url), "head")
        return
    engine = make_engine(database_url)
    try:
        # One transaction: the new schema and the app role's privileges on it together.
        with engine.begin() as conn:
            command.upgrade(alembic_config(connection=conn), "head")
            if app_role:
                grant_app_privileges(conn, app_role)
    finally:
        engine.dispose()


def grant_app_privileges(connection: Connection, role: str) -> None:
    """Give `role` exactly what the app needs on the current schema, and nothing it had
    before; by default privileges also on tables and sequences the migrating role
    creates later. Nothing to do when `role` is the migrating role itself."""
    if connection.dialect.name != "postgresql":
        return
    found = connection.execute(
        text(
            "SELECT rolsuper, rolname = current_user, pg_has_role(rolname, current_user, 'MEMBER')"
            " FROM pg_roles WHERE rolname = :role"
        ),
        {"role": role},
    ).one_or_none()
    if found is None:
        raise DatabaseRoleError(
            f"PostgreSQL role {role!r} (CUNYI_APP_DATABASE_ROLE, or the user of "
            "CUNYI_DATABASE_URL) does not exist; create it first (docs/deploy.md)."
        )
    superuser, is_self, owner_member = found
    if is_self:
        return
    if superuser or owner_member:
        logger.warning(
            "the app's database role %s is a superuser or a member of the tables' owner: "
            "it can still switch off the immutability triggers (docs/deploy.md)",
            role,
        )
    quote = connection.dialect.identifier_preparer.quote
    schema = quote(str(connection.scalar(text("SELECT current_schema()"))))
    grantee = quote(role)
    statements = [
        f"GRANT USAGE ON SCHEMA {schema} TO {grantee}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {grantee}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {grantee}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {grantee}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {grantee}",
        # Tables and sequences a later migration creates (as this role) are granted too.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema}"
        f" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {grantee}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE ON SEQUENCES TO {grantee}",
    ]
    for name in APPEND_ONLY_TABLES:
        if _exists(connection, f"{schema}.{quote(name)}"):
            statements.append(f"REVOKE UPDATE, DELETE ON {schema}.{quote(name)} FROM {grantee}")
    for name in READ_ONLY_TABLES:
        if _exists(connection, f"{schema}.{quote(name)}"):
            statements.append(
                f"REVOKE INSERT, UPDATE, DELETE ON {schema}.{quote(name)} FROM {grantee}"
            )
    for signature in APP_FUNCTIONS:
        if connection.scalar(
            text("SELECT to_regprocedure(:name) IS NOT NULL"),
            {"name": f"{schema}.{signature}"},
        ):
            statements.append(f"GRANT EXECUTE ON FUNCTION {schema}.{signature} TO {grantee}")
    for statement in statements:
        connection.execute(text(statement))


def _exists(connection: Connection, qualified_name: str) -> bool:
    return bool(
        connection.scalar(text("SELECT to_regclass(:name) IS NOT NULL"), {"name": qualified_name})
    )
