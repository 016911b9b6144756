"""Survey services on the database: create, edit while a draft, open, answer by QR and
on paper, close, results, audiences and what a slip opens. The answers go through the
survey's sealed box (tests/surveys/test_box.py has the box itself)."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from meetings.models import AttendanceEvent, CheckInMethod
from surveys import answering, box, services
from surveys.exceptions import (
    AlreadyAnswered,
    InvalidSurveyInput,
    NotInAudience,
    SurveyStateError,
    TooManySheets,
)
from surveys.models import (
    Audience,
    Channel,
    Measure,
    QuestionType,
    SurveyKind,
    SurveyResponse,
    SurveyStatus,
)
from tests import factories
from tests.meetings import meetings_support as ms
from tests.sealed_box_support import password_of
from tests.surveys.support import (
    OPENED,
    close_and_open,
    counts,
    new_survey,
    open_survey,
    sealed_sheets,
    setting,
)

ALL_FIVE = {"1": 5, "2": 4, "3": 3, "4": 5}


def _actions(db, survey):
    stmt = select(AuditEntry.action).where(
        AuditEntry.object_type == "survey", AuditEntry.object_id == str(survey.id)
    )
    return list(db.scalars(stmt.order_by(AuditEntry.seq)))


def test_creating_from_a_template_copies_its_questions(db):
    s = setting(db)
    survey = new_survey(db, s, "awareness_villager")
    assert survey.kind is SurveyKind.AWARENESS_VILLAGER
    assert survey.status is SurveyStatus.DRAFT
    assert [q.position for q in survey.questions] == list(range(1, len(survey.questions) + 1))
    assert all(q.measure is Measure.AWARENESS for q in survey.questions)
    assert all(any(o.correct for o in q.options) for q in survey.questions)
    assert "survey.create" in _actions(db, survey)


def test_a_blank_survey_is_custom_and_empty(db):
    s = setting(db)
    survey = new_survey(db, s, "")
    assert survey.kind is SurveyKind.CUSTOM and survey.questions == []


def test_a_group_of_another_village_is_refused(db):
    s = setting(db)
    foreign = factories.GroupFactory()
    with pytest.raises(InvalidSurveyInput) as caught:
        new_survey(db, s, audience=Audience.GROUP, group_id=foreign.id)
    assert "group_id" in caught.value.errors


def _choice(text="您同意吗？", measure=Measure.NONE, options=(("同意", False), ("不同意", False))):
    return services.QuestionInput(text, QuestionType.SINGLE, measure, tuple(options))


def test_questions_are_added_edited_and_removed_while_a_draft(db):
    s = setting(db)
    survey = new_survey(db, s, "")
    first = services.add_question(db, s.actor, survey, _choice("第一题"))
    services.add_question(db, s.actor, survey, _choice("第二题"))
    third = services.add_question(db, s.actor, survey, _choice("第三题"))
    services.update_question(
        db,
        s.actor,
        survey,
        third,
        _choice("第三题改", Measure.AWARENESS, (("甲", True), ("乙", False))),
    )
    assert [o.correct for o in third.options] == [True, False]
    services.remove_question(db, s.actor, survey, first)
    assert [(q.position, q.text) for q in survey.questions] == [(1, "第二题"), (2, "第三题改")]
    actions = _actions(db, survey)
    assert actions.count("survey.question_add") == 3
    assert "survey.question_edit" in actions and "survey.question_remove" in actions


def test_a_bad_question_writes_nothing(db):
    s = setting(db)
    survey = new_survey(db, s, "")
    with pytest.raises(InvalidSurveyInput) as caught:
        services.add_question(db, s.actor, survey, _choice(options=(("同意", False),)))
    assert caught.value.errors["options"] == "选择题至少要有 2 个选项，请再填一个选项。"
    db.refresh(survey, ["questions"])
    assert survey.questions == []


def test_opening_freezes_questions_and_counts_the_adults(db):
    s = setting(db)
    survey = open_survey(db, s)
    assert survey.status is SurveyStatus.OPEN and survey.opened_on == OPENED
    assert survey.audience_size == 4  # three adults and the cadre, not the minor
    with pytest.raises(SurveyStateError):
        services.add_question(db, s.actor, survey, _choice())
    with pytest.raises(SurveyStateError):
        services.remove_question(db, s.actor, survey, survey.questions[0])
    assert "survey.open" in _actions(db, survey)


def test_a_survey_without_questions_cannot_open(db):
    s = setting(db)
    survey = new_survey(db, s, "")
    with pytest.raises(SurveyStateError):
        services.open_survey(db, s.actor, survey, OPENED)


def test_audiences_cadres_group_and_meeting(db):
    s = setting(db)
    assert open_survey(db, s, audience=Audience.CADRES).audience_size == 1
    group = factories.GroupFactory(village_id=s.village.id)
    factories.MembershipFactory(person_id=s.adults[0].id, group_id=group.id)
    grouped = open_survey(db, s, audience=Audience.GROUP, group_id=group.id)
    assert grouped.audience_size == 1
    assert grouped not in services.open_surveys_for(db, s.assembly.id, s.adults[1])
    assert grouped in services.open_surveys_for(db, s.assembly.id, s.adults[0])
    meeting = ms.meeting(db, ms.Place(s.village, s.organizer, s.organizer))
    for person in s.adults[:2]:
        db.add(
            AttendanceEvent(
                meeting_id=meeting.id, person_id=person.id, arrived=True, method=CheckInMethod.TICK
            )
        )
    db.flush()
    attended = open_survey(db, s, audience=Audience.MEETING, meeting_id=meeting.id)
    assert attended.audience_size == 2


def test_open_surveys_for_a_slip_holder_in_the_audience(db):
    s = setting(db)
    draft = new_survey(db, s)
    survey = open_survey(db, s)
    assert services.open_surveys_for(db, s.assembly.id, s.adults[0]) == [survey]
    assert draft not in services.open_surveys_for(db, s.assembly.id, s.adults[0])
    assert services.open_surveys_for(db, s.assembly.id, s.minor) == []


def test_a_qr_answer_is_stored_once_sealed_and_anonymously(db):
    s = setting(db)
    survey = open_survey(db, s)
    services.answer_by_qr(db, survey, s.adults[0], ALL_FIVE)
    assert counts(db, survey) == (1, 0) and sealed_sheets(db, survey) == 1
    with pytest.raises(AlreadyAnswered):
        services.answer_by_qr(db, survey, s.adults[0], ALL_FIVE)
    assert counts(db, survey) == (1, 0) and sealed_sheets(db, survey) == 1
    assert close_and_open(db, s, survey) == 1
    response = db.scalar(select(SurveyResponse).where(SurveyResponse.survey_id == survey.id))
    assert response.answers == '{"1":5,"2":4,"3":3,"4":5}'
    assert response.source is Channel.QR and len(response.id) == 32
    assert counts(db, survey) == (1, 1) and sealed_sheets(db, survey) == 0


def test_every_question_must_be_answered_by_qr(db):
    s = setting(db)
    survey = open_survey(db, s)
    with pytest.raises(InvalidSurveyInput) as caught:
        services.answer_by_qr(db, survey, s.adults[0], {"1": 5, "2": 4, "4": 5})
    assert caught.value.errors == {"q3": "第 3 题还没有答：" + survey.questions[2].text}
    assert counts(db, survey) == (0, 0)


def test_someone_outside_the_audience_cannot_answer(db):
    s = setting(db)
    survey = open_survey(db, s, audience=Audience.CADRES)
    with pytest.raises(NotInAudience):
        services.answer_by_qr(db, survey, s.adults[0], ALL_FIVE)
    with pytest.raises(NotInAudience):
        services.answer_by_qr(db, open_survey(db, s), s.minor, ALL_FIVE)
    assert counts(db, survey) == (0, 0)


def test_paper_handing_and_sheets(db):
    s = setting(db)
    survey = open_survey(db, s)
    services.answer_by_qr(db, survey, s.adults[0], ALL_FIVE)
    with pytest.raises(AlreadyAnswered) as caught:
        services.hand_paper(db, s.actor, survey, s.adults[0])
    assert "已经扫码答过" in caught.value.render_message()
    services.hand_paper(db, s.actor, survey, s.adults[1])
    with pytest.raises(AlreadyAnswered):
        services.hand_paper(db, s.actor, survey, s.adults[1])
    # Paper may leave questions blank.
    assert services.enter_paper_sheet(db, s.actor, survey, {"1": 2}) == 1
    with pytest.raises(TooManySheets) as too_many:
        services.enter_paper_sheet(db, s.actor, survey, {"1": 3})
    assert "发出去的只有 1 份" in too_many.value.render_message()
    with pytest.raises(InvalidSurveyInput):
        services.enter_paper_sheet(db, s.actor, survey, {"1": 9})
    assert counts(db, survey) == (2, 0) and sealed_sheets(db, survey) == 2
    assert answering.paper_counts(db, survey) == (1, 1)  # counted while sealed
    actions = _actions(db, survey)
    assert "survey.paper_hand" in actions and "survey.paper_sheet" in actions
    close_and_open(db, s, survey)
    sources = db.scalars(select(SurveyResponse.source).where(SurveyResponse.survey_id == survey.id))
    assert sorted(sources) == sorted([Channel.QR, Channel.PAPER])
    assert answering.paper_counts(db, survey) == (1, 1)  # and once opened


def test_closing_stops_answers_and_results_count_once_the_box_is_opened(db):
    s = setting(db)
    survey = open_survey(db, s)
    services.answer_by_qr(db, survey, s.adults[0], ALL_FIVE)
    services.answer_by_qr(db, survey, s.adults[1], {"1": 1, "2": 2, "3": 4, "4": 5})
    live = services.results(db, survey)
    assert live.sealed and live.responses == 2 and live.questions == []
    services.close_survey(db, s.actor, survey, OPENED)
    assert survey.status is SurveyStatus.CLOSED and survey.closed_on == OPENED
    with pytest.raises(SurveyStateError):
        services.answer_by_qr(db, survey, s.adults[2], ALL_FIVE)
    with pytest.raises(SurveyStateError):
        services.close_survey(db, s.actor, survey, OPENED)
    waiting = services.results(db, survey)
    # How many answered is known; what they answered is not, not even as zeros.
    assert waiting.awaiting_holders and not waiting.shown
    assert waiting.responses == 2 and waiting.qr_responses == 2 and waiting.questions == []
    assert waiting.response_rate == Fraction(2, 4)
    box.open_box(db, s.actor, survey, s.holders[1].id, {s.holders[1].id: password_of(1)})
    outcome = services.results(db, survey)
    assert outcome.shown and not outcome.sealed
    assert outcome.responses == 2 and outcome.response_rate == Fraction(2, 4)
    know = outcome.questions[0]
    assert [c.count for c in know.counts] == [1, 0, 0, 0, 1]
    assert know.share_satisfied == Fraction(1, 2)
    assert outcome.questions[3].share_satisfied == 1
    entry = db.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "survey.close", AuditEntry.object_id == str(survey.id)
        )
    )
    assert json.loads(entry.summary)["responses"] == 2


def test_awareness_results_share_correct(db):
    s = setting(db)
    survey = open_survey(db, s, "awareness_villager")
    right = {
        str(q.position): [o.position for o in q.options if o.correct] for q in survey.questions
    }
    wrong = dict(right)
    wrong["1"] = [o.position for o in survey.questions[0].options if not o.correct][:1]
    services.answer_by_qr(db, survey, s.adults[0], right)
    services.answer_by_qr(db, survey, s.adults[1], wrong)
    close_and_open(db, s, survey)
    outcome = services.results(db, survey)
    assert outcome.questions[0].share_correct == Fraction(1, 2)
    assert outcome.questions[1].share_correct == 1


def test_no_audience_means_no_response_rate(db):
    s = setting(db)
    survey = new_survey(db, s)
    assert services.results(db, survey).response_rate is None
