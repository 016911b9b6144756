"""The organizer's side of faces on the ballot, in Chromium at a 1,280 px desk: choose a
photo file for a candidate, upload it, see the portrait in the list; a file that is not
a photo comes back with the reason beside its own field, and nothing is kept. axe-core
checks each state (tests/browser/axe.py)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from ballots.models import CandidatePhoto, Stage
from ballots.setup import latest_round, round_candidates
from tests import factories
from tests.app.helpers import fresh_migrated_database
from tests.ballots.photo_support import portrait_jpeg
from tests.ballots.setup_support import election, place, to_stage
from tests.browser.conftest import screenshot, sign_in_at
from tests.browser.server import committed_session, running_app

pytestmark = pytest.mark.browser

DESK = 1280


@dataclass(frozen=True)
class Desk:
    base_url: str
    database_url: str
    organizer: str
    candidates_page: str
    names: tuple[str, str]


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    tmp = tmp_path_factory.mktemp("photo-upload")
    key = secrets.token_hex(32)
    with fresh_migrated_database(tmp, "photo_upload") as url:
        with committed_session(url, key, tmp) as (session, _settings):
            where = place(session, voters=4)
            found = election(session, where)
            to_stage(session, where, found, Stage.CANDIDATES_PUBLISHED)
            round_ = latest_round(session, found)
            assert round_ is not None
            first, second = round_candidates(session, round_)
            organizer, page = where.organizer.username, f"/elections/{found.id}/candidates"
            names = (first.name, second.name)
        with running_app(url, tmp, key, ready_path="/signin") as app:
            yield Desk(app.base_url, url, organizer, app.base_url + page, names)


@pytest.fixture
def staff_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": DESK, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def _photos(desk: Desk) -> int:
    with committed_session(desk.database_url, write=False) as (session, _settings):
        return session.scalar(select(func.count()).select_from(CandidatePhoto)) or 0


def test_the_organizer_uploads_a_photo_and_a_wrong_file_is_explained_beside_its_field(
    staff_page: Page, desk: Desk, tmp_path: Path
) -> None:
    page = staff_page
    sign_in_at(page, desk.base_url, desk.organizer, factories.PASSWORD)
    page.goto(desk.candidates_page)
    first, second = desk.names

    photo = tmp_path / "张三.jpg"
    photo.write_bytes(portrait_jpeg((196, 214, 232), (40, 70, 120)))
    page.get_by_label(f"{first} 的照片").set_input_files(photo)
    page.get_by_role("button", name=f"上传照片 {first}").click()
    expect(page.locator(".flash")).to_contain_text(f"已保存 {first} 的照片")
    row = page.locator("tr", has=page.get_by_label(f"{first} 的照片"))
    expect(row.locator("img")).to_have_attribute("alt", first)
    assert row.locator("img").evaluate("img => img.complete && img.naturalWidth") == 144
    assert _photos(desk) == 1

    not_a_photo = tmp_path / "名单.jpg"
    not_a_photo.write_text("这不是照片\n" * 40, encoding="utf-8")
    page.get_by_label(f"{second} 的照片").set_input_files(not_a_photo)
    page.get_by_role("button", name=f"上传照片 {second}").click()
    field = page.get_by_label(f"{second} 的照片")
    expect(field).to_have_attribute("aria-invalid", "true")
    described = field.get_attribute("aria-describedby")
    assert described is not None
    expect(page.locator(f"#{described}")).to_contain_text("不是能用的照片")
    assert _photos(desk) == 1  # nothing kept
    assert int(page.evaluate("document.documentElement.scrollWidth")) <= DESK
    screenshot(page, "candidate-photo-upload-1280")
