"""Survey secrecy, read from the migrated schema, as for ballots (DESIGN decision 1).

An answer sheet (survey_response) must carry nothing that could tie it to the villager
who gave it: the ballot checks of tests/ballots/test_secrecy.py apply, with the survey
as the one record it may point at. The record that someone answered
(survey_participation) must not point at an answer sheet.
"""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, text

from surveys import services
from surveys.models import Channel, SurveyResponse
from tests.ballots.test_secrecy import TIME_TYPES, linkage_problems
from tests.surveys.support import OPENED, open_survey, setting

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
        pytest.skip("SQLite only: PostgreSQL is covered by the CLUSTER test")
    sql = connection.scalar(
        text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'survey_response'")
    )
    assert "WITHOUT ROWID" in sql.upper()


def test_storage_order_after_closing_is_the_random_key_order(db, connection):
    s = setting(db)
    survey = open_survey(db, s)
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


def test_after_closing_no_answer_shares_a_transaction_id_with_a_participation(db):
    """PostgreSQL stamps each row with its writer's transaction id (xmin): an answer
    sheet carries the id of the transaction that also wrote its giver's participation
    (or the neighbouring id of its savepoint) until closing reseals the sheets."""
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

    # One id per answer, each next to its participation's: the link at stake.
    assert len(xmins("survey_response")) == len(s.adults)
    with db.begin_nested():
        services.close_survey(db, s.actor, survey, OPENED)
    resealed = xmins("survey_response")
    assert len(resealed) == 1 and not resealed & xmins("survey_participation")
    assert db.scalar(select(SurveyResponse.id).limit(1)) is not None
