"""The three secret choices behave the same (app.secret_choice): an election ballot, a
QR motion vote and a survey answer.

For each kind, through its real service functions and on the real database:

- single use under a race: simultaneous submissions with one credential store exactly
  one sealed choice and one use row, and opening the box gives one anonymous row;
- nothing links them: the anonymous row has no column pointing at a person or a
  credential, and (PostgreSQL) no anonymous row exists before the box is opened and none
  shares a transaction id (xmin) with a use row after.

Storage order and every other trace a holder of the database files could read are the
forensic tests' (tests/security/test_forensic_*.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import DeclarativeBase, Session

from app.actors import Actor
from app.db import Database, make_engine
from app.errors import DomainError
from app.registry.models import Person
from app.sealed_box import services as sealed_box
from ballots.exceptions import AlreadyVoted
from ballots.models import Ballot, Channel, Credential, CredentialUse, Receipt, Round
from ballots.results import services as results
from ballots.voting import casting
from meetings import votes
from meetings.models import Choice, Motion, MotionVote, MotionVoteUse
from surveys import services
from surveys.exceptions import AlreadyAnswered
from surveys.models import Survey, SurveyParticipation, SurveyResponse
from tests import factories
from tests.app.helpers import fresh_migrated_database
from tests.ballots.results_support import ELECTION_DAY, make_poll
from tests.ballots.test_secrecy import linkage_problems
from tests.meetings.votes_support import arrive, close_with_box, hall, motion
from tests.sealed_box_support import password_of, seal_new_box
from tests.surveys.support import close_and_open, open_survey, setting

SUBMISSIONS = 10
ANSWERS = {"1": 5, "2": 4, "3": 3, "4": 5}  # the built-in satisfaction survey


@dataclass
class Scene:
    """One open poll with voters who may each choose once."""

    poll_id: int
    voters: list[int]  # credential ids (ballots) or person ids (motions, surveys)
    close: Callable[[], object]


@dataclass(frozen=True)
class Kind:
    name: str
    poll_table: str
    poll_key: str  # the anonymous and use tables' column naming the poll
    uses: type[DeclarativeBase]
    anonymous: tuple[type[DeclarativeBase], ...]  # the first holds the choice itself
    refused: type[DomainError]
    prepare: Callable[[Session, int], Scene]
    choose: Callable[[Session, int, int], object]
    box_kind: str

    def sealed(self, session: Session, poll_id: int) -> int:
        """Sealed choices in the poll's box (a meeting's box: all its motions')."""
        box_poll = poll_id
        if self.box_kind == sealed_box.MEETING:
            found = session.get(Motion, poll_id)
            assert found is not None
            box_poll = votes.motion_item(session, found)[1].id
        return sealed_box.box_status(session, self.box_kind, box_poll).sealed_choices

    @property
    def tables(self) -> list[str]:
        return [str(model.__table__.name) for model in self.anonymous]

    @property
    def use_table(self) -> str:
        return str(self.uses.__table__.name)


# --- an election ballot ----------------------------------------------------------


def _election(db: Session, voters: int) -> Scene:
    poll = make_poll(db, voters=voters)
    holders = seal_new_box(db, sealed_box.ELECTION_ROUND, poll.round.id, poll.village)
    credentials = [poll.credentials[entry.id].id for entry in poll.entries]

    def close() -> None:
        results.close_voting(db, poll.actor, poll.round, ELECTION_DAY)
        passwords = {h.id: password_of(i) for i, h in enumerate(holders[:2])}
        results.open_ballot_box(db, poll.actor, poll.round, passwords)

    return Scene(poll.round.id, credentials, close)


def _cast_ballot(session: Session, round_id: int, credential_id: int) -> None:
    round_ = session.get(Round, round_id)
    credential = session.get(Credential, credential_id)
    assert round_ is not None and credential is not None
    casting.cast_online(session, round_, credential, ["甲"], Channel.ONLINE, today=ELECTION_DAY)


# --- a QR motion vote ------------------------------------------------------------


def _motion(db: Session, voters: int) -> Scene:
    h = hall(db, voters)
    arrive(db, h.meeting, *h.people)
    m = motion(db, h.item)
    return Scene(m.id, [p.id for p in h.people], lambda: close_with_box(db, Actor(label="测试"), m))


def _cast_motion_vote(session: Session, motion_id: int, person_id: int) -> None:
    m = session.get(Motion, motion_id)
    person = session.get(Person, person_id)
    assert m is not None and person is not None
    votes.cast_qr_vote(session, m, person, Choice.YES)


# --- a survey answer -------------------------------------------------------------


def _survey(db: Session, voters: int) -> Scene:
    s = setting(db, adults=voters)
    survey = open_survey(db, s)
    return Scene(
        survey.id,
        [p.id for p in s.adults],
        lambda: close_and_open(db, s, survey),
    )


def _answer(session: Session, survey_id: int, person_id: int) -> None:
    survey = session.get(Survey, survey_id)
    person = session.get(Person, person_id)
    assert survey is not None and person is not None
    services.answer_by_qr(session, survey, person, ANSWERS)


KINDS = [
    Kind(
        "election ballot",
        "election_round",
        "round_id",
        CredentialUse,
        (Ballot, Receipt),
        AlreadyVoted,
        _election,
        _cast_ballot,
        sealed_box.ELECTION_ROUND,
    ),
    Kind(
        "QR motion vote",
        "motion",
        "motion_id",
        MotionVoteUse,
        (MotionVote,),
        votes.MotionAlreadyVoted,
        _motion,
        _cast_motion_vote,
        sealed_box.MEETING,
    ),
    Kind(
        "survey answer",
        "survey",
        "survey_id",
        SurveyParticipation,
        (SurveyResponse,),
        AlreadyAnswered,
        _survey,
        _answer,
        sealed_box.SURVEY,
    ),
]


@pytest.fixture(params=KINDS, ids=[kind.name for kind in KINDS])
def kind(request: pytest.FixtureRequest) -> Kind:
    selected: Kind = request.param
    return selected


def _count(session: Session, model: type[DeclarativeBase], kind: Kind, poll_id: int) -> int:
    column = getattr(model, kind.poll_key)
    found = session.scalar(select(func.count()).select_from(model).where(column == poll_id))
    return int(found or 0)


def _postgresql_only(db: Session, what: str) -> None:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip(f"{what} is PostgreSQL's")


# --- (a) single use under a race -------------------------------------------------


def _submit(
    database: Database, kind: Kind, start: threading.Barrier, poll_id: int, voter_id: int
) -> str:
    session = database.session(write=True)
    try:
        if not database.is_sqlite:
            # Inside a transaction before the start, so the submissions really overlap.
            # (SQLite's writers take the one write lock at BEGIN: they queue.)
            session.execute(text("SELECT 1"))
        start.wait()
        kind.choose(session, poll_id, voter_id)
        session.commit()
        return "stored"
    except kind.refused:
        session.rollback()
        return "refused"
    finally:
        session.close()


def test_simultaneous_submissions_with_one_credential_store_one_choice(
    kind: Kind, tmp_path: Path
) -> None:
    with fresh_migrated_database(tmp_path, "secret_race") as url:
        database = Database(make_engine(url))
        try:
            with database.transaction() as session:
                factories.bind(session)
                scene = kind.prepare(session, 2)
            voter = scene.voters[0]
            start = threading.Barrier(SUBMISSIONS)
            with ThreadPoolExecutor(SUBMISSIONS) as pool:
                outcomes = list(
                    pool.map(
                        lambda _: _submit(database, kind, start, scene.poll_id, voter),
                        range(SUBMISSIONS),
                    )
                )
            assert sorted(outcomes) == ["refused"] * (SUBMISSIONS - 1) + ["stored"]
            with database.transaction(write=False) as session:
                assert _count(session, kind.uses, kind, scene.poll_id) == 1
                assert kind.sealed(session, scene.poll_id) == 1
                for model in kind.anonymous:  # nothing readable before the box is opened
                    assert _count(session, model, kind, scene.poll_id) == 0, model
        finally:
            database.dispose()


def test_a_second_choice_is_refused_and_stores_nothing(db: Session, kind: Kind) -> None:
    scene = kind.prepare(db, 2)
    kind.choose(db, scene.poll_id, scene.voters[0])
    with pytest.raises(kind.refused):
        kind.choose(db, scene.poll_id, scene.voters[0])
    kind.choose(db, scene.poll_id, scene.voters[1])
    assert _count(db, kind.uses, kind, scene.poll_id) == 2
    assert kind.sealed(db, scene.poll_id) == 2
    scene.close()
    for model in kind.anonymous:
        assert _count(db, model, kind, scene.poll_id) == 2, model


# --- (b) nothing linking --------------------------------------------------------


def test_the_anonymous_rows_hold_nothing_that_links_them_to_a_voter(connection, kind: Kind):
    inspector = sa_inspect(connection)
    for table in kind.tables:
        # The ballot check allows the round; the other kinds point at their poll instead.
        expected = set()
        if kind.poll_key != "round_id":
            expected = {
                f"{table}.{kind.poll_key}: an id of another record",
                f"{table}.{kind.poll_key}: a number could be a time or a casting sequence",
                f"{table}: foreign key to {kind.poll_table}",
            }
        assert set(linkage_problems(inspector, table)) - expected == set(), table
        referred = {key["referred_table"] for key in inspector.get_foreign_keys(table)}
        assert referred == {kind.poll_table}, table
    # And the record that someone chose never points at what was chosen.
    referred = {key["referred_table"] for key in inspector.get_foreign_keys(kind.use_table)}
    assert not referred & set(kind.tables)


def test_after_closing_no_anonymous_row_shares_a_transaction_id_with_a_use(
    db: Session, kind: Kind
) -> None:
    _postgresql_only(db, "xmin")
    scene = kind.prepare(db, 3)
    for voter in scene.voters:
        with db.begin_nested():  # each choice in its own (sub)transaction, as in requests
            kind.choose(db, scene.poll_id, voter)

    def xmins(table: str) -> set[str]:
        query = f"SELECT xmin::text FROM {table} WHERE {kind.poll_key} = :p"
        return set(db.scalars(text(query), {"p": scene.poll_id}))

    # Before the close nothing readable exists: each choice is sealed.
    assert xmins(kind.tables[0]) == set()
    with db.begin_nested():
        scene.close()
    uses = xmins(kind.use_table)
    assert len(uses) == len(scene.voters)
    for table in kind.tables:
        opened = xmins(table)
        assert len(opened) == 1, table  # all written by the transaction opening the box
        assert not opened & uses, table


# --- (c) storage


def test_sqlite_stores_the_anonymous_rows_in_key_order(connection, kind: Kind) -> None:
    """SQLite needs no CLUSTER: a WITHOUT ROWID table is stored in primary-key order."""
    if connection.dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL is covered by the CLUSTER test")
    for table in kind.tables:
        sql = connection.scalar(
            text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": table}
        )
        assert "WITHOUT ROWID" in sql.upper(), table
