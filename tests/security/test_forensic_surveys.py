"""Forensics (issue 12): whoever holds the database cannot tell what anyone answered in a
survey, while it runs or after its box was opened.

As tests/security/test_forensic_ballots.py, for a satisfaction survey: 30 villagers
answer by QR slip in a known order, one transaction per answer sheet, each sheet
different from every other (so chance pairs one voter of 30 with their own sheet),
sealed into the survey's box (surveys.answering, surveys.box). The adversary copies the
files (or reads as a superuser) while answering runs, after the organizer closed the
survey and a key holder opened its box, and after the scrub the web layer runs then.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select

from app.accounts.models import StaffUser
from app.actors import actor_for
from app.db import Database, make_engine
from app.registry.models import Person
from app.sealed_box import services as sealed_box
from app.sealed_box.models import SealedChoice
from app.settings import load_or_create_secret_key
from surveys import box, rules, services
from surveys.models import Survey
from tests import factories
from tests.app.helpers import fresh_migrated_database
from tests.sealed_box_support import password_of
from tests.security import forensics
from tests.security.forensics import SEALED, SURVEYS, Adversary
from tests.surveys import support

VOTERS = 30
SEED = 20261204


@dataclass
class Poll:
    survey_id: int
    box_id: int
    organizer_id: int
    holder_ids: list[int]
    holder_names: list[str]
    person_ids: list[int]
    questions: list[int]  # positions


@dataclass
class Truth:
    sheets: dict[int, str] = field(default_factory=dict)  # person id -> canonical answers
    sealed: dict[int, str] = field(default_factory=dict)  # person id -> the sealed row added


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[Database, str]]:
    with fresh_migrated_database(tmp_path, "forensic_surveys") as url:
        database = Database(make_engine(url))
        try:
            yield database, url
        finally:
            database.dispose()


def _prepare(database: Database) -> Poll:
    with database.transaction() as session:
        factories.bind(session)
        s = support.setting(session, adults=VOTERS)
        survey = support.open_survey(session, s)  # its box sealed
        found = sealed_box.find_box(session, box.KIND, survey.id)
        assert found is not None and found.sealed_at is not None
        return Poll(
            survey.id,
            found.id,
            s.organizer.id,
            [h.id for h in s.holders],
            [h.display_name for h in s.holders],
            [p.id for p in s.adults],
            [q.position for q in survey.questions],
        )


def _sheets(poll: Poll, rng: random.Random) -> list[dict[str, int]]:
    """30 different sheets of the satisfaction survey's four 1-to-5 scales: the first
    question 1, 3 or 5 (ten each), the next two telling the ten apart."""
    assert len(poll.questions) >= 3
    first, second, third, *rest = [str(p) for p in poll.questions]
    sheets = []
    for i in range(VOTERS):
        j = i // 3
        sheet = {first: 1 + 2 * (i % 3), second: 1 + j % 5, third: 1 + j // 5}
        sheet |= {q: rng.randint(1, 5) for q in rest}
        sheets.append(sheet)
    rng.shuffle(sheets)
    return sheets


def _sealed_ids(database: Database, box_id: int) -> set[str]:
    with database.transaction(write=False) as session:
        return set(session.scalars(select(SealedChoice.id).where(SealedChoice.box_id == box_id)))


def _answer_all(database: Database, poll: Poll) -> Truth:
    rng = random.Random(SEED)
    order = list(poll.person_ids)
    rng.shuffle(order)
    truth = Truth()
    before = _sealed_ids(database, poll.box_id)
    for person_id, sheet in zip(order, _sheets(poll, rng), strict=True):
        with database.transaction() as session:
            survey = session.get(Survey, poll.survey_id)
            person = session.get(Person, person_id)
            assert survey is not None and person is not None
            services.answer_by_qr(session, survey, person, sheet)
        truth.sheets[person_id] = rules.canonical_answers(sheet)
        after = _sealed_ids(database, poll.box_id)
        (added,) = after - before
        truth.sealed[person_id] = added
        before = after
    assert len(set(truth.sheets.values())) == VOTERS
    return truth


def _needles(truth: Truth) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """A sheet in clear: as survey_response stores it (in this database's own files),
    and as the sealing payload holds it (anywhere)."""
    private = {f"sheet {s}": s.encode() for s in truth.sheets.values()}
    unique = {
        f"the payload of sheet {s}": json.dumps(
            {"source": "qr", "answers": s}, ensure_ascii=False, sort_keys=True
        ).encode()
        for s in truth.sheets.values()
    }
    return private, unique


def test_whoever_holds_the_database_cannot_link_answer_sheets_to_villagers(
    database: tuple[Database, str], tmp_path: Path
) -> None:
    db, url = database
    poll = _prepare(db)
    secret_key = load_or_create_secret_key(tmp_path / "data")
    key_file = (tmp_path / "data" / "secret.key").read_bytes()
    adversary = Adversary(
        url,
        tmp_path / "copies",
        SURVEYS,
        {
            "survey_participation": poll.survey_id,
            "survey_response": poll.survey_id,
            "sealed_choice": poll.box_id,
        },
    )
    verdict = forensics.Verdict()
    try:
        truth = _answer_all(db, poll)
        truth_tables = {"survey_response": truth.sheets}

        mid = adversary.look("while answering runs", (SEALED,))
        verdict.mid_vote(
            mid,
            truth_tables,
            truth.sealed,
            _needles(truth),
            box_id=poll.box_id,
            extra_material=[key_file, secret_key],
            password_guesses=[secret_key, "12345678", poll.holder_names[0]],
        )

        # The organizer closes the survey; one key holder opens its box (k = 1).
        with db.transaction() as session:
            survey = session.get(Survey, poll.survey_id)
            organizer = session.get(StaffUser, poll.organizer_id)
            assert survey is not None and organizer is not None
            services.close_survey(session, actor_for(organizer), survey, support.OPENED)
        with db.transaction() as session:
            survey = session.get(Survey, poll.survey_id)
            opener = session.get(StaffUser, poll.holder_ids[0])
            assert survey is not None and opener is not None
            opened_count = box.open_box(
                session, actor_for(opener), survey, opener.id, {opener.id: password_of(0)}
            )
            assert opened_count == VOTERS
        opened = adversary.look("after opening, before the scrub", (SEALED,))
        verdict.linking(opened, truth_tables)

        sealed_box.scrub(db)
        after = adversary.look("after the scrub", (SEALED,))
        assert len(after.findings.values.get("survey_response", {})) == VOTERS, "sheets read"
        verdict.linking(after, truth_tables)
        verdict.no_sealed_traces(mid, after, poll.box_id)
    finally:
        adversary.close()
    print(verdict.report(mid, opened, after))
    assert not verdict.problems, "\n".join(
        [*verdict.problems, "", verdict.report(mid, opened, after)]
    )
