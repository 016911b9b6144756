"""Ten simultaneous submissions through one QR slip seal exactly one answer sheet.

Runs on its own committed database (SQLite file or PostgreSQL schema, whichever the
suite runs on), one session per thread, as the app's workers would.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import func, select
from starlette.datastructures import Secret

from app.db import Database, make_engine
from app.settings import Settings
from slips.services import resolve_slip
from surveys import services
from surveys.exceptions import AlreadyAnswered
from surveys.models import Survey, SurveyParticipation, SurveyResponse
from tests import factories
from tests.app.helpers import fresh_migrated_database
from tests.surveys.support import open_survey, sealed_sheets, setting

SUBMISSIONS = 10
ANSWERS = {"1": 5, "2": 4, "3": 3, "4": 5}


def _prepare(database: Database, settings: Settings) -> tuple[int, str]:
    with database.transaction() as session:
        factories.bind(session)
        s = setting(session, settings)
        survey = open_survey(session, s)
        return survey.id, s.tokens[s.adults[0].id]


def _submit(
    database: Database, settings: Settings, start: threading.Barrier, survey_id: int, token: str
) -> str:
    session = database.session(write=True)
    try:
        if not database.is_sqlite:
            # Inside a transaction before the start, so all ten really overlap.
            session.get(Survey, survey_id)
        start.wait()
        access = resolve_slip(session, settings, token)
        survey = session.get(Survey, survey_id)
        assert survey is not None
        services.answer_by_qr(session, survey, access.person, ANSWERS)
        session.commit()
        return "stored"
    except AlreadyAnswered:
        session.rollback()
        return "already answered"
    finally:
        session.close()


def test_ten_simultaneous_answers_with_one_slip_seal_one_sheet(tmp_path: Path):
    with fresh_migrated_database(tmp_path, "survey_race") as url:
        database = Database(make_engine(url))
        settings = Settings(
            database_url=url, secret_key=Secret("race-" + uuid.uuid4().hex), data_dir=tmp_path
        )
        try:
            survey_id, token = _prepare(database, settings)
            start = threading.Barrier(SUBMISSIONS)
            with ThreadPoolExecutor(SUBMISSIONS) as pool:
                outcomes = list(
                    pool.map(
                        lambda _: _submit(database, settings, start, survey_id, token),
                        range(SUBMISSIONS),
                    )
                )
            assert sorted(outcomes) == ["already answered"] * (SUBMISSIONS - 1) + ["stored"]
            with database.transaction(write=False) as session:
                participations = select(func.count()).select_from(SurveyParticipation)
                assert session.scalar(participations) == 1
                survey = session.get(Survey, survey_id)
                assert survey is not None and sealed_sheets(session, survey) == 1
                # Sealed until a key holder opens the box after the close.
                assert session.scalar(select(func.count()).select_from(SurveyResponse)) == 0
        finally:
            database.dispose()
