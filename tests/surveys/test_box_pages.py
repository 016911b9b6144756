"""The survey's sealed box through its pages: the organizer names two key holders (the
township administrator and the auditor), each sets a box password, the survey opens,
villagers answer; results stay hidden while it runs and after the close until a holder
opens the box; a wrong password is refused beside its field with nothing changed; one
password opens it; the results show and the sealed rows are gone."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from surveys.models import Survey, SurveyResponse, SurveyStatus
from tests.app.helpers import second_client, signed_in
from tests.conftest import csrf_from, post_form
from tests.html import soup
from tests.sealed_box_support import password_of
from tests.surveys.support import Setting, counts, new_survey, sealed_sheets, setting


@pytest.fixture
def s(db, settings):
    return setting(db, settings)


def _answer(app, s: Setting, person, survey: Survey, answers: dict[str, str]) -> None:
    phone = second_client(app)
    url = f"/s/{s.tokens[person.id]}/surveys/{survey.id}/submit"
    token = csrf_from(phone, "/s")
    response = phone.post(url, data={**answers, "action": "submit", "csrf_token": token})
    assert response.status_code == 200 and "谢谢您" in response.text


def _error(page: str, field: str) -> str:
    found = soup(page).select_one(f"#e-{field}")
    return found.get_text() if found else ""


def _has_distribution(page: str) -> bool:
    return bool(soup(page).select("section.question-result"))


def test_answers_stay_sealed_until_a_key_holder_opens_the_box(app, client, db, s):
    survey = new_survey(db, s)
    base = f"/surveys/{survey.id}"
    admin, auditor = s.holders
    organizer = signed_in(app, s.organizer)

    # The organizer names the holders: two at least, from the township's list.
    page = soup(organizer.get(base).text)
    offered = {int(box["value"]) for box in page.select('input[name="holder_ids"]')}
    assert offered == {admin.id, auditor.id}
    one = post_form(organizer, base + "/box-holders", {"holder_ids": str(admin.id)}, page=base)
    assert one.status_code == 422 and "至少选 2 位" in _error(one.text, "holder_ids")
    both = {"holder_ids": [str(admin.id), str(auditor.id)]}
    assert post_form(organizer, base + "/box-holders", both, page=base).status_code == 303
    assert "还没设开箱密码" in organizer.get(base).text

    # Too few holders ready: the survey's own refusal, on its page.
    refused = post_form(organizer, base + "/open", {}, page=base)
    assert refused.status_code == 409
    assert "现在设好了 0 位" in soup(refused.text).select_one(".errors").get_text()

    # Each holder sets a box password on the survey page; a mismatch is named beside it.
    for index, holder in enumerate(s.holders):
        browser = signed_in(app, holder)
        assert soup(browser.get(base).text).select_one("#f-box_password") is not None
        wrong = {"box_password": password_of(index), "box_password_confirm": "另一个密码123"}
        mismatch = post_form(browser, base + "/box-password", wrong, page=base)
        assert mismatch.status_code == 422 and "不一样" in _error(mismatch.text, "box_password")
        same = {"box_password": password_of(index), "box_password_confirm": password_of(index)}
        assert post_form(browser, base + "/box-password", same, page=base).status_code == 303
    assert "已设开箱密码：2 / 2" in organizer.get(base).text
    # The organizer is no holder: no password form for them.
    assert soup(organizer.get(base).text).select_one("#f-box_password") is None

    assert post_form(organizer, base + "/open", {}, page=base).status_code == 303
    _answer(app, s, s.adults[0], survey, {"q1": "5", "q2": "4", "q3": "3", "q4": "5"})
    _answer(app, s, s.adults[1], survey, {"q1": "1", "q2": "4", "q3": "3", "q4": "5"})
    assert counts(db, survey) == (2, 0) and sealed_sheets(db, survey) == 2

    # While open: how many answered, never what.
    live = organizer.get(base + "/results").text
    assert "问卷结束以后才显示" in live and not _has_distribution(live)
    assert "票箱封存中：已收到 2 份" in organizer.get(base).text

    assert post_form(organizer, base + "/close", {}, page=base).status_code == 303
    waiting = organizer.get(base + "/results").text
    assert "待保管人开箱" in waiting and not _has_distribution(waiting)
    assert "50.0%" in waiting  # the response rate: 2 of 4, a count
    printed = organizer.get(base + "/results/print").text
    assert "待保管人开箱" in printed and not _has_distribution(printed)
    listing = organizer.get(f"/villages/{s.village.id}/surveys").text
    assert "待保管人开箱" in listing
    # Only a holder gets the opening form, and the organizer cannot open it.
    assert soup(organizer.get(base).text).select_one('form[action$="/open-box"]') is None
    forbidden = post_form(organizer, base + "/open-box", {f"open_{admin.id}": "x"}, page=base)
    assert forbidden.status_code == 403

    holder = signed_in(app, auditor)
    form = soup(holder.get(base).text).select_one('form[action$="/open-box"]')
    assert form is not None
    assert {i["name"] for i in form.select('input[type="password"]')} == {
        f"open_{admin.id}",
        f"open_{auditor.id}",
    }
    wrong = post_form(holder, base + "/open-box", {f"open_{auditor.id}": password_of(0)}, page=base)
    assert wrong.status_code == 422
    assert "开箱密码不对" in _error(wrong.text, f"open_{auditor.id}")
    empty = post_form(holder, base + "/open-box", {}, page=base)
    assert empty.status_code == 422
    assert "开箱需要 1 位保管人" in soup(empty.text).select_one(".errors").get_text()
    assert sealed_sheets(db, survey) == 2 and counts(db, survey) == (2, 0)

    # One password (the admin's is not needed) opens it.
    right = {f"open_{auditor.id}": password_of(1)}
    assert post_form(holder, base + "/open-box", right, page=base).status_code == 303
    assert sealed_sheets(db, survey) == 0 and counts(db, survey) == (2, 2)
    shown = organizer.get(base + "/results").text
    assert _has_distribution(shown) and "待保管人开箱" not in shown
    assert "100.0%" in shown  # overall: both gave 5
    assert "票箱已经开过" in organizer.get(base).text
    db.refresh(survey)
    assert survey.status is SurveyStatus.CLOSED
    entry = db.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "survey.open_box", AuditEntry.object_id == str(survey.id)
        )
    )
    assert json.loads(entry.summary) == {
        "responses": 2,
        "qr_responses": 2,
        "paper_responses": 0,
        "opened_by": [auditor.id],
    }
    again = post_form(holder, base + "/open-box", right, page=base)
    assert again.status_code == 409
    total = db.scalar(
        select(func.count())
        .select_from(SurveyResponse)
        .where(SurveyResponse.survey_id == survey.id)
    )
    assert total == 2


def test_holders_are_named_only_from_the_township_list(app, client, db, s):
    survey = new_survey(db, s)
    base = f"/surveys/{survey.id}"
    organizer = signed_in(app, s.organizer)
    stranger = {"holder_ids": [str(s.holders[0].id), str(s.organizer.id)]}
    refused = post_form(organizer, base + "/box-holders", stranger, page=base)
    assert refused.status_code == 422
    assert "乡镇管理员或审计员" in _error(refused.text, "holder_ids")
    garbage = post_form(organizer, base + "/box-holders", {"holder_ids": "abc"}, page=base)
    assert garbage.status_code == 422
    # What was ticked stays ticked.
    page = soup(refused.text)
    assert page.select_one(f'input[name="holder_ids"][value="{s.holders[0].id}"]')["checked"] == ""


def test_someone_who_holds_no_share_cannot_set_a_box_password(app, client, db, s):
    survey = new_survey(db, s)
    base = f"/surveys/{survey.id}"
    holder = signed_in(app, s.holders[0])
    data = {"box_password": password_of(0), "box_password_confirm": password_of(0)}
    response = post_form(holder, base + "/box-password", data, page=base)
    assert response.status_code == 403 and "不是这份问卷的开箱保管人" in response.text
