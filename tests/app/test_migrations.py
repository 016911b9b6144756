"""The migrations build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, inspect, text

import app.models  # noqa: F401  (fills the metadata)
from app.db import Base, make_engine
from app.migrate import alembic_config, upgrade_to_head
from tests.app.helpers import fresh_migrated_database


def schema_differences(url: str, metadata: MetaData = Base.metadata) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def audit_triggers(url: str) -> set[str]:
    engine = make_engine(url)
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        if engine.dialect.name == "sqlite"
        else "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_entry'::regclass"
    )
    try:
        with engine.connect() as conn:
            return {name for name in conn.scalars(text(query)) if name.startswith("audit_entry_")}
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_head_matches_the_models(tmp_path):
    with fresh_migrated_database(tmp_path, "head") as url:
        assert table_names(url) >= {t.name for t in Base.metadata.sorted_tables}
        assert schema_differences(url) == []


def test_downgrade_to_base_and_upgrade_again(tmp_path):
    with fresh_migrated_database(tmp_path, "roundtrip") as url:
        command.downgrade(alembic_config(url), "base")
        assert table_names(url) <= {"alembic_version"}
        upgrade_to_head(url)
        assert schema_differences(url) == []
        assert {"audit_entry_no_update", "audit_entry_no_delete"} <= audit_triggers(url)


def test_the_comparison_notices_a_model_change(tmp_path):
    """Guards the test above: a column the migrations lack must show up."""
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["township"].append_column(Column("motto", Integer, nullable=True))
    with fresh_migrated_database(tmp_path, "changed") as url:
        differences = schema_differences(url, changed)
    assert [d[0] for d in differences] == ["add_column"]
