"""Survey secrecy, read from the migrated schema, as for ballots (DESIGN decision 1).

An answer sheet (survey_response) must carry nothing that could tie it to the villager
who gave it: the ballot checks of tests/ballots/test_secrecy.py apply, with the survey
as the one record it may point at. The record that someone answered
(survey_participation) must not point at an answer sheet. The sheets are sealed while
the survey runs and written only when a key holder opens the box, all in one
transaction and in an order that is not the answering order.
"""

from __future__ import annotations

import json
import secrets

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, text

from surveys import services
from surveys.models import Channel, SurveyResponse, SurveyStatus
from tests.ballots.test_secrecy import TIME_TYPES, linkage_problems
from tests.surveys.support import (
    OPENED,
    close_and_open,
    new_survey,
    open_survey,
    sealed_sheets,
    setting,
)

# The ballot check allows `round_id` and a key to election_round; an answer sheet has
# `survey_id` and a key to survey instead. Exactly these findings are expected for it.
SURVEY_KEY = {
    "survey_response.survey_id: an id of another record",
    "survey_response.survey_id: a number could be a time or a casting sequence",
    "survey_response: foreign key to survey",
}


def test_an_answer_sheet_holds_nothing_that_links_it_to_a_person(connection):
    inspector = sa_inspect(connection)
    problems = set(linkage_problems(inspector, "survey_response"))
    assert problems - SURVEY_KEY == set()
    referred = {key["referred_table"] for key in inspector.get_foreign_keys("survey_response")}
    assert referred == {"survey"}


def test_a_participation_never_points_at_an_answer_sheet(connection):
    inspector = sa_inspect(connection)
    referred = {k["referred_table"] for k in inspector.get_foreign_keys("survey_participation")}
    assert referred == {"survey", "person"}
    columns = inspector.get_columns("survey_participation")
    assert not [c for c in columns if "response" in c["name"] or "answer" in c["name"]]
    assert not [c for c in columns if isinstance(c["type"], TIME_TYPES)]


def test_sqlite_stores_answer_sheets_in_random_key_order(connection):
    if connection.dialect.name != "sqlite":
        pytest.skip("SQLite only: on PostgreSQL the order is the forensic tests' (tests/security)")
    sql = connection.scalar(
        text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'survey_response'")
    )
    assert "WITHOUT ROWID" in sql.upper()


def test_closing_a_survey_opened_before_sealing_puts_its_sheets_in_key_order(db, connection):
    """A survey opened by an earlier version (no box) had its sheets stored open, in
    answering order: closing it still rewrites them in random-key order (PostgreSQL)."""
    s = setting(db)
    survey = new_survey(db, s)
    survey.status = SurveyStatus.OPEN
    keys = sorted((secrets.token_hex(16) for _ in range(20)), reverse=True)
    for key in keys:
        db.add(SurveyResponse(id=key, survey_id=survey.id, source=Channel.PAPER, answers="{}"))
        db.flush()
    services.close_survey(db, s.actor, survey, OPENED)
    stored = list(
        connection.scalars(
            text("SELECT id FROM survey_response WHERE survey_id = :s"), {"s": survey.id}
        )
    )
    assert stored == sorted(keys)


def _sheet(index: int) -> dict[str, int]:
    """A different answer sheet for each index below 5**4."""
    return {str(q): 1 + (index // 5 ** (q - 1)) % 5 for q in range(1, 5)}


def _storage_order(db) -> str:
    return "ctid" if db.get_bind().dialect.name == "postgresql" else "id"


def test_opened_sheets_are_not_stored_in_answering_order(db):
    s = setting(db, adults=12)
    survey = open_survey(db, s)
    given = []
    for index, person in enumerate(s.adults):
        with db.begin_nested():  # each answer in its own transaction, as in requests
            services.answer_by_qr(db, survey, person, _sheet(index))
        given.append(json.dumps(_sheet(index), sort_keys=True, separators=(",", ":")))
    assert db.scalar(select(SurveyResponse.id).where(SurveyResponse.survey_id == survey.id)) is None
    with db.begin_nested():
        close_and_open(db, s, survey)
    query = (
        f"SELECT answers FROM survey_response WHERE survey_id = :s ORDER BY {_storage_order(db)}"
    )
    stored = list(db.scalars(text(query), {"s": survey.id}))
    assert sorted(stored) == sorted(given)
    assert stored != given and stored != given[::-1]
    assert sealed_sheets(db, survey) == 0


def test_after_opening_no_answer_shares_a_transaction_id_with_a_participation(db):
    """PostgreSQL stamps each row with its writer's transaction id (xmin): the sheets are
    written by the one transaction that opens the box, long after every participation."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("xmin is PostgreSQL's")
    s = setting(db)
    survey = open_survey(db, s)
    for person in s.adults:
        with db.begin_nested():  # each answer in its own transaction, as in requests
            services.answer_by_qr(db, survey, person, {"1": 5, "2": 4, "3": 3, "4": 5})

    def xmins(table):
        query = f"SELECT xmin::text FROM {table} WHERE survey_id = :s"
        return set(db.scalars(text(query), {"s": survey.id}))

    assert xmins("survey_response") == set()  # nothing open while answering
    with db.begin_nested():
        close_and_open(db, s, survey)
    opened = xmins("survey_response")
    assert len(opened) == 1 and not opened & xmins("survey_participation")
    assert len(db.scalars(select(SurveyResponse.id)).all()) == len(s.adults)
