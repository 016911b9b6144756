"""Storing answers: through a villager's QR slip, or from returned paper questionnaires.

Secrecy as for ballots: the record *that* someone answered (SurveyParticipation) is
written in the same transaction that seals the answer sheet into the survey's box
(surveys.box), and the two share nothing. Nobody can read a sealed sheet; the open
sheets (SurveyResponse: random key, no person, no time) are written only when a key
holder opens the box after the close, all at once, in a random order. The unique
constraint on (survey, person) is what refuses a second answer (app.secret_choice), so
two submissions racing each other cannot both be stored.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import secret_choice
from app.actors import Actor
from app.audit.services import record
from app.i18n import gettext_, lazy
from app.registry.models import Person
from surveys import audience, box, rules
from surveys.exceptions import (
    AlreadyAnswered,
    InvalidSurveyInput,
    NotInAudience,
    SurveyStateError,
    TooManySheets,
)
from surveys.models import Channel, Survey, SurveyParticipation, SurveyResponse, SurveyStatus

ALREADY = lazy("已答过：您已经答过这份问卷了，第一次的答案已经收好。每人只能答一次，不用再答。")


def question_specs(survey: Survey) -> list[rules.QuestionSpec]:
    return [
        rules.QuestionSpec(
            position=q.position,
            text=q.text,
            qtype=q.qtype,
            measure=q.measure,
            options=tuple(rules.OptionSpec(o.position, o.text, o.correct) for o in q.options),
        )
        for q in survey.questions
    ]


def check_answers(
    questions: Sequence[rules.QuestionSpec], answers: rules.Answers, *, required: bool
) -> None:
    """Every answer fits its question; with `required`, every question is answered."""
    errors: dict[str, str] = {}
    known = {str(q.position) for q in questions}
    if set(answers) - known:
        errors["__all__"] = gettext_("答案里有问卷上没有的题目，请重新填写。")
    for question in questions:
        key = str(question.position)
        value = answers.get(key)
        problem = rules.answer_problem(question, value)
        if problem:
            errors[f"q{key}"] = problem
        elif value is None and required:
            errors[f"q{key}"] = gettext_("第 %(n)s 题还没有答：%(text)s", n=key, text=question.text)
    if errors:
        raise InvalidSurveyInput(errors)


def _lock_open(session: Session, survey: Survey, *, exclusive: bool = False) -> None:
    """Hold the survey row (PostgreSQL) so closing waits for answers in flight
    (app.secret_choice.lock_open); `survey.status` is then the status checked."""
    secret_choice.lock_open(
        session,
        survey,
        Survey.status,
        is_open=lambda row: row.status is SurveyStatus.OPEN,
        refused=SurveyStateError(lazy("这份问卷现在不收答案了。如有疑问，请找村里的工作人员。")),
        exclusive=exclusive,
    )


def participation_of(
    session: Session, survey: Survey, person: Person
) -> SurveyParticipation | None:
    return session.scalar(
        select(SurveyParticipation).where(
            SurveyParticipation.survey_id == survey.id,
            SurveyParticipation.person_id == person.id,
        )
    )


def _participate(session: Session, survey: Survey, person: Person, channel: Channel) -> None:
    secret_choice.use_once(
        session,
        SurveyParticipation(survey_id=survey.id, person_id=person.id, channel=channel),
        AlreadyAnswered(ALREADY),
    )


def _store(session: Session, survey: Survey, source: Channel, answers: rules.Answers) -> None:
    """Seal the sheet into the survey's box, in the caller's transaction."""
    box.seal_sheet(session, survey, source, rules.canonical_answers(answers))


def answer_by_qr(session: Session, survey: Survey, person: Person, answers: rules.Answers) -> None:
    """Store a villager's answers. Every question must be answered."""
    _lock_open(session, survey)
    if not audience.in_audience(session, survey, person):
        raise NotInAudience(lazy("这份问卷不是给您答的。如有疑问，请找村里的工作人员。"))
    if participation_of(session, survey, person) is not None:
        raise AlreadyAnswered(ALREADY)
    check_answers(question_specs(survey), answers, required=True)
    _participate(session, survey, person, Channel.QR)
    _store(session, survey, Channel.QR, answers)


def hand_paper(session: Session, actor: Actor, survey: Survey, person: Person) -> None:
    """Record that `person` was handed a paper questionnaire (refused if they answered)."""
    _lock_open(session, survey)
    if not audience.in_audience(session, survey, person):
        raise NotInAudience(lazy("%(name)s 不在这份问卷的调查对象里。"), name=person.name)
    existing = participation_of(session, survey, person)
    if existing is not None and existing.channel is Channel.QR:
        raise AlreadyAnswered(
            lazy("%(name)s 已经扫码答过这份问卷，不能再发纸质问卷。"), name=person.name
        )
    if existing is not None:
        raise AlreadyAnswered(lazy("已经给 %(name)s 发过纸质问卷了。"), name=person.name)
    try:
        _participate(session, survey, person, Channel.PAPER)
    except AlreadyAnswered:
        raise AlreadyAnswered(lazy("%(name)s 已经答过或领过这份问卷。"), name=person.name) from None
    record(
        session,
        actor,
        "survey.paper_hand",
        "survey",
        survey.id,
        {"person_id": person.id},
        village_id=survey.village_id,
    )


def _participations(session: Session, survey: Survey, channel: Channel) -> int:
    found = session.scalar(
        select(func.count())
        .select_from(SurveyParticipation)
        .where(SurveyParticipation.survey_id == survey.id, SurveyParticipation.channel == channel)
    )
    return int(found or 0)


def sheet_counts(session: Session, survey: Survey) -> tuple[int, int]:
    """(QR answer sheets, paper sheets entered), whether still sealed or opened.

    While the box is sealed its sheets cannot be read, not even their channel: every QR
    sheet was sealed with its QR participation, so the rest are the paper ones.
    """
    sealed = box.sealed_count(session, survey)
    if sealed is not None:
        qr = _participations(session, survey, Channel.QR)
        return qr, sealed - qr
    rows = dict(
        session.execute(
            select(SurveyResponse.source, func.count())
            .where(SurveyResponse.survey_id == survey.id)
            .group_by(SurveyResponse.source)
        ).all()
    )
    return int(rows.get(Channel.QR, 0)), int(rows.get(Channel.PAPER, 0))


def handed_out(session: Session, survey: Survey) -> int:
    """How many paper questionnaires were handed out."""
    return _participations(session, survey, Channel.PAPER)


def paper_counts(session: Session, survey: Survey) -> tuple[int, int]:
    """(paper questionnaires handed out, paper sheets entered)."""
    return handed_out(session, survey), sheet_counts(session, survey)[1]


def enter_paper_sheet(
    session: Session, actor: Actor, survey: Survey, answers: rules.Answers
) -> int:
    """Store one returned paper sheet (questions may be left blank); returns the count."""
    # Exclusive: two people entering sheets at once cannot both pass the count check.
    _lock_open(session, survey, exclusive=True)
    check_answers(question_specs(survey), answers, required=False)
    handed, entered = paper_counts(session, survey)
    if entered >= handed:
        raise TooManySheets(
            lazy(
                "已经录入了 %(entered)s 份纸质问卷，发出去的只有 %(handed)s 份，不能再多录。"
                "请先在名单上勾选领了纸质问卷的人。"
            ),
            entered=entered,
            handed=handed,
        )
    _store(session, survey, Channel.PAPER, answers)
    record(
        session,
        actor,
        "survey.paper_sheet",
        "survey",
        survey.id,
        {"sheets_entered": entered + 1, "handed_out": handed},
        village_id=survey.village_id,
    )
    return entered + 1
