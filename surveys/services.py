"""Surveys: creating one (from a built-in questionnaire or blank), editing its questions
while it is a draft, opening and closing it, and what a slip opens.

Services never commit; every change an organizer makes is audited. Answering (QR and
paper) is in surveys.answering, the sealed box that keeps the answers until a key holder
opens it in surveys.box, the tally in surveys.results; all are re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app import secret_choice
from app.actors import Actor
from app.audit.services import record
from app.i18n import gettext_, lazy
from app.registry.models import Group, Person, Village
from app.registry.rules import today_in_china
from meetings.models import Meeting
from slips.models import Assembly
from surveys import audience, box, rules
from surveys.answering import answer_by_qr, enter_paper_sheet, hand_paper, participation_of
from surveys.box import (
    box_status,
    holder_choices,
    name_holders,
    open_box,
    sealed_survey_ids,
    set_box_password,
)
from surveys.exceptions import InvalidSurveyInput, SurveyNotFound, SurveyStateError
from surveys.models import (
    Audience,
    Measure,
    Option,
    Question,
    QuestionType,
    Survey,
    SurveyKind,
    SurveyResponse,
    SurveyStatus,
)
from surveys.results import SurveyResults, results
from surveys.templates_builtin import BUILTIN

__all__ = [
    "QuestionInput",
    "SurveyInput",
    "SurveyResults",
    "add_question",
    "answer_by_qr",
    "box_status",
    "close_survey",
    "cluster_responses",
    "create_survey",
    "enter_paper_sheet",
    "hand_paper",
    "holder_choices",
    "name_holders",
    "open_box",
    "open_survey",
    "open_surveys_for",
    "participation_of",
    "question_in",
    "remove_question",
    "require_draft",
    "results",
    "sealed_survey_ids",
    "set_box_password",
    "survey_in",
    "update_question",
    "village_surveys",
]


@dataclass(frozen=True)
class SurveyInput:
    title: str
    year: int
    audience: Audience
    group_id: int | None
    meeting_id: int | None
    assembly_id: int | None
    template: str  # a key of BUILTIN, or "" for a blank (custom) survey


@dataclass(frozen=True)
class QuestionInput:
    text: str
    qtype: QuestionType
    measure: Measure
    options: tuple[tuple[str, bool], ...]


# --- looking things up ----------------------------------------------------------------------


def survey_in(session: Session, survey_id: int) -> Survey:
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise SurveyNotFound(lazy("没有这份问卷，它可能已被删除，或链接有误。"))
    return survey


def question_in(session: Session, survey: Survey, question_id: int) -> Question:
    question = session.get(Question, question_id)
    if question is None or question.survey_id != survey.id:
        raise SurveyNotFound(lazy("这份问卷里没有这道题。"))
    return question


def village_surveys(session: Session, village_id: int) -> list[Survey]:
    stmt = (
        select(Survey)
        .where(Survey.village_id == village_id)
        .order_by(Survey.year.desc(), Survey.id.desc())
    )
    return list(session.scalars(stmt))


def open_surveys_for(session: Session, assembly_id: int, person: Person) -> list[Survey]:
    """Open surveys the slips of `assembly_id` open for `person` (in the audience)."""
    found = session.scalars(_OPEN_AT_ASSEMBLY, {"assembly_id": assembly_id})
    return [s for s in found if audience.in_audience(session, s, person)]


# Built once: every villager's slip page asks it.
_OPEN_AT_ASSEMBLY = (
    select(Survey)
    .where(Survey.assembly_id == bindparam("assembly_id"), Survey.status == SurveyStatus.OPEN)
    .order_by(Survey.id)
)


# --- creating ---------------------------------------------------------------------------------


def _check_links(session: Session, village: Village, values: SurveyInput) -> None:
    errors: dict[str, str] = {}
    if values.audience is Audience.GROUP:
        group = session.get(Group, values.group_id) if values.group_id else None
        if group is None or group.village_id != village.id:
            errors["group_id"] = gettext_("请选择本村的一个小组。")
    if values.audience is Audience.MEETING:
        meeting = session.get(Meeting, values.meeting_id) if values.meeting_id else None
        if meeting is None or meeting.village_id != village.id or meeting.is_drill:
            errors["meeting_id"] = gettext_("请选择本村的一次会议。")
    if values.assembly_id is not None:
        assembly = session.get(Assembly, values.assembly_id)
        # A survey counts in the assessment: never one of a drill (app.drill).
        if assembly is None or assembly.village_id != village.id or assembly.drill:
            errors["assembly_id"] = gettext_("请选择本村的一次大会。")
    if values.template and values.template not in BUILTIN:
        errors["template"] = gettext_("请从列表里选择问卷模板。")
    if errors:
        raise InvalidSurveyInput(errors)


def create_survey(
    session: Session, actor: Actor, village: Village, values: SurveyInput, created_by_id: int
) -> Survey:
    _check_links(session, village, values)
    template = BUILTIN.get(values.template)
    survey = Survey(
        village_id=village.id,
        title=values.title,
        kind=template.kind if template else SurveyKind.CUSTOM,
        audience=values.audience,
        group_id=values.group_id if values.audience is Audience.GROUP else None,
        meeting_id=values.meeting_id if values.audience is Audience.MEETING else None,
        year=values.year,
        # The questionnaire is for villagers: built-in texts are copied in Chinese.
        intro=template.intro.message if template else "",
        assembly_id=values.assembly_id,
        created_by_id=created_by_id,
    )
    session.add(survey)
    session.flush()
    for position, item in enumerate(template.questions if template else (), start=1):
        options = tuple((t.message, ok) for t, ok in item.options)
        _add(
            session,
            survey,
            position,
            QuestionInput(item.text.message, item.qtype, item.measure, options),
        )
    record(
        session,
        actor,
        "survey.create",
        "survey",
        survey.id,
        {
            "title": survey.title,
            "kind": survey.kind.value,
            "year": survey.year,
            "audience": survey.audience.value,
            "group_id": survey.group_id,
            "meeting_id": survey.meeting_id,
            "assembly_id": survey.assembly_id,
            "questions": len(template.questions) if template else 0,
        },
        village_id=village.id,
    )
    return survey


# --- questions (draft only) -------------------------------------------------------------------


def require_draft(survey: Survey) -> None:
    if survey.status is not SurveyStatus.DRAFT:
        raise SurveyStateError(lazy("问卷已经开始答题，题目不能再改了。"))


def _check_question(values: QuestionInput) -> None:
    problems = rules.question_problems(values.text, values.qtype, values.measure, values.options)
    if problems:
        raise InvalidSurveyInput(problems)


def _add_options(session: Session, question: Question, values: QuestionInput) -> None:
    for position, (option_text, correct) in enumerate(values.options, start=1):
        session.add(
            Option(question_id=question.id, position=position, text=option_text, correct=correct)
        )
    session.flush()


def _add(session: Session, survey: Survey, position: int, values: QuestionInput) -> Question:
    question = Question(
        survey_id=survey.id,
        position=position,
        text=values.text,
        qtype=values.qtype,
        measure=values.measure,
    )
    session.add(question)
    session.flush()
    _add_options(session, question, values)
    return question


def _summary(values: QuestionInput) -> dict[str, object]:
    return {
        "text": values.text,
        "qtype": values.qtype.value,
        "measure": values.measure.value,
        "options": [{"text": t, "correct": ok} for t, ok in values.options],
    }


def add_question(session: Session, actor: Actor, survey: Survey, values: QuestionInput) -> Question:
    require_draft(survey)
    _check_question(values)
    position = len(survey.questions) + 1
    question = _add(session, survey, position, values)
    session.refresh(survey, ["questions"])
    record(
        session,
        actor,
        "survey.question_add",
        "survey",
        survey.id,
        {"position": position, **_summary(values)},
        village_id=survey.village_id,
    )
    return question


def update_question(
    session: Session, actor: Actor, survey: Survey, question: Question, values: QuestionInput
) -> None:
    require_draft(survey)
    _check_question(values)
    for option in list(question.options):
        session.delete(option)
    session.flush()
    question.text = values.text
    question.qtype = values.qtype
    question.measure = values.measure
    session.flush()
    _add_options(session, question, values)
    session.refresh(question, ["options"])
    record(
        session,
        actor,
        "survey.question_edit",
        "survey",
        survey.id,
        {"position": question.position, **_summary(values)},
        village_id=survey.village_id,
    )


def remove_question(session: Session, actor: Actor, survey: Survey, question: Question) -> None:
    require_draft(survey)
    position, removed_text = question.position, question.text
    for option in list(question.options):
        session.delete(option)
    session.delete(question)
    session.flush()
    # Close the gap one row at a time, lowest first, so (survey, position) stays unique.
    later = session.scalars(
        select(Question)
        .where(Question.survey_id == survey.id, Question.position > position)
        .order_by(Question.position)
    )
    for item in later:
        item.position -= 1
        session.flush()
    session.refresh(survey, ["questions"])
    record(
        session,
        actor,
        "survey.question_remove",
        "survey",
        survey.id,
        {"position": position, "text": removed_text},
        village_id=survey.village_id,
    )


# --- opening and closing ----------------------------------------------------------------------


def open_survey(session: Session, actor: Actor, survey: Survey, today: date | None = None) -> None:
    """Freeze the questions, count the audience (the base of the response rate) and seal
    the survey's box; refused (HoldersNotReady) unless two key holders are ready."""
    require_draft(survey)
    if not survey.questions:
        raise SurveyStateError(lazy("问卷还没有题目。请先加题目，再开始答题。"))
    for question in survey.questions:
        options = tuple((o.text, o.correct) for o in question.options)
        if rules.question_problems(question.text, question.qtype, question.measure, options):
            raise SurveyStateError(
                lazy("第 %(n)s 题还没有填好，请先修改这道题。"), n=question.position
            )
    box.seal(session, survey)
    survey.opened_on = today or today_in_china()
    survey.audience_size = len(audience.audience_people(session, survey))
    survey.status = SurveyStatus.OPEN
    session.flush()
    record(
        session,
        actor,
        "survey.open",
        "survey",
        survey.id,
        {"opened_on": survey.opened_on, "audience_size": survey.audience_size},
        village_id=survey.village_id,
    )


def cluster_responses(session: Session) -> None:
    """On PostgreSQL, store survey_response rows in random-key order (see
    app.secret_choice.shuffle_storage_order); SQLite's WITHOUT ROWID table already is."""
    secret_choice.shuffle_storage_order(session, (SurveyResponse,))


def close_survey(session: Session, actor: Actor, survey: Survey, today: date | None = None) -> None:
    """Stop answers. The sheets stay sealed until a key holder opens the box
    (surveys.box.open_box); results show only how many answered until then.

    A survey opened before answers were sealed has its sheets stored open: as then, each
    is unlinked from the record that its giver answered (PostgreSQL's row transaction
    ids, see app.db.reseal) and the table put in random-key order."""
    session.execute(select(Survey.id).where(Survey.id == survey.id).with_for_update())
    session.refresh(survey, ["status"])
    if survey.status is not SurveyStatus.OPEN:
        raise SurveyStateError(lazy("问卷没有在答题，不能结束。"))
    survey.status = SurveyStatus.CLOSED
    survey.closed_on = today or today_in_china()
    session.flush()
    if not box.is_sealed(session, survey):
        secret_choice.reseal(session, survey.id, SurveyResponse.survey_id)
        cluster_responses(session)
    outcome = results(session, survey)
    record(
        session,
        actor,
        "survey.close",
        "survey",
        survey.id,
        {"closed_on": survey.closed_on, "responses": outcome.responses},
        village_id=survey.village_id,
    )
