"""The database layer, in one place: engine, sessions and the model base."""

from __future__ import annotations

import enum
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Enum, MetaData, create_engine, event, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from app.errors import Busy

# Stable constraint names make Alembic autogenerate and migrations deterministic on
# both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, hands back aware UTC, refuses naive input.

    SQLite has no time zones; keeping one convention on both databases avoids
    off-by-eight-hours bugs in a China-time deployment.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use app.db.utcnow()")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def str_enum(cls: type[enum.Enum], name: str, length: int = 32) -> Enum:
    """An enum stored as its values in a short string with a CHECK constraint.

    Same on both databases; no native PostgreSQL enum types to migrate.
    """
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )


def reseal(session: Any, column: Any, *criteria: Any) -> None:
    """Rewrite matching rows unchanged so PostgreSQL stamps them with this transaction.

    A secret vote and the record that someone voted are written in one transaction and
    so share PostgreSQL's hidden row id `xmin`, which would link them. Rewriting the vote
    rows in the transaction that closes the vote gives them that transaction's id
    instead. The immutability triggers let a no-op UPDATE through. SQLite keeps no
    transaction ids: nothing to do.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    table = column.class_
    session.execute(
        update(table)
        .where(*criteria)
        .values({column.key: column})
        .execution_options(synchronize_session=False)
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, and explicit BEGIN so savepoints and write locks behave.

    pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; we take
    over and emit BEGIN ourselves. Write requests use `BEGIN IMMEDIATE` (see
    `Database.writer`) so two writers queue instead of failing on a stale snapshot.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        # Deleted content is overwritten with zeros, not left in free pages: opening a
        # sealed box deletes its sealed rows (app.sealed_box).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    # One writer at a time per process, waiting in line in memory (see _take_writer_turn).
    writer_turn = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode != "IMMEDIATE":
            conn.exec_driver_sql(f"BEGIN {mode}")
            return
        _take_writer_turn(writer_turn)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            writer_turn.release()
            raise
        conn.info[_HOLDS_WRITER_TURN] = True

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection: Any, connection_record: Any) -> None:
        # The transaction is over (committed or rolled back) once its connection is
        # back in the pool: the next writer may begin.
        if connection_record.info.pop(_HOLDS_WRITER_TURN, False):
            writer_turn.release()


# How long a write waits for its turn on SQLite before the user is asked to retry.
SQLITE_WRITER_WAIT_SECONDS = 30.0
_HOLDS_WRITER_TURN = "cunyi_holds_writer_turn"


def _take_writer_turn(writer_turn: threading.Lock) -> None:
    """Wait for this process's SQLite writer turn, or raise Busy.

    SQLite lets one writer in at a time. Left to SQLite alone, the threads of one server
    process race for the file lock and its busy handler (sleep, then poll) can pass one
    of them over until its timeout: under a burst of votes a villager got an error page
    although the server was only busy (found by tests/reliability). Waiting on a lock in
    memory wakes the next writer as soon as the previous transaction ends. Processes
    sharing one file still meet at SQLite's own lock (busy_timeout).
    """
    if not writer_turn.acquire(timeout=SQLITE_WRITER_WAIT_SECONDS):
        raise Busy()


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    if database_url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 15})
        engine = create_engine(database_url, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    return create_engine(database_url, **kwargs)


class Database:
    """Owns the engine and hands out sessions.

    Tests bind it to one outer connection so every session becomes a savepoint that
    the test rolls back.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._bound: Connection | None = None
        self._factory = sessionmaker(bind=engine, expire_on_commit=False)
        writer_bind = engine.execution_options(sqlite_begin="IMMEDIATE")
        self._writer_factory = sessionmaker(bind=writer_bind, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def in_test_transaction(self) -> bool:
        """Bound to a test's outer connection: nothing this database does is committed."""
        return self._bound is not None

    def bind_to_connection(self, connection: Connection | None) -> None:
        self._bound = connection

    def session(self, *, write: bool = False) -> Session:
        if self._bound is not None:
            return Session(
                bind=self._bound,
                join_transaction_mode="create_savepoint",
                expire_on_commit=False,
            )
        return (self._writer_factory if write else self._factory)()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A unit of work outside a request (CLI, demo): commit on success."""
        session = self.session(write=write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
