"""Satisfaction and awareness figures from closed surveys (definitions: issue 6).

Satisfaction (per measure know / take_part / supervise / overall): over a village's
closed satisfaction surveys of the year, satisfied answers (4 or 5) / answers to scale
questions with that measure. Sample = answers; respondents = answer sheets.

Awareness (cadre / villager quiz): over the closed quizzes of that kind and year, for
each answer sheet and each quiz question (measure awareness), correct iff the chosen
option set equals the set of correct options (unanswered = wrong); rate = correct /
(sheets x quiz questions), summed across surveys. Sample = answer sheets.

A closed survey whose answer sheets are still in its sealed box (surveys.box: no key
holder has opened it yet) counts for nothing, as an open one does, because nothing in it
can be read; unlike an open one it is named in the figure's `awaiting`, so a report can
say that answers are waiting for the key holders (待保管人开箱) instead of showing none.

The counting is plain functions over `SurveyData`; `figures_for` loads them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.box import sealed_survey_ids
from surveys.models import (
    Measure,
    Option,
    Question,
    QuestionType,
    Survey,
    SurveyKind,
    SurveyResponse,
    SurveyStatus,
)

SATISFACTION_MEASURES: dict[str, Measure] = {
    "satisfaction_know": Measure.KNOW,
    "satisfaction_take_part": Measure.TAKE_PART,
    "satisfaction_supervise": Measure.SUPERVISE,
    "satisfaction_overall": Measure.OVERALL,
}
AWARENESS_KINDS: dict[str, SurveyKind] = {
    "awareness_cadre": SurveyKind.AWARENESS_CADRE,
    "awareness_villager": SurveyKind.AWARENESS_VILLAGER,
}
SATISFIED = frozenset({4, 5})

Answer = int | list[int]


@dataclass(frozen=True)
class QuestionData:
    position: int
    qtype: QuestionType
    measure: Measure
    correct: frozenset[int] = frozenset()  # positions of the correct options


@dataclass(frozen=True)
class SurveyData:
    id: int
    title: str
    kind: SurveyKind
    year: int
    village_id: int
    questions: tuple[QuestionData, ...]
    sheets: tuple[Mapping[str, Answer], ...]  # one mapping per answer sheet
    sealed: bool = False  # closed, its sheets still in the sealed box: not counted


@dataclass(frozen=True)
class SurveyRef:
    id: int
    title: str


@dataclass(frozen=True)
class SurveyFigure:
    code: str
    numerator: int
    denominator: int
    sample: int
    respondents: int
    surveys: tuple[SurveyRef, ...] = field(default_factory=tuple)
    # Closed surveys of this kind whose sheets wait for a key holder to open the box.
    awaiting: tuple[SurveyRef, ...] = field(default_factory=tuple)

    @property
    def value(self) -> Fraction | None:
        return Fraction(self.numerator, self.denominator) if self.denominator else None


def parse_answers(text: str) -> dict[str, Answer]:
    """An answer sheet's JSON ({"1":[2],"3":4}); anything malformed counts as unanswered."""
    try:
        loaded = json.loads(text)
    except ValueError:
        return {}
    return dict(loaded) if isinstance(loaded, dict) else {}


def is_correct(answer: object, correct: frozenset[int]) -> bool:
    """Right only when exactly the correct options were chosen; no answer is wrong."""
    if not isinstance(answer, list) or not answer or not correct:
        return False
    return frozenset(answer) == correct


def _scale_value(answer: object) -> int | None:
    if isinstance(answer, bool) or not isinstance(answer, int):
        return None
    return answer if 1 <= answer <= 5 else None


def satisfaction(code: str, surveys: Iterable[SurveyData]) -> SurveyFigure:
    measure = SATISFACTION_MEASURES[code]
    satisfied = answered = respondents = 0
    refs: list[SurveyRef] = []
    awaiting: list[SurveyRef] = []
    for survey in surveys:
        if survey.kind is not SurveyKind.SATISFACTION:
            continue
        if survey.sealed:
            awaiting.append(SurveyRef(survey.id, survey.title))
            continue
        refs.append(SurveyRef(survey.id, survey.title))
        respondents += len(survey.sheets)
        keys = [
            str(q.position)
            for q in survey.questions
            if q.qtype is QuestionType.SCALE and q.measure is measure
        ]
        for sheet in survey.sheets:
            for key in keys:
                value = _scale_value(sheet.get(key))
                if value is not None:
                    answered += 1
                    satisfied += value in SATISFIED
    return SurveyFigure(
        code, satisfied, answered, answered, respondents, tuple(refs), tuple(awaiting)
    )


def awareness(code: str, surveys: Iterable[SurveyData]) -> SurveyFigure:
    kind = AWARENESS_KINDS[code]
    correct = possible = sheets = 0
    refs: list[SurveyRef] = []
    awaiting: list[SurveyRef] = []
    for survey in surveys:
        if survey.kind is not kind:
            continue
        if survey.sealed:
            awaiting.append(SurveyRef(survey.id, survey.title))
            continue
        refs.append(SurveyRef(survey.id, survey.title))
        quiz = [q for q in survey.questions if q.measure is Measure.AWARENESS]
        sheets += len(survey.sheets)
        possible += len(survey.sheets) * len(quiz)
        for sheet in survey.sheets:
            correct += sum(is_correct(sheet.get(str(q.position)), q.correct) for q in quiz)
    return SurveyFigure(code, correct, possible, sheets, sheets, tuple(refs), tuple(awaiting))


def figures(surveys: Sequence[SurveyData]) -> dict[str, SurveyFigure]:
    """Every survey standard over the given (closed, same village and year) surveys."""
    result = {code: awareness(code, surveys) for code in AWARENESS_KINDS}
    result.update({code: satisfaction(code, surveys) for code in SATISFACTION_MEASURES})
    return result


# --- loading ---------------------------------------------------------------------------

_KINDS = (SurveyKind.SATISFACTION, SurveyKind.AWARENESS_CADRE, SurveyKind.AWARENESS_VILLAGER)


def load(session: Session, village_ids: Sequence[int], year: int | None = None) -> list[SurveyData]:
    """The closed surveys that feed standards, with questions and answer sheets (none,
    and `sealed`, for those whose box no key holder has opened yet)."""
    if not village_ids:
        return []
    stmt = select(Survey).where(
        Survey.village_id.in_(village_ids),
        Survey.status == SurveyStatus.CLOSED,
        Survey.kind.in_(_KINDS),
    )
    if year is not None:
        stmt = stmt.where(Survey.year == year)
    surveys = list(session.scalars(stmt.order_by(Survey.id)))
    ids = [s.id for s in surveys]
    if not ids:
        return []
    sealed = sealed_survey_ids(session, ids)
    questions: dict[int, list[Question]] = defaultdict(list)
    for question in session.scalars(select(Question).where(Question.survey_id.in_(ids))):
        questions[question.survey_id].append(question)
    correct: dict[int, set[int]] = defaultdict(set)
    question_ids = [q.id for qs in questions.values() for q in qs]
    if question_ids:
        rows = session.execute(
            select(Option.question_id, Option.position).where(
                Option.question_id.in_(question_ids), Option.correct.is_(True)
            )
        )
        for question_id, position in rows:
            correct[question_id].add(position)
    sheets: dict[int, list[dict[str, Answer]]] = defaultdict(list)
    for survey_id, text in session.execute(
        select(SurveyResponse.survey_id, SurveyResponse.answers).where(
            SurveyResponse.survey_id.in_([i for i in ids if i not in sealed])
        )
    ):
        sheets[survey_id].append(parse_answers(text))
    return [
        SurveyData(
            id=s.id,
            title=s.title,
            kind=s.kind,
            year=s.year,
            village_id=s.village_id,
            questions=tuple(
                QuestionData(q.position, q.qtype, q.measure, frozenset(correct[q.id]))
                for q in sorted(questions[s.id], key=lambda q: q.position)
            ),
            sheets=tuple(sheets[s.id]),
            sealed=s.id in sealed,
        )
        for s in surveys
    ]


def figures_for(session: Session, village_id: int, year: int) -> dict[str, SurveyFigure]:
    return figures(load(session, [village_id], year))


def figures_by_village_year(
    session: Session, village_ids: Sequence[int]
) -> dict[tuple[int, int], dict[str, SurveyFigure]]:
    """Every (village, year) that has closed surveys, for rankings and trends."""
    grouped: dict[tuple[int, int], list[SurveyData]] = defaultdict(list)
    for survey in load(session, village_ids):
        grouped[(survey.village_id, survey.year)].append(survey)
    return {key: figures(surveys) for key, surveys in grouped.items()}
