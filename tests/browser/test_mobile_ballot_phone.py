"""The mobile ballot box at 360 px: a teller signs in on their own phone, taps 打开选票 for a
homebound villager and hands the phone over. What the villager holds is a villager page: no
staff menu, no 退出, and no link or form on the ballot, confirmation or receipt that reaches a
staff page; the teller's sign-in is held aside until their password brings it back
(issue 18, item 4)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect
from starlette.routing import Match

from app.main import all_routes
from app.permissions import Permission
from ballots.paper import mobile
from tests import factories
from tests.app.helpers import fresh_migrated_database, walk_routes
from tests.ballots.paper_support import make_scene
from tests.browser.conftest import PHONE_WIDTH, screenshot, sign_in_at
from tests.browser.server import committed_session, running_app

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class MobileBox:
    base_url: str
    round_id: int
    teller: str
    villager: str


@pytest.fixture(scope="module")
def mobile_box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MobileBox]:
    tmp = tmp_path_factory.mktemp("mobile-box")
    key = secrets.token_hex(32)
    with fresh_migrated_database(tmp, "mobile_box") as url:
        with committed_session(url, key, tmp) as (session, _settings):
            scene = make_scene(session)
            voter = scene.entries[0]
            mobile.set_homebound(session, scene.actor, voter, True)
            teller = scene.teller("王芳")
            made = (scene.round.id, teller.username, scene.person(voter).name)
        with running_app(url, tmp, key, ready_path="/signin") as app:
            yield MobileBox(app.base_url, *made)


def _permission_of(path: str, method: str) -> Permission | None:
    """The permission of the route a link or form leads to (None: no route)."""
    scope = {"type": "http", "path": path, "method": method}
    for info in walk_routes(all_routes()):
        match, _child = info.route.matches(scope)
        if match is Match.FULL:
            return info.permission if isinstance(info.permission, Permission) else None
    return None


def _targets(page: Page) -> list[tuple[str, str]]:
    """Every place the page can send its holder: links, and forms with their method."""
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    forms = page.eval_on_selector_all(
        "form", "forms => forms.map(f => [f.action, (f.method || 'get').toUpperCase()])"
    )
    return [(href, "GET") for href in hrefs] + [(action, method) for action, method in forms]


def _only_villager_pages(page: Page, seen: list[str]) -> None:
    expect(page.locator("nav, .nav, .top")).to_have_count(0)
    expect(page.get_by_text("退出")).to_have_count(0)
    assert int(page.evaluate("document.documentElement.scrollWidth")) <= PHONE_WIDTH
    for target, method in _targets(page):
        path = urlsplit(target).path
        permission = _permission_of(path, method)
        assert permission is Permission.PUBLIC, f"{page.url}: {method} {target} ({permission})"
        seen.append(path)


def test_the_handed_over_phone_reaches_no_staff_page(
    browser: Browser, mobile_box: MobileBox
) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": PHONE_WIDTH, "height": 740})
    try:
        page = context.new_page()
        sign_in_at(page, mobile_box.base_url, mobile_box.teller, factories.PASSWORD)
        box = f"{mobile_box.base_url}/rounds/{mobile_box.round_id}/mobile"
        page.goto(box)
        row = page.locator("tbody tr", has_text=mobile_box.villager)
        screenshot(page, "mobile-box-list-360")
        row.get_by_role("button", name="打开选票").click()

        seen: list[str] = []
        expect(page.locator("h1")).to_have_text("计生主任选举")
        expect(page.locator("main")).to_contain_text(f"{mobile_box.villager} 的选票")
        _only_villager_pages(page, seen)
        screenshot(page, "mobile-ballot-360")
        page.get_by_label("乙").check()
        page.get_by_role("button", name="下一步：核对").click()
        expect(page.locator("ul.chosen li")).to_have_text("2乙")
        _only_villager_pages(page, seen)
        page.get_by_role("button", name="确认投票").click()
        expect(page.locator("h1")).to_have_text("投票成功")
        receipt = page.locator("p.receipt strong").inner_text()
        assert receipt
        _only_villager_pages(page, seen)
        screenshot(page, "mobile-receipt-360")
        assert "/account/resume" in seen and "/language" in seen

        # Typing a staff address on the handed-over phone opens the sign-in page, nothing else.
        page.goto(box)
        assert urlsplit(page.url).path == "/signin"

        # The teller takes the phone back: a wrong password is refused beside the field.
        page.goto(mobile_box.base_url + "/mobile-ballot")
        page.get_by_role("link", name="交还监票人").click()
        expect(page.locator("main")).to_contain_text("请监票人（王芳）输入自己的密码")
        page.get_by_label("监票人的密码").fill("wrong password")
        page.get_by_role("button", name="继续").click()
        expect(page.locator("#e-password")).to_contain_text("密码不对")
        screenshot(page, "mobile-resume-360")
        page.get_by_label("监票人的密码").fill(factories.PASSWORD)
        page.get_by_role("button", name="继续").click()
        page.wait_for_url(box)
        expect(page.locator("tbody tr", has_text=mobile_box.villager)).to_contain_text(
            "已投票（流动票箱）"
        )
    finally:
        context.close()
