"""Ballot secrecy, read from the migrated schema (DESIGN decision 1).

A ballot or receipt row must carry nothing that could tie it to a voter, a credential,
a person, a staff user or a moment finer than a day, and its storage order must not be
its casting order: while voting is open a ballot is only sealed in the round's box, and
the ballots and receipts are all written, shuffled, when the tellers open it. These tests read the database the migrations built (the SQLAlchemy
inspector), so a column added by a model change or a hand-written migration fails here.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Column, Date, DateTime, ForeignKey, Integer, MetaData, String, Table, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Inspector
from sqlalchemy.sql import sqltypes

from app.actors import Actor
from ballots.models import Channel
from ballots.paper import mobile
from ballots.results import services as results
from ballots.setup import credentials
from ballots.voting import casting
from tests import factories
from tests.ballots import factories_elections as fe
from tests.ballots.paper_support import make_scene

SECRET_TABLES = ("ballot", "receipt")
# Words in a column name that point at a person or a credential.
LINKING_WORDS = (
    "voter",
    "person",
    "credential",
    "roll",
    "slip",
    "staff",
    "user",
    "teller",
    "proxy",
    "entrust",
    "household",
    "address",
    "token",
)
TIME_TYPES = (sqltypes.DateTime, sqltypes.Time, sqltypes.Interval)
NUMBER_TYPES = (sqltypes.Integer, sqltypes.Numeric, sqltypes.Float)


def linkage_problems(inspector: Inspector, table: str) -> list[str]:
    """Every column, key or default of `table` that could link a row to a voter or a time."""
    problems = []
    for column in inspector.get_columns(table):
        name, kind = column["name"], column["type"]
        where = f"{table}.{name}"
        if isinstance(kind, TIME_TYPES) or "TIME" in str(kind).upper():
            problems.append(f"{where}: a time finer than a day ({kind})")
        if name.endswith("_id") and name != "round_id":
            problems.append(f"{where}: an id of another record")
        if isinstance(kind, NUMBER_TYPES) and name != "round_id":
            problems.append(f"{where}: a number could be a time or a casting sequence")
        if any(word in name.lower() for word in LINKING_WORDS):
            problems.append(f"{where}: names a voter, credential or staff member")
        default = str(column.get("default") or "").lower()
        if "now" in default or "current_" in default:
            problems.append(f"{where}: defaults to the current time")
    for key in inspector.get_foreign_keys(table):
        if key["referred_table"] != "election_round":
            problems.append(f"{table}: foreign key to {key['referred_table']}")
    primary = inspector.get_pk_constraint(table)["constrained_columns"]
    types = {c["name"]: c["type"] for c in inspector.get_columns(table)}
    if any(isinstance(types[name], NUMBER_TYPES) for name in primary):
        problems.append(f"{table}: a numeric primary key grows in casting order")
    return problems


def test_ballot_and_receipt_hold_nothing_that_links_them(connection):
    inspector = sa_inspect(connection)
    assert set(SECRET_TABLES) <= set(inspector.get_table_names())
    for table in SECRET_TABLES:
        assert linkage_problems(inspector, table) == [], table


def test_the_check_catches_linking_columns(connection):
    """Guards the test above: a ballot table with the wrong columns is reported."""
    metadata = MetaData()
    # Stand-ins so the foreign keys resolve; only the cheating table is created.
    for existing in ("election_round", "credential"):
        Table(existing, metadata, Column("id", Integer, primary_key=True))
    cheat = Table(
        "cheat_ballot",
        metadata,
        Column("seq", Integer, primary_key=True),
        Column("round_id", Integer, ForeignKey("election_round.id")),
        Column("credential_id", Integer, ForeignKey("credential.id")),
        Column("cast_at", DateTime),
        Column("voter_name", String(50)),
        Column("cast_on", Date),
    )
    metadata.create_all(connection, tables=[cheat])
    problems = "\n".join(linkage_problems(sa_inspect(connection), "cheat_ballot"))
    assert "cheat_ballot.cast_at: a time finer than a day" in problems
    assert "cheat_ballot.credential_id: an id of another record" in problems
    assert "foreign key to credential" in problems
    assert "cheat_ballot.voter_name: names a voter" in problems
    assert "numeric primary key" in problems
    assert "cast_on" not in problems


def test_a_credential_use_never_points_at_a_ballot_or_receipt(connection):
    inspector = sa_inspect(connection)
    referred = {key["referred_table"] for key in inspector.get_foreign_keys("credential_use")}
    assert referred == {"credential", "election_round"}
    names = {column["name"] for column in inspector.get_columns("credential_use")}
    assert not [n for n in names if "ballot" in n or "receipt" in n]
    used_on = next(c for c in inspector.get_columns("credential_use") if c["name"] == "used_on")
    assert not isinstance(used_on["type"], TIME_TYPES)


def test_sqlite_stores_ballots_in_random_key_order(connection):
    if connection.dialect.name != "sqlite":
        pytest.skip("SQLite only: on PostgreSQL see the storage-order test after opening")
    for table in SECRET_TABLES:
        sql = connection.scalar(
            text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": table}
        )
        assert "WITHOUT ROWID" in sql.upper(), table


def test_a_sealed_ballot_row_holds_only_its_box_and_ciphertext(connection):
    """While voting is open a ballot is a sealed_choice row: a random key, its box and
    ciphertext; nothing that says who cast it or when."""
    inspector = sa_inspect(connection)
    columns = {c["name"]: c["type"] for c in inspector.get_columns("sealed_choice")}
    assert set(columns) == {"id", "box_id", "sealed"}
    assert not isinstance(columns["id"], NUMBER_TYPES)
    assert inspector.get_pk_constraint("sealed_choice")["constrained_columns"] == ["id"]
    assert {k["referred_table"] for k in inspector.get_foreign_keys("sealed_choice")} == {
        "sealed_box"
    }
    if connection.dialect.name == "sqlite":
        sql = connection.scalar(
            text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'sealed_choice'")
        )
        assert "WITHOUT ROWID" in sql.upper()


WRITE_INS = (
    "赵一",
    "钱二",
    "孙三",
    "李四",
    "周五",
    "吴六",
    "郑七",
    "王八",
    "冯九",
    "陈十",
    "褚甲",
    "卫乙",
)


def _cast_each(db, v, ballots):
    """One vote per voter, each in its own (sub)transaction as in requests; the receipts."""
    receipts = []
    for entry, marks in zip(v.entries, ballots, strict=True):
        credential = credentials.credential_for(db, v.election, entry)
        with db.begin_nested():
            receipts.append(casting.cast_online(db, v.round, credential, marks, Channel.ONLINE))
    return receipts


def test_storage_order_after_opening_is_not_the_casting_order(db, connection):
    v = fe.voting(db, voters=len(WRITE_INS))
    receipts = _cast_each(db, v, [[name] for name in WRITE_INS])
    results.close_voting(db, Actor(label="组织者"), v.round)
    assert fe.open_box(db, v.round) == len(WRITE_INS)
    # No ORDER BY: the rows come back in the order they are stored.
    stored_marks = [
        json.loads(marks)[0]
        for marks in connection.scalars(
            text("SELECT marks FROM ballot WHERE round_id = :r"), {"r": v.round.id}
        )
    ]
    stored_receipts = list(
        connection.scalars(text("SELECT code FROM receipt WHERE round_id = :r"), {"r": v.round.id})
    )
    assert sorted(stored_marks) == sorted(WRITE_INS) and stored_marks != list(WRITE_INS)
    assert sorted(stored_receipts) == sorted(receipts) and stored_receipts != receipts
    if connection.dialect.name == "sqlite":  # WITHOUT ROWID: stored in random-key order
        ids = list(
            connection.scalars(text("SELECT id FROM ballot WHERE round_id = :r"), {"r": v.round.id})
        )
        assert ids == sorted(ids)


def test_no_ballot_or_receipt_shares_a_transaction_id_with_a_credential_use(db):
    """PostgreSQL stamps each row with its writer's transaction id (xmin). A vote writes
    the voter's credential use and a sealed row; the ballot and receipt are written by
    the opening of the box, in a transaction of their own."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("xmin is PostgreSQL's")
    v = fe.voting(db, voters=3)
    _cast_each(db, v, [["张三"]] * 3)

    def xmins(table):
        query = f"SELECT xmin::text FROM {table} WHERE round_id = :r"
        return set(db.scalars(text(query), {"r": v.round.id}))

    assert len(xmins("credential_use")) == 3
    results.close_voting(db, Actor(label="组织者"), v.round)
    with db.begin_nested():
        fe.open_box(db, v.round)
    assert len(xmins("ballot")) == len(xmins("receipt")) == 1
    assert not (xmins("ballot") | xmins("receipt")) & xmins("credential_use")


# 代写 (ballots.paper.help): the help names the voter and the helper, never the ballot.
BALLOT_COLUMNS = {
    "ballot": {"id", "round_id", "source", "marks", "cast_on"},
    "receipt": {"code", "round_id"},
}


def test_a_ballot_written_with_help_is_stored_like_any_other(db, connection):
    inspector = sa_inspect(connection)
    # The help adds no column to the ballot or the receipt, and nothing refers to it.
    columns = {t: {c["name"] for c in inspector.get_columns(t)} for t in SECRET_TABLES}
    assert columns == BALLOT_COLUMNS
    referring = [
        table
        for table in inspector.get_table_names()
        if "ballot_help" in {k["referred_table"] for k in inspector.get_foreign_keys(table)}
    ]
    assert referring == []
    helped = {k["referred_table"] for k in inspector.get_foreign_keys("ballot_help")}
    assert helped == {"election_round", "roll_entry", "person"}
    kinds = {c["name"]: c["type"] for c in inspector.get_columns("ballot_help")}
    assert not [n for n in kinds if any(w in n for w in ("ballot", "receipt", "mark", "choice"))]
    assert not isinstance(kinds["recorded_on"], TIME_TYPES)

    # Two homebound voters vote alike, one of them with help: their ballots cannot be
    # told apart but by their random ids.
    scene = make_scene(db)
    helper = factories.PersonFactory(
        household=factories.HouseholdFactory(village_id=scene.village.id), name="代写人"
    )
    for entry in scene.entries[:2]:
        mobile.set_homebound(db, scene.actor, entry, True)
    mobile.cast_at_mobile_box(db, scene.round, scene.entries[0], ["乙"], helper=helper)
    mobile.cast_at_mobile_box(db, scene.round, scene.entries[1], ["乙"])
    results.close_voting(db, scene.actor, scene.round)
    assert fe.open_box(db, scene.round) == 2
    rows = connection.execute(
        text("SELECT * FROM ballot WHERE round_id = :r"), {"r": scene.round.id}
    ).mappings()
    stored = [{k: v for k, v in row.items() if k != "id"} for row in rows]
    assert len(stored) == 2 and stored[0] == stored[1]
