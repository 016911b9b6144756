"""An organizer at a 1,280 px desktop saves two versions of a compact and compares them
(issue 14): the legend says the changes are coloured, and they are — added words green
and underlined, deleted words red and struck through — so the marks rest on more than
colour, and a screen reader is told where each starts."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.browser.conftest import LiveServer, screenshot, sign_in

pytestmark = pytest.mark.browser

STYLE = """e => {
  const s = getComputedStyle(e);
  const before = getComputedStyle(e, '::before');
  return {color: s.color, background: s.backgroundColor, line: s.textDecorationLine,
          marker: before.content, markerWidth: before.width};
}"""


def test_the_compared_changes_are_coloured_and_marked(
    browser: Browser, live_server: LiveServer
) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, live_server)
        page.goto(live_server.url(f"/villages/{live_server.village_id}/compacts/new"))
        page.get_by_label("公约名称").fill("比较颜色公约")
        page.get_by_label("从空白开始").check()
        page.get_by_role("button", name="建立并编辑草稿").click()
        page.get_by_label("公约文本").fill("# 总则\n## 议事\n大事由村民会议商量决定。")
        page.get_by_role("button", name="保存草稿").click()
        page.get_by_role("button", name="保存为第 1 版").click()
        page.get_by_role("link", name="返回公约的历程").click()
        page.goto(page.url + "/draft")
        page.get_by_label("公约文本").fill("# 总则\n## 议事\n大事由村民会议依法讨论决定。")
        page.get_by_role("button", name="保存草稿").click()
        page.get_by_label("修改说明").fill("写明依法")
        page.get_by_role("button", name="保存为第 2 版").click()
        page.get_by_role("link", name="和上一版比较").click()

        legend = page.locator(".diff-legend")
        assert "用颜色和线标出" in legend.inner_text()
        change = page.locator("ol.changes .diff")
        inserted = change.locator("ins").first.evaluate(STYLE)
        deleted = change.locator("del").first.evaluate(STYLE)
        text = page.locator("main").evaluate("e => getComputedStyle(e).color")
        legend_ins = legend.locator("ins").evaluate(STYLE)
        legend_del = legend.locator("del").evaluate(STYLE)
        screenshot(page, "compact-compare")
    finally:
        context.close()
    assert inserted["color"] != text and deleted["color"] != text
    assert inserted["color"] != deleted["color"]
    assert "underline" in inserted["line"] and "line-through" in deleted["line"]
    assert inserted["background"] != "rgba(0, 0, 0, 0)"
    # Not by colour alone: the lines, and a marker read out but one pixel wide.
    assert inserted["marker"] == '"［增］"' and deleted["marker"] == '"［删］"'
    assert inserted["markerWidth"] == "1px"
    # The legend shows the very marks it explains.
    assert legend_ins == inserted and legend_del == deleted
