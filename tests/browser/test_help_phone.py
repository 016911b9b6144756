"""代写 in the browser: a teller on a phone (360 px) and at a desk (1,280 px) finds the
helper a voter names, sees candidates and their household refused with the reason, and
issues the paper ballot or hands the mobile box's phone over with the helper recorded."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

from app.registry.models import Household
from ballots.paper import mobile
from tests import factories
from tests.app.helpers import fresh_migrated_database
from tests.ballots.paper_support import make_scene
from tests.browser.conftest import PHONE_WIDTH, screenshot, sign_in_at
from tests.browser.server import committed_session, running_app

pytestmark = pytest.mark.browser

DESK_WIDTH = 1280


@dataclass(frozen=True)
class Desk:
    base_url: str
    round_id: int
    teller: str
    paper_voter: str
    homebound: str


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    tmp = tmp_path_factory.mktemp("help")
    key = secrets.token_hex(32)
    with fresh_migrated_database(tmp, "help") as url:
        with committed_session(url, key, tmp) as (session, _settings):
            scene = make_scene(session)
            candidate = scene.person(scene.candidates[0])  # 甲
            household = session.get(Household, candidate.household_id)
            factories.PersonFactory(household=household, name="甲大伟", birth_year=1998)
            factories.PersonFactory(
                household=factories.HouseholdFactory(village_id=scene.village.id),
                name="甲小芳",
                birth_year=2009,  # 17: not a voter, may write for her grandmother
            )
            homebound = scene.entries[1]
            mobile.set_homebound(session, scene.actor, homebound, True)
            made = (
                scene.round.id,
                scene.teller("王芳").username,
                scene.person(scene.entries[0]).name,
                scene.person(homebound).name,
            )
        with running_app(url, tmp, key, ready_path="/signin") as app:
            yield Desk(app.base_url, *made)


def _fits(page: Page, width: int) -> None:
    assert int(page.evaluate("document.documentElement.scrollWidth")) <= width


def _find_helpers(page: Page, query: str) -> None:
    page.get_by_label("代写人的姓名或村民编号").fill(query)
    page.get_by_role("button", name="查找").click()


def _refusals_shown(page: Page) -> None:
    cards = page.locator(".helpers li")
    expect(cards.filter(has_text="甲大伟").locator("p.error")).to_have_text(
        "候选人的家庭成员不能代写：甲大伟 与候选人 甲 同户。请选民另请一位代写人。"
    )
    candidate = cards.filter(has=page.locator("strong", has_text=re.compile("^甲$")))
    expect(candidate.locator("p.error")).to_have_text(
        "候选人不能为选民代写：甲 是本轮的候选人。请选民另请一位代写人。"
    )
    expect(cards.filter(has_text="甲大伟").get_by_role("button")).to_have_count(0)


def test_a_teller_on_a_phone_issues_a_paper_ballot_written_with_help(
    browser: Browser, desk: Desk
) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": PHONE_WIDTH, "height": 740})
    try:
        page = context.new_page()
        sign_in_at(page, desk.base_url, desk.teller, factories.PASSWORD)
        page.goto(f"{desk.base_url}/rounds/{desk.round_id}/paper/issue")
        page.get_by_label("选民姓名或村民编号").fill(desk.paper_voter)
        page.get_by_role("button", name="查找").click()
        row = page.locator("tbody tr", has_text=desk.paper_voter)
        row.get_by_role("link", name="选民请人代写").click()

        expect(page.locator("h1")).to_have_text("请谁代写？")
        _find_helpers(page, "甲")
        _refusals_shown(page)
        _fits(page, PHONE_WIDTH)
        screenshot(page, "help-step-360")

        page.get_by_role("button", name="由 甲小芳 代写，发给选票").click()
        expect(page.locator(".flash")).to_have_text(
            f"已发给 {desk.paper_voter} 一张纸质选票，记录了由 甲小芳 代写。"
        )
        expect(page.locator("tbody tr", has_text=desk.paper_voter)).to_contain_text(
            "由 甲小芳 代写"
        )
        _fits(page, PHONE_WIDTH)
        screenshot(page, "help-issued-360")
    finally:
        context.close()


def test_at_a_desk_the_mobile_box_hands_over_with_the_helper_chosen(
    browser: Browser, desk: Desk
) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": DESK_WIDTH, "height": 800})
    try:
        page = context.new_page()
        sign_in_at(page, desk.base_url, desk.teller, factories.PASSWORD)
        page.goto(f"{desk.base_url}/rounds/{desk.round_id}/mobile")
        row = page.locator("tbody tr", has_text=desk.homebound)
        row.get_by_role("link", name="选民请人代写").click()
        _find_helpers(page, "甲")
        _refusals_shown(page)
        screenshot(page, "help-step-1280")

        page.get_by_role("button", name="由 甲小芳 代写，打开选票").click()
        expect(page.locator("main")).to_contain_text(f"{desk.homebound} 的选票")
        expect(page.locator("main")).to_contain_text("由 甲小芳 代写。")
        screenshot(page, "help-mobile-ballot-1280")
        page.get_by_label("乙").check()
        page.get_by_role("button", name="下一步：核对").click()
        page.get_by_role("button", name="确认投票").click()
        expect(page.locator("h1")).to_have_text("投票成功")
        page.get_by_role("link", name="交还监票人").click()
        page.get_by_label("监票人的密码").fill(factories.PASSWORD)
        page.get_by_role("button", name="继续").click()
        expect(page.locator("tbody tr", has_text=desk.homebound)).to_contain_text("由 甲小芳 代写")
    finally:
        context.close()
