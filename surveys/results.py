"""A survey's results: how many answered, the response rate, and per question the
distribution, the share correct (awareness) and the share satisfied (scale: 4 or 5).

While the sheets are in the survey's sealed box (answering, and after the close until a
key holder opens it) only how many answered can be known, never what: `sealed` is set
and there are no per-question figures, not even zeros.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys import box, rules
from surveys.answering import handed_out, question_specs, sheet_counts
from surveys.models import Survey, SurveyResponse, SurveyStatus
from surveys.templates_builtin import SCALE_LABELS


@dataclass(frozen=True)
class SurveyResults:
    survey: Survey
    responses: int  # answer sheets given (QR and paper), sealed or opened
    qr_responses: int
    paper_responses: int
    paper_handed: int  # paper questionnaires handed out
    audience_size: int | None  # counted when the survey opened
    questions: list[rules.QuestionResult]  # empty while sealed
    sealed: bool = False  # the sheets are still in the sealed box: counts only

    @property
    def response_rate(self) -> Fraction | None:
        """Answer sheets / people in the audience when it opened (no audience: no data)."""
        return rules.share(self.responses, self.audience_size)

    @property
    def awaiting_holders(self) -> bool:
        """Closed, but no key holder has opened the box yet: nothing to show but counts."""
        return self.sealed and self.survey.status is SurveyStatus.CLOSED

    @property
    def shown(self) -> bool:
        """The per-question figures may be shown: closed and opened."""
        return self.survey.status is SurveyStatus.CLOSED and not self.sealed


def results(session: Session, survey: Survey) -> SurveyResults:
    qr, paper = sheet_counts(session, survey)
    sealed = box.is_sealed(session, survey)
    questions: list[rules.QuestionResult] = []
    if not sealed:
        rows = session.scalars(
            select(SurveyResponse.answers).where(SurveyResponse.survey_id == survey.id)
        )
        sheets = [rules.load_answers(answers) for answers in rows]
        labels = [str(label) for label in SCALE_LABELS]
        questions = rules.tally(question_specs(survey), sheets, labels)
    return SurveyResults(
        survey=survey,
        responses=qr + paper,
        qr_responses=qr,
        paper_responses=paper,
        paper_handed=handed_out(session, survey),
        audience_size=survey.audience_size,
        questions=questions,
        sealed=sealed,
    )
