"""PostgreSQL roles: the app's role cannot switch off what keeps records immutable.

Each run builds its own throwaway database and two roles, exactly as docs/deploy.md
"PostgreSQL roles" says (an owner that `cunyi migrate` connects as, and the app's role),
runs `cunyi migrate` and `cunyi demo` through the CLI with those settings, uses the app as
its role, and drops everything at the end. The shared test schema is not touched.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from starlette.testclient import TestClient

from app.cli import main
from app.db import Database, make_engine
from app.main import create_app
from app.secret_choice import shuffle_storage_order
from app.settings import load_settings, normalize_database_url
from ballots.models import Ballot, Receipt
from meetings.models import MotionVote
from surveys.models import SurveyResponse
from tests.conftest import POSTGRES_URL, TEST_DATABASE, sign_in

pytestmark = pytest.mark.skipif(
    TEST_DATABASE != "postgresql",
    reason="PostgreSQL only: SQLite has no roles, owners or privileges",
)

INSUFFICIENT_PRIVILEGE = "42501"
SHUFFLED = (Ballot, Receipt, MotionVote, SurveyResponse)


@dataclass(frozen=True)
class Deployment:
    database: str
    owner: str
    app_role: str
    owner_url: str
    app_url: str
    superuser_url: str
    data_dir: Path


def _url(database: str, user: str | None) -> str:
    url = make_url(normalize_database_url(POSTGRES_URL)).set(database=database)
    if user is not None:
        url = url.set(username=user)
    return url.render_as_string(hide_password=False)


def _run(engine: Engine, *statements: str) -> None:
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(text(statement))


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    suffix = uuid.uuid4().hex[:10]
    name, owner, app_role = f"cunyi_roles_{suffix}", f"cunyi_owner_{suffix}", f"cunyi_app_{suffix}"
    superuser_url = _url(name, make_url(normalize_database_url(POSTGRES_URL)).username)
    tmp = tmp_path_factory.mktemp("roles")
    found = Deployment(
        database=name,
        owner=owner,
        app_role=app_role,
        owner_url=_url(name, owner),
        app_url=_url(name, app_role),
        superuser_url=superuser_url,
        data_dir=tmp / "data",
    )
    admin = make_engine(normalize_database_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    try:
        # The commands of docs/deploy.md "PostgreSQL roles" (there with passwords).
        _run(
            admin,
            f"CREATE ROLE {owner} LOGIN",
            f"CREATE ROLE {app_role} LOGIN",
            f"CREATE DATABASE {name} OWNER {owner}",
        )
        on_new = make_engine(superuser_url, isolation_level="AUTOCOMMIT")
        _run(
            on_new,
            f"REVOKE ALL ON DATABASE {name} FROM PUBLIC",
            f"GRANT CONNECT ON DATABASE {name} TO {app_role}",
            f"ALTER SCHEMA public OWNER TO {owner}",
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        )
        on_new.dispose()
        with pytest.MonkeyPatch.context() as env:
            env.chdir(tmp)  # no developer .env
            env.delenv("CUNYI_APP_DATABASE_ROLE", raising=False)
            env.setenv("CUNYI_DATABASE_URL", found.app_url)
            env.setenv("CUNYI_MIGRATE_DATABASE_URL", found.owner_url)
            env.setenv("CUNYI_DATA_DIR", str(found.data_dir))
            env.setenv("CUNYI_SECRET_KEY", uuid.uuid4().hex)
            assert main(["migrate"]) == 0  # what `cunyi migrate` runs
            yield found
    finally:
        _run(
            admin,
            f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
            f"DROP ROLE IF EXISTS {app_role}",
            f"DROP ROLE IF EXISTS {owner}",
        )
        admin.dispose()


@pytest.fixture(scope="module")
def superuser(deployment: Deployment) -> Iterator[Engine]:
    engine = make_engine(deployment.superuser_url, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def as_app(deployment: Deployment) -> Iterator[Engine]:
    engine = make_engine(deployment.app_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def as_owner(deployment: Deployment) -> Iterator[Engine]:
    engine = make_engine(deployment.owner_url)
    yield engine
    engine.dispose()


def storage_files(superuser: Engine) -> dict[str, int]:
    names = [model.__tablename__ for model in SHUFFLED]
    with superuser.connect() as conn:
        rows = conn.execute(
            text("SELECT relname, relfilenode FROM pg_class WHERE relname = ANY(:names)"),
            {"names": names},
        ).all()
    return {name: int(node) for name, node in rows}


def test_migrate_makes_the_owner_own_everything_and_the_app_role_nothing(
    deployment: Deployment, superuser: Engine
) -> None:
    assert main(["migrate"]) == 0  # again: nothing to migrate, privileges granted again
    with superuser.connect() as conn:
        owners = set(
            conn.scalars(text("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'"))
        )
        owned_by_app = conn.scalar(
            text(
                "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner"
                " WHERE r.rolname = :app"
            ),
            {"app": deployment.app_role},
        )
        shuffle = conn.execute(
            text(
                "SELECT r.rolname, p.prosecdef, p.proconfig FROM pg_proc p"
                " JOIN pg_roles r ON r.oid = p.proowner WHERE p.proname = 'cunyi_shuffle'"
            )
        ).one()
        public_may_call = conn.scalar(
            text(
                "SELECT count(*) FROM pg_proc p, aclexplode(p.proacl) a"
                " WHERE p.proname = 'cunyi_shuffle' AND a.grantee = 0"
            )
        )

        def may(table: str, privilege: str) -> bool:
            return bool(
                conn.scalar(
                    text("SELECT has_table_privilege(:role, :table, :privilege)"),
                    {"role": deployment.app_role, "table": table, "privilege": privilege},
                )
            )

        assert owners == {deployment.owner}
        assert owned_by_app == 0
        assert shuffle.rolname == deployment.owner and shuffle.prosecdef
        assert shuffle.proconfig == ["search_path=pg_catalog, pg_temp"]
        assert public_may_call == 0
        for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            assert may("ballot", privilege)
        for privilege in ("TRUNCATE", "TRIGGER", "REFERENCES"):
            assert not may("ballot", privilege)
        assert may("audit_entry", "SELECT") and may("audit_entry", "INSERT")
        assert not may("audit_entry", "UPDATE") and not may("audit_entry", "DELETE")
        assert may("alembic_version", "SELECT") and not may("alembic_version", "UPDATE")


def test_with_the_app_url_alone_a_current_schema_needs_nothing(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What `cunyi serve` does at start on an app server that has no owner's URL.
    monkeypatch.delenv("CUNYI_MIGRATE_DATABASE_URL")
    assert main(["migrate"]) == 0


def test_the_demo_year_runs_as_the_app_role(
    deployment: Deployment, superuser: Engine, as_app: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    before = storage_files(superuser)
    # The demo lives through a year as the app role (the CLI reads CUNYI_DATABASE_URL):
    # registry, an election voted, closed and counted, meetings with a QR motion vote and
    # signed minutes, surveys answered and closed. Needs an empty database: it runs first.
    with caplog.at_level(logging.WARNING, logger="cunyi"):
        assert main(["demo"]) == 0
    assert "could not CLUSTER" not in caplog.text
    # Choices are sealed at cast and written, shuffled, when a box is opened: nothing is
    # clustered at close any more (the rewrite as the app role is the next tests' part).
    after_demo = storage_files(superuser)
    assert set(before) == set(after_demo) == {model.__tablename__ for model in SHUFFLED}
    with superuser.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM ballot")) > 0
        assert conn.scalar(text("SELECT count(*) FROM sealed_choice")) == 0
    # The ballots it stored are immutable for the app role: the triggers still hold.
    with as_app.connect() as conn, pytest.raises(DBAPIError, match="immutable"):
        conn.execute(text("DELETE FROM ballot"))


def test_staff_sign_in_and_use_the_app_as_its_role(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    password = "roles-" + uuid.uuid4().hex
    created = main(
        [
            "create-admin",
            "roles_admin",
            "--township-code",
            "330110099",
            "--township-name",
            "角色镇",
            "--password",
            password,
        ]
    )
    assert created == 0
    with TestClient(create_app(load_settings()), follow_redirects=False) as client:
        sign_in(client, "roles_admin", password)
        assert client.get("/").status_code == 200
        page = client.get("/audit/verify")
        assert page.status_code == 200
        assert "审计链完整" in page.text
    assert main(["verify-audit"]) == 0
    assert "chain intact" in capsys.readouterr().out


def test_shuffle_storage_order_clusters_as_the_app_role(
    deployment: Deployment, superuser: Engine, as_app: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    before = storage_files(superuser)
    database = Database(as_app)
    with caplog.at_level(logging.WARNING, logger="cunyi"), database.transaction() as session:
        shuffle_storage_order(session, SHUFFLED)
    assert "could not CLUSTER" not in caplog.text
    after = storage_files(superuser)
    for table, node in before.items():
        assert after[table] != node, f"{table} was not rewritten"


def test_the_shuffle_function_refuses_other_tables_and_skips_missing_ones(
    as_app: Engine, as_owner: Engine
) -> None:
    with as_app.connect() as conn, pytest.raises(DBAPIError) as refused:
        conn.execute(text("SELECT cunyi_shuffle('credential_use')"))
    assert refused.value.orig is not None
    assert getattr(refused.value.orig, "sqlstate", None) == INSUFFICIENT_PRIVILEGE
    with as_app.connect() as conn:
        exists = conn.scalar(text("SELECT to_regclass('sealed_choice') IS NOT NULL"))
        assert conn.scalar(text("SELECT cunyi_shuffle('sealed_choice')")) is exists
    # A table on the allow-list that is not there is skipped, not an error.
    with as_owner.connect() as conn:
        conn.execute(text("DROP TABLE IF EXISTS sealed_choice CASCADE"))
        assert conn.scalar(text("SELECT cunyi_shuffle('sealed_choice')")) is False
        conn.rollback()


REFUSED = {
    "disable every ballot trigger": "ALTER TABLE ballot DISABLE TRIGGER ALL",
    "disable the audit chain's trigger": "ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_update",
    "disable the signed minutes' trigger": "ALTER TABLE minutes DISABLE TRIGGER USER",
    "replica mode, which skips triggers": "SET session_replication_role = replica",
    "truncate ballots": "TRUNCATE ballot",
    "truncate the audit chain": "TRUNCATE audit_entry",
    "truncate motion votes": "TRUNCATE motion_vote",
    "drop ballots": "DROP TABLE ballot",
    "drop a trigger": "DROP TRIGGER ballot_no_delete ON ballot",
    "take the table over": "ALTER TABLE ballot OWNER TO CURRENT_USER",
    "replace the trigger function": (
        "CREATE OR REPLACE FUNCTION cunyi_refuse_change() RETURNS trigger"
        " LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$"
    ),
    "CLUSTER by itself": "CLUSTER ballot USING pk_ballot",
    "change an audit entry": "UPDATE audit_entry SET summary = summary",
    "delete an audit entry": "DELETE FROM audit_entry",
}


@pytest.mark.parametrize("statement", REFUSED.values(), ids=REFUSED.keys())
def test_the_app_role_cannot_switch_off_immutability(
    deployment: Deployment, as_app: Engine, statement: str
) -> None:
    with as_app.connect() as conn, pytest.raises(DBAPIError) as refused:
        conn.execute(text(statement))
    assert getattr(refused.value.orig, "sqlstate", None) == INSUFFICIENT_PRIVILEGE, refused.value


def test_after_every_attempt_no_trigger_is_switched_off(
    deployment: Deployment, superuser: Engine
) -> None:
    with superuser.connect() as conn:
        states = set(conn.scalars(text("SELECT tgenabled FROM pg_trigger WHERE NOT tgisinternal")))
        replication_role = conn.scalar(text("SHOW session_replication_role"))
    assert states == {"O"}  # every trigger fires in normal (origin) mode
    assert replication_role == "origin"


def test_tables_a_later_migration_adds_are_granted_too(
    deployment: Deployment, as_app: Engine, as_owner: Engine
) -> None:
    with as_owner.begin() as conn:
        conn.execute(text("CREATE TABLE later_table (id serial PRIMARY KEY, note text)"))
    try:
        with as_app.begin() as conn:
            conn.execute(text("INSERT INTO later_table (note) VALUES ('added later')"))
            assert conn.scalar(text("SELECT note FROM later_table")) == "added later"
    finally:
        with as_owner.begin() as conn:
            conn.execute(text("DROP TABLE later_table"))
