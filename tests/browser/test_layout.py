"""The base layout in a real browser: Chinese, no sideways scrolling on a 360px phone,
and a print view without the navigation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import PHONE_WIDTH, LiveServer, screenshot, sign_in

pytestmark = pytest.mark.browser


def scroll_width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def test_signin_page_is_chinese_and_fits_a_phone(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url("/signin"))
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.locator("h1").inner_text() == "工作人员登录"
    assert page.get_by_label("用户名").is_visible()
    assert page.get_by_role("button", name="登录").is_visible()
    assert scroll_width(page) <= PHONE_WIDTH
    screenshot(page, "signin-360")

    header = page.locator("header.top")
    assert header.is_visible()
    page.emulate_media(media="print")
    assert header.is_hidden()
    assert page.locator("h1").is_visible()


def test_signed_in_pages_fit_a_phone_and_print_without_navigation(
    page: Page, live_server: LiveServer
) -> None:
    sign_in(page, live_server)
    nav = page.get_by_role("navigation", name="主菜单")
    assert nav.is_visible()
    assert live_server.village_name in page.locator("main").inner_text()
    assert scroll_width(page) <= PHONE_WIDTH
    screenshot(page, "home-360")

    page.emulate_media(media="print")
    assert nav.is_hidden()
    assert page.get_by_role("button", name="退出").is_hidden()
    assert live_server.village_name in page.locator("main").inner_text()
    screenshot(page, "home-print")
