"""Survey pages over HTTP: the organizer creates, edits, opens, closes and reads results;
a villager answers once through the QR slip; paper questionnaires; escaping."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.permissions import Role
from surveys import services
from surveys.models import (
    Audience,
    Channel,
    Measure,
    QuestionType,
    Survey,
    SurveyResponse,
    SurveyStatus,
)
from tests import factories
from tests.app.helpers import second_client, signed_in
from tests.conftest import csrf_from, post_form
from tests.surveys.support import (
    Setting,
    close_and_open,
    counts,
    new_survey,
    open_survey,
    ready_holders,
    sealed_sheets,
    setting,
)

ALL = {"q1": "5", "q2": "4", "q3": "3", "q4": "5"}


@pytest.fixture
def s(db, settings):
    return setting(db, settings)


def _url(s: Setting, person, survey: Survey) -> str:
    return f"/s/{s.tokens[person.id]}/surveys/{survey.id}"


def _post(phone, url: str, data: dict[str, object]):
    token = csrf_from(phone, "/s")  # the villager's code page carries the session's token
    return phone.post(url, data={**data, "csrf_token": token})


# --- organizer ----------------------------------------------------------------------------------


def test_a_village_without_surveys_shows_an_empty_state(app, client, db, s):
    browser = signed_in(app, s.organizer)
    page = browser.get(f"/villages/{s.village.id}/surveys")
    assert page.status_code == 200 and "还没有问卷" in page.text


def test_the_organizer_creates_opens_and_closes_a_survey(app, client, db, s):
    browser = signed_in(app, s.organizer)
    new = f"/villages/{s.village.id}/surveys/new"
    refused = post_form(
        browser, new, {"template": "satisfaction", "year": "20", "audience": "group"}
    )
    assert refused.status_code == 422
    assert "请填写考核年份" in refused.text and "请选择小组" in refused.text
    assert db.scalars(select(Survey)).all() == []
    data = {
        "template": "satisfaction",
        "title": "",
        "year": "2026",
        "audience": "adults",
        "assembly_id": str(s.assembly.id),
    }
    created = post_form(browser, new, data)
    assert created.status_code == 303
    survey = db.scalars(select(Survey)).one()
    assert survey.title == "村民自治满意度调查" and len(survey.questions) == 4
    page = browser.get(created.headers["location"]).text
    assert "知情权满意度" in page and "很不满意" in page
    listing = browser.get(f"/villages/{s.village.id}/surveys").text
    assert "村民自治满意度调查" in listing
    base = f"/surveys/{survey.id}"
    # No key holders ready: the survey page says why it cannot open, and nothing changes.
    refused = post_form(browser, base + "/open", {}, page=base)
    assert refused.status_code == 409 and "还不能开始答题" in refused.text
    assert "开箱保管人" in refused.text
    db.refresh(survey)
    assert survey.status is SurveyStatus.DRAFT
    ready_holders(db, s, survey)
    assert post_form(browser, base + "/open", {}, page=base).status_code == 303
    db.refresh(survey)
    assert survey.status is SurveyStatus.OPEN and survey.audience_size == 4
    assert "问卷结束以后才显示" in browser.get(base + "/results").text
    assert post_form(browser, base + "/close", {}, page=base).status_code == 303
    db.refresh(survey)
    assert survey.status is SurveyStatus.CLOSED and survey.closed_on is not None
    assert "待保管人开箱" in browser.get(base + "/results").text
    actions = set(
        db.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(survey.id)))
    )
    assert {"survey.create", "survey.open", "survey.close"} <= actions


def test_editing_questions_with_chinese_validation(app, client, db, s):
    browser = signed_in(app, s.organizer)
    survey = new_survey(db, s, "")
    page = f"/surveys/{survey.id}/questions/new"
    bad = {"text": "几岁能投票？", "qtype": "single", "measure": "awareness", "option_1": "18岁"}
    refused = post_form(browser, page, bad)
    assert refused.status_code == 422 and "选择题至少要有 2 个选项" in refused.text
    refused = post_form(browser, page, {**bad, "option_2": "16岁"})
    assert "知晓率问题至少要标出一个正确答案" in refused.text
    refused = post_form(browser, page, {**bad, "option_2": "16岁", "correct": ["1", "2"]})
    assert "单选题只能有一个正确答案" in refused.text
    db.refresh(survey, ["questions"])
    assert survey.questions == []
    saved = post_form(browser, page, {**bad, "option_2": "16岁", "correct": "1"})
    assert saved.status_code == 303
    db.refresh(survey, ["questions"])
    (question,) = survey.questions
    assert [(o.text, o.correct) for o in question.options] == [("18岁", True), ("16岁", False)]
    edit = f"/surveys/{survey.id}/questions/{question.id}"
    assert "18岁" in browser.get(edit).text
    assert (
        post_form(
            browser, edit, {"text": "满意吗？", "qtype": "scale", "measure": "overall"}
        ).status_code
        == 303
    )
    remove = post_form(browser, edit + "/remove", {}, page=f"/surveys/{survey.id}")
    assert remove.status_code == 303
    db.refresh(survey, ["questions"])
    assert survey.questions == []


def test_questions_cannot_change_once_open(app, client, db, s):
    browser = signed_in(app, s.organizer)
    survey = open_survey(db, s)
    data = {"text": "新题", "qtype": "scale", "measure": "none"}
    token = csrf_from(browser, f"/surveys/{survey.id}")
    response = browser.post(
        f"/surveys/{survey.id}/questions/new", data={**data, "csrf_token": token}
    )
    assert response.status_code == 409 and "题目不能再改了" in response.text
    db.refresh(survey, ["questions"])
    assert len(survey.questions) == 4


def test_an_auditor_reads_results_but_cannot_open(app, client, db, s):
    survey = new_survey(db, s)
    auditor = factories.staff(Role.AUDITOR, township=s.village.township)
    browser = signed_in(app, auditor)
    assert browser.get(f"/surveys/{survey.id}/results").status_code == 200
    token = csrf_from(browser, f"/surveys/{survey.id}")
    assert browser.post(f"/surveys/{survey.id}/open", data={"csrf_token": token}).status_code == 403


def test_results_page_and_print_show_rates_and_distribution(app, client, db, s):
    survey = open_survey(db, s)
    services.answer_by_qr(db, survey, s.adults[0], {"1": 5, "2": 4, "3": 3, "4": 5})
    services.answer_by_qr(db, survey, s.adults[1], {"1": 1, "2": 4, "3": 3, "4": 5})
    close_and_open(db, s, survey)
    browser = signed_in(app, s.organizer)
    for path in (f"/surveys/{survey.id}/results", f"/surveys/{survey.id}/results/print"):
        page = browser.get(path).text
        assert "50.0%" in page  # response rate 2/4, and know: 1 of 2 satisfied
        assert "100.0%" in page  # overall: both gave 5
    assert "print-a4" in browser.get(f"/surveys/{survey.id}/results/print").text


# --- the villager ----------------------------------------------------------------------------------


def test_a_villager_answers_confirms_and_is_thanked_once(app, client, db, s):
    survey = open_survey(db, s)
    phone = second_client(app)
    slip = phone.get(f"/s/{s.tokens[s.adults[0].id]}").text
    assert "答问卷：测试问卷" in slip
    url = _url(s, s.adults[0], survey)
    form = phone.get(url)
    assert form.status_code == 200 and "很满意" in form.text and "<script" not in form.text
    assert len(form.content) < 14_000  # one network round trip on a weak line
    confirm = _post(phone, url + "/confirm", ALL)
    assert confirm.status_code == 200 and "请核对您的答案" in confirm.text
    assert "5 分：很满意" in confirm.text
    assert counts(db, survey) == (0, 0)
    thanks = _post(phone, url + "/submit", {**ALL, "action": "submit"})
    assert thanks.status_code == 200 and "谢谢您" in thanks.text
    assert counts(db, survey) == (1, 0) and sealed_sheets(db, survey) == 1
    again = phone.get(url)
    assert "已答过" in again.text and 'name="q1"' not in again.text
    refused = _post(phone, url + "/submit", {**ALL, "action": "submit"})
    assert refused.status_code == 409 and "已答过" in refused.text
    assert "第一次的答案已经收好" in refused.text and "没有保存" not in refused.text
    assert counts(db, survey) == (1, 0) and sealed_sheets(db, survey) == 1


def test_a_missing_answer_is_named_and_nothing_is_written(app, client, db, s):
    survey = open_survey(db, s)
    phone = second_client(app)
    url = _url(s, s.adults[0], survey)
    partial = {k: v for k, v in ALL.items() if k != "q3"}
    for step in ("/confirm", "/submit"):
        response = _post(phone, url + step, {**partial, "action": "submit"})
        assert response.status_code == 422
        assert "第 3 题还没有答" in response.text
        assert 'value="5" checked' in response.text  # what was ticked stays ticked
    bad = _post(phone, url + "/submit", {**ALL, "q1": "9", "action": "submit"})
    assert bad.status_code == 422 and "第 1 题请选 1 到 5 分" in bad.text
    assert counts(db, survey) == (0, 0)


def test_going_back_to_edit_keeps_the_answers(app, client, db, s):
    survey = open_survey(db, s)
    phone = second_client(app)
    url = _url(s, s.adults[0], survey)
    back = _post(phone, url + "/submit", {**ALL, "action": "edit"})
    assert back.status_code == 200 and 'name="q1" value="5" checked' in back.text
    assert counts(db, survey) == (0, 0)


def test_someone_outside_the_audience_cannot_answer(app, client, db, s):
    survey = open_survey(db, s, audience=Audience.CADRES)
    phone = second_client(app)
    assert "答问卷" not in phone.get(f"/s/{s.tokens[s.adults[0].id]}").text
    url = _url(s, s.adults[0], survey)
    assert phone.get(url).status_code == 403
    minor_url = _url(s, s.minor, open_survey(db, s))
    assert phone.get(minor_url).status_code == 403
    token = csrf_from(phone, "/s")
    response = phone.post(url + "/submit", data={**ALL, "action": "submit", "csrf_token": token})
    assert response.status_code == 403 and "不是给您答的" in response.text
    assert counts(db, survey) == (0, 0)
    cadre = _url(s, s.cadre, survey)
    assert phone.get(cadre).status_code == 200


def test_a_draft_or_closed_survey_takes_no_answers(app, client, db, s):
    draft = new_survey(db, s)
    phone = second_client(app)
    assert phone.get(_url(s, s.adults[0], draft)).status_code == 409
    survey = open_survey(db, s)
    services.close_survey(db, s.actor, survey)
    assert "不收答案" in phone.get(_url(s, s.adults[0], survey)).text


# --- paper ---------------------------------------------------------------------------------------


def test_paper_questionnaires_are_handed_and_entered(app, client, db, s):
    survey = open_survey(db, s)
    services.answer_by_qr(db, survey, s.adults[0], {"1": 5, "2": 4, "3": 3, "4": 5})
    browser = signed_in(app, s.organizer)
    paper = f"/surveys/{survey.id}/paper"
    listing = browser.get(paper).text
    assert "已扫码答过" in listing and "李桂英" in listing
    refused = post_form(browser, paper + "/hand", {"person_id": str(s.adults[0].id)}, page=paper)
    assert refused.status_code == 409 and "已经扫码答过" in refused.text
    sheet = paper + "/sheet"
    too_many = post_form(browser, sheet, {"q1": "4"})
    assert too_many.status_code == 409 and "发出去的只有 0 份" in too_many.text
    handed = post_form(browser, paper + "/hand", {"person_id": str(s.adults[1].id)}, page=paper)
    assert handed.status_code == 303
    entered = post_form(browser, sheet, {"q1": "4"})  # the rest left blank on paper
    assert entered.status_code == 303
    assert "已发出 1 份，已录入 1 份" in browser.get(paper).text
    assert post_form(browser, sheet, {"q1": "4"}).status_code == 409
    assert counts(db, survey) == (2, 0) and sealed_sheets(db, survey) == 2
    close_and_open(db, s, survey)
    sources = list(
        db.scalars(select(SurveyResponse.source).where(SurveyResponse.survey_id == survey.id))
    )
    assert sorted(sources) == sorted([Channel.QR, Channel.PAPER])


# --- escaping ------------------------------------------------------------------------------------


def test_script_in_questions_and_options_renders_inert(app, client, db, s):
    survey = new_survey(db, s, "")
    evil = "<script>alert(1)</script>"
    services.add_question(
        db,
        s.actor,
        survey,
        services.QuestionInput(
            evil, QuestionType.SINGLE, Measure.NONE, ((evil, False), ("好", False))
        ),
    )
    browser = signed_in(app, s.organizer)
    page = browser.get(f"/surveys/{survey.id}").text
    assert evil not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    ready_holders(db, s, survey)
    services.open_survey(db, s.actor, survey)
    phone = second_client(app)
    form = phone.get(_url(s, s.adults[0], survey)).text
    assert evil not in form and "&lt;script&gt;" in form
    assert not re.search(r"<script[ >]", form)
