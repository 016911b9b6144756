"""Test set-up: a real database (SQLite or PostgreSQL), built by the migrations, and a
savepoint per test so each test starts from the same empty schema.

Choose the database with CUNYI_TEST_DATABASE=sqlite|postgresql (`make test` runs both).
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.datastructures import Secret
from starlette.testclient import TestClient

from app.db import Database, make_engine
from app.main import create_app
from app.migrate import upgrade_to_head
from app.settings import Settings, normalize_database_url
from tests import factories

TEST_DATABASE = os.environ.get("CUNYI_TEST_DATABASE", "sqlite")
POSTGRES_URL = os.environ.get("CUNYI_TEST_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")


def postgres_schema_url(schema: str) -> str:
    base = normalize_database_url(POSTGRES_URL)
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}"


def create_postgres_schema(schema: str) -> str:
    admin = make_engine(normalize_database_url(POSTGRES_URL))
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return postgres_schema_url(schema)


def drop_postgres_schema(schema: str) -> None:
    admin = make_engine(normalize_database_url(POSTGRES_URL))
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def fresh_database_url(tmp_dir: Path, label: str) -> tuple[str, str | None]:
    """An empty database of the kind under test: (url, postgres schema or None)."""
    if TEST_DATABASE == "postgresql":
        schema = f"cunyi_{label}_{uuid.uuid4().hex[:10]}"
        return create_postgres_schema(schema), schema
    return f"sqlite:///{tmp_dir / f'{label}.sqlite3'}", None


def pytest_report_header(config: pytest.Config) -> str:
    name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(TEST_DATABASE, TEST_DATABASE)
    return f"Cunyi test database: {name}"


def pytest_addoption(parser: pytest.Parser) -> None:
    # Read by tests/reliability/conftest.py; declared here, where pytest looks at start-up.
    parser.addoption(
        "--reliability-full",
        action="store_true",
        default=False,
        help="run the reliability tests at the issue's full sizes (20,000 votes)",
    )


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, schema = fresh_database_url(tmp_path_factory.mktemp("db"), "suite")
    upgrade_to_head(url)
    yield url
    if schema:
        drop_postgres_schema(schema)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """One outer transaction per test, rolled back at the end."""
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    if outer.is_active:
        outer.rollback()
    conn.close()


@pytest.fixture
def db(connection: Connection) -> Iterator[Session]:
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    factories.bind(session)
    yield session
    session.close()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=Secret("test-secret-" + uuid.uuid4().hex),
        data_dir=tmp_path,
    )


@pytest.fixture
def app(settings: Settings, engine: Engine, connection: Connection, db: Session) -> Starlette:
    database = Database(engine)
    database.bind_to_connection(connection)
    return create_app(settings, database=database)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(client: TestClient, path: str) -> str:
    response = client.get(path)
    match = CSRF_RE.search(response.text)
    assert match, f"no CSRF token on {path} (status {response.status_code})"
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str = factories.PASSWORD) -> None:
    token = csrf_from(client, "/signin")
    response = client.post(
        "/signin", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/"


def post_form(
    client: TestClient,
    path: str,
    data: dict[str, str],
    *,
    page: str | None = None,
    files: dict[str, tuple[str, bytes, str]] | None = None,
):  # type: ignore[no-untyped-def]
    """Submit a form the way a browser does: fetch the page for its CSRF token first."""
    token = csrf_from(client, page or path)
    return client.post(path, data={**data, "csrf_token": token}, files=files)
