"""A villager on a 360px phone opens their QR slip link, answers the satisfaction survey,
checks the answers and submits once. The villager's pages run no script. The answer is
sealed until the survey closes and a key holder opens its box."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from surveys.models import Survey, SurveyResponse
from tests.app.helpers import fresh_migrated_database
from tests.browser.conftest import PHONE_WIDTH, screenshot
from tests.browser.server import ServerProcess, committed_session, running_app
from tests.surveys.support import Setting, close_and_open, open_survey, setting

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class SurveyServer:
    url: str  # the database, to check what was written
    link: str  # what the villager's QR code holds
    process: ServerProcess
    setting: Setting
    survey_id: int


def _seed(url: str, key: str, tmp: Path) -> tuple[str, Setting, int]:
    with committed_session(url, key, tmp) as (session, settings):
        s = setting(session, settings)
        survey = open_survey(session, s)
        return s.tokens[s.adults[0].id], s, survey.id


@pytest.fixture(scope="module")
def survey_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SurveyServer]:
    tmp = tmp_path_factory.mktemp("survey")
    key = secrets.token_hex(32)
    with fresh_migrated_database(tmp, "survey") as url:
        token, s, survey_id = _seed(url, key, tmp)
        with running_app(url, tmp, key, ready_path="/s") as app:
            yield SurveyServer(url, f"{app.base_url}/s/{token}", app.process, s, survey_id)


def _opened_answers(server: SurveyServer) -> list[str]:
    """Close the survey and open its box as a key holder does; then read the sheets."""
    with committed_session(server.url) as (session, _settings):
        assert not session.scalars(select(SurveyResponse.answers)).all()  # sealed
        survey = session.get(Survey, server.survey_id)
        s = server.setting
        here = replace(
            s, organizer=session.merge(s.organizer), holders=[session.merge(h) for h in s.holders]
        )
        close_and_open(session, here, survey)
        return list(session.scalars(select(SurveyResponse.answers)))


def test_a_villager_answers_a_survey_on_a_phone(page: Page, survey_server: SurveyServer) -> None:
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    page.goto(survey_server.link)
    assert "李桂英，您好" in page.inner_text("main"), survey_server.process.tail()
    page.get_by_role("link", name="答问卷：测试问卷").click()
    # The form has loaded before its width is measured (evaluate during navigation sees no document).
    expect(page.locator("#q1")).to_be_visible()
    assert int(page.evaluate("document.documentElement.scrollWidth")) <= PHONE_WIDTH
    for question, label in ((1, "5 分：很满意"), (2, "4 分：满意"), (3, "3 分：一般")):
        page.locator(f"#q{question}").get_by_label(label).check()
    page.get_by_role("button", name="下一步：核对").click()
    assert "第 4 题还没有答" in page.inner_text("main")
    assert page.locator("#q1").get_by_label("5 分：很满意").is_checked()
    page.locator("#q4").get_by_label("1 分：很不满意").check()
    screenshot(page, "survey-form-360")
    page.get_by_role("button", name="下一步：核对").click()
    assert "请核对您的答案" in page.inner_text("main")
    page.get_by_role("button", name="确认提交").click()
    expect(page.locator("main")).to_contain_text("谢谢您")
    assert int(page.evaluate("document.documentElement.scrollWidth")) <= PHONE_WIDTH
    screenshot(page, "survey-answer-360")
    page.goto(survey_server.link)
    page.get_by_role("link", name="答问卷：测试问卷").click()
    assert "已答过" in page.inner_text("main")
    assert scripts == []
    assert _opened_answers(survey_server) == ['{"1":5,"2":4,"3":3,"4":1}']
