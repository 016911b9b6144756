"""A secret choice, once per credential: the protocol behind ballots, QR motion votes and
survey answers (DESIGN decision 1).

Each kind keeps two records of one choice and nothing that links them:

- a *use* row saying that a credential (a voter's roll entry, an attendee, a villager)
  made its choice in a poll (an election round, a motion, a survey); a unique
  constraint on (credential, poll) makes it single use;
- an *anonymous* row holding the choice, under a random key, with the poll's id and
  nothing that points at a person, a credential or a moment finer than a day.

The steps, each in the caller's transaction:

1. `lock_open`: read the poll's state FOR SHARE and refuse unless it is open. Choices
   proceed side by side, while closing the poll (an UPDATE of that row) waits for every
   choice in flight, so none lands after the close. SQLite runs one writer at a time
   and ignores the clause.
2. `use_once`: insert the use row in a savepoint; the unique constraint refusing it
   (IntegrityError) means the credential was used already, so two requests racing each
   other cannot both pass.
3. `store_anonymous`: add the anonymous row under a random key.

Since the sealed ballot box (app.sealed_box), every kind seals the choice at step 3
instead and writes its anonymous rows only when the box is opened, all at once and in
a random order; steps 3-5 below remain for surveys opened before sealing existed.

Writing a choice records no audit entry on purpose: an entry's time next to the order
of uses would tell who chose what.

At close, in the closing transaction:

4. `reseal`: on PostgreSQL every row carries the id of the transaction that wrote it
   (xmin), so an anonymous row and its use row share one until the anonymous rows are
   rewritten by the closing transaction (see app.db.reseal).
5. `shuffle_storage_order`: a heap table keeps rows roughly in insertion order, which
   would tell the order of the choices to anyone listing rows without ORDER BY or
   reading the data files. CLUSTER rewrites the anonymous tables in the order of their
   random keys and drops row versions no transaction can see any more. SQLite needs
   nothing: the anonymous tables are WITHOUT ROWID, stored in key order from the start.

This module is kernel: it knows no domain models and imports only app.db, app.errors
and SQLAlchemy.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Executable, Select, Table, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Row
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Mapper, Session
from sqlalchemy.orm.attributes import set_committed_value
from starlette.background import BackgroundTask

from app.db import Database
from app.db import reseal as reseal_rows
from app.errors import DomainError

__all__ = [
    "insert_once",
    "lock_open",
    "new_key",
    "reseal",
    "shuffle_storage_order",
    "store_anonymous",
    "use_once",
]

logger = logging.getLogger("cunyi")

ModelT = TypeVar("ModelT", bound=DeclarativeBase)


def _mapper(model: object) -> Mapper[Any]:
    """The mapper of a model class."""
    mapper: Mapper[Any] = sa_inspect(model)
    return mapper


def _key_name(model: object) -> str:
    """The attribute holding the anonymous row's (single-column) primary key."""
    mapper = _mapper(model)
    (column,) = mapper.primary_key
    return mapper.get_property_by_column(column).key


# --- casting ---------------------------------------------------------------------


def lock_open(
    session: Session,
    poll: DeclarativeBase,
    *state: InstrumentedAttribute[Any],
    is_open: Callable[[Row[Any]], bool],
    refused: DomainError,
    exclusive: bool = False,
) -> None:
    """Refuse with `refused` unless the poll is open, holding it open until this
    transaction ends.

    Reads the poll row's `state` columns FOR SHARE (FOR UPDATE with `exclusive`, for
    steps that must also exclude each other) and puts the values read into `poll`, so
    the object shows the state that was checked.
    """
    mapper = _mapper(type(poll))
    identity = sa_inspect(poll).identity
    if identity is None:
        raise ValueError("lock_open needs a poll that is in the database")
    where = [column == value for column, value in zip(mapper.primary_key, identity, strict=True)]
    row = session.execute(select(*state).where(*where).with_for_update(read=not exclusive)).one()
    for attribute, value in zip(state, row, strict=True):
        set_committed_value(poll, attribute.key, value)
    if not is_open(row):
        raise refused


def use_once(
    session: Session,
    use: ModelT,
    already_used: DomainError,
    *,
    prior_use: Select[Any] | None = None,
) -> ModelT:
    """Insert the single-use row; raise `already_used` when the credential was used.

    `prior_use`, a select of any column of an earlier use, refuses the common case
    without an insert. The unique constraint is what refuses a use racing this one: the
    insert runs in a savepoint, so the caller's transaction survives the refusal.
    """
    if prior_use is not None and session.scalar(prior_use) is not None:
        raise already_used
    try:
        with session.begin_nested():
            session.add(use)
    except IntegrityError:
        raise already_used from None
    return use


def insert_once(
    session: Session,
    model: type[DeclarativeBase],
    values: Mapping[str, Any],
    unique: Sequence[str],
    already_used: DomainError,
) -> None:
    """`use_once` in one statement, for the vote path: INSERT ... ON CONFLICT DO NOTHING
    on the single-use row's unique columns `unique`; nothing inserted means the
    credential was used (by an earlier request or one racing this one), and
    `already_used` is raised. No savepoint and no prior read: the caller has already
    read whether it was used, and the constraint decides the race.
    """
    dialect = session.get_bind().dialect.name
    key = (model, dialect, tuple(unique))
    statement = _INSERTS_ONCE.get(key)
    if statement is None:
        upsert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        table = _table(model)
        statement = (
            upsert(table)
            .on_conflict_do_nothing(index_elements=unique)
            .returning(*table.primary_key.columns)
        )
        _INSERTS_ONCE[key] = statement
    # RETURNING says whether a row went in (psycopg reports no rowcount for it).
    if session.connection().execute(statement, dict(values)).first() is None:
        raise already_used


# Built once per table and dialect: the vote path runs them on every cast.
_INSERTS_ONCE: dict[tuple[type[DeclarativeBase], str, tuple[str, ...]], Executable] = {}


def new_key() -> str:
    """A random key for an anonymous row: 32 hex digits, nothing about time or order."""
    return secrets.token_hex(16)


def store_anonymous(
    session: Session, model: type[ModelT], /, key: str | None = None, **values: Any
) -> ModelT:
    """Add the anonymous row of a choice under `key` (default: a new random key).

    `values` are its other columns: the poll and the choice, nothing that points at who
    chose. Not flushed: the caller flushes once its rows are added.
    """
    row = model(**{_key_name(model): key if key is not None else new_key()}, **values)
    session.add(row)
    return row


# --- closing ---------------------------------------------------------------------


def reseal(session: Session, poll_id: int, *poll_keys: InstrumentedAttribute[int]) -> None:
    """Give one poll's anonymous rows this transaction's id (PostgreSQL).

    `poll_keys` are the anonymous tables' columns naming the poll (Ballot.round_id, ...).
    Call it in the transaction that closes the poll; see app.db.reseal.
    """
    for poll_key in poll_keys:
        model = poll_key.class_
        reseal_rows(session, getattr(model, _key_name(model)), poll_key == poll_id)


def _table(model: type[DeclarativeBase]) -> Table:
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


def shuffle_storage_order(session: Session, tables: Sequence[type[DeclarativeBase]]) -> None:
    """On PostgreSQL, rewrite the anonymous tables in primary-key (random) order.

    Takes a short exclusive lock on the tables; closing a poll is rare. CLUSTER needs the
    tables' owner, and the app's role is not it (docs/deploy.md "PostgreSQL roles"): the
    SECURITY DEFINER function cunyi_shuffle (a migration) runs it as the owner, for the
    anonymous tables only. In a savepoint: if it fails (a role without EXECUTE on it),
    closing still succeeds and the operator is told in the log. Run it again once the
    close committed to drop the row versions the close replaced. SQLite: nothing to do.
    """
    if session.get_bind().dialect.name != "postgresql" or not tables:
        return
    found = [_table(model) for model in tables]
    try:
        with session.begin_nested():
            for table in found:
                session.execute(text("SELECT cunyi_shuffle(:name)"), {"name": table.name})
    except DBAPIError:
        names = "/".join(table.name for table in found)
        whose = "its" if len(found) == 1 else "their"
        logger.warning("could not CLUSTER %s; %s storage order is not shuffled", names, whose)


def shuffle_after_commit(
    database: Database, tables: Sequence[type[DeclarativeBase]]
) -> BackgroundTask:
    """For the response of the request that closed a poll: once the close has committed,
    shuffle the storage order again, which drops the row versions that still carry the
    choices' transaction ids (PostgreSQL). Failing here loses nothing: autovacuum drops
    them later."""

    def run() -> None:
        if database.is_sqlite:
            return
        try:
            with database.transaction() as session:
                shuffle_storage_order(session, tables)
        except Exception:
            names = ", ".join(_table(model).name for model in tables)
            logger.exception("re-clustering %s after closing a poll failed", names)

    return BackgroundTask(run)
