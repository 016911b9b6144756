"""An organizer signs in, imports a roll through the preview, and finds the people listed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import LiveServer, screenshot, sign_in

pytestmark = pytest.mark.browser

ROLL = """编号,姓名,性别,出生年月,户号,户代表,村民小组,育龄妇女小组,协会联户组,村民代表,村干部,协会会员,登记类别,住址
B001,赵大山,男,1968-03,H01,是,第一村民小组,,协会联户组1,是,否,是,,山前路1号
B002,钱秀英,女,1972/5,H01,否,第一村民小组,一组育龄妇女小组,协会联户组1,否,否,是,,山前路1号
B003,孙建国,男,1955年11月,H02,是,第二村民小组,,,否,是,否,户籍在本村外出,山后路2号
"""
NAMES = ["赵大山", "钱秀英", "孙建国"]


def test_organizer_imports_a_roll_and_finds_the_people(
    page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    roll_file = tmp_path / "花名册.csv"
    roll_file.write_text(ROLL, encoding="utf-8")
    village = live_server.village_id

    sign_in(page, live_server)
    response = page.goto(live_server.url(f"/villages/{village}/import"))
    status = response.status if response else None
    assert status == 200, f"the import page answered {status}; server log:\n{live_server.log()}"
    upload = page.locator('input[type="file"][name="roll_file"]')
    upload.set_input_files(str(roll_file))
    upload.locator("xpath=ancestor::form").locator('[type="submit"]').click()

    # The preview lists what will be added before anything is written.
    page.wait_for_url(re.compile(rf"/villages/{village}/import/\d+$"))
    screenshot(page, "import-preview")
    preview = page.locator("main").inner_text()
    for name in NAMES:
        assert name in preview

    confirm = page.locator("#confirm-import")
    assert confirm.inner_text().strip() == "确认导入"
    confirm.click()

    page.wait_for_url(live_server.url(f"/villages/{village}/people"))
    screenshot(page, "people-after-import")
    assert page.locator(".flash").count() == 1
    rows = page.locator("table.people tbody tr")
    listed = rows.all_inner_texts()
    assert len(listed) == len(NAMES)
    for name in NAMES:
        assert any(name in row for row in listed), f"{name} not listed: {listed}"

    # A phone-width screen does not scroll sideways: the table scrolls inside its box.
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
