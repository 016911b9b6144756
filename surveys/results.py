"""A survey's results: how many answered, the response rate, and per question the
distribution, the share correct (awareness) and the share satisfied (scale: 4 or 5)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys import rules
from surveys.answering import paper_counts, question_specs
from surveys.models import Channel, Survey, SurveyResponse
from surveys.templates_builtin import SCALE_LABELS


@dataclass(frozen=True)
class SurveyResults:
    survey: Survey
    responses: int  # answer sheets stored (QR and paper)
    qr_responses: int
    paper_responses: int
    paper_handed: int  # paper questionnaires handed out
    audience_size: int | None  # counted when the survey opened
    questions: list[rules.QuestionResult]

    @property
    def response_rate(self) -> Fraction | None:
        """Answer sheets / people in the audience when it opened (no audience: no data)."""
        return rules.share(self.responses, self.audience_size)


def results(session: Session, survey: Survey) -> SurveyResults:
    rows = session.execute(
        select(SurveyResponse.source, SurveyResponse.answers).where(
            SurveyResponse.survey_id == survey.id
        )
    ).all()
    sheets = [rules.load_answers(answers) for _source, answers in rows]
    labels = [str(label) for label in SCALE_LABELS]
    handed, _entered = paper_counts(session, survey)
    return SurveyResults(
        survey=survey,
        responses=len(rows),
        qr_responses=sum(1 for source, _ in rows if source is Channel.QR),
        paper_responses=sum(1 for source, _ in rows if source is Channel.PAPER),
        paper_handed=handed,
        audience_size=survey.audience_size,
        questions=rules.tally(question_specs(survey), sheets, labels),
    )
