"""Alembic environment: the URL comes from Cunyi settings, or from a passed connection."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

import app.models  # noqa: F401  (fills the metadata)
from app.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_with_connection(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_with_connection(connection)
        return
    url = config.attributes.get("database_url")
    if url is None:
        from app.settings import load_settings

        url = load_settings().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        run_with_connection(conn)
        conn.commit()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run `cunyi migrate`.")
run_migrations_online()
