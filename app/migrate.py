"""Running Alembic migrations from code (CLI, `make run`, tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy.engine import Connection

from app.settings import MIGRATIONS_DIR, PROJECT_ROOT


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


def upgrade_to_head(database_url: str | None = None, connection: Connection | None = None) -> None:
    command.upgrade(alembic_config(database_url, connection), "head")
