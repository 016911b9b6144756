"""Faces and numbers on the ballot, in Chromium: at 360 px a villager ticks one candidate
by tapping the photo and another by tapping the number (no script: the photo and the
number are inside the tick box's label), and the confirmation shows the same photos and
numbers. The printed paper ballot and the posted candidate list carry every candidate's
number, name and photo on the A4 sheet.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from app.actors import SYSTEM
from slips.links import slip_token
from slips.services import issue_slips
from tests.app.helpers import fresh_migrated_database
from tests.ballots import factories_elections as fe
from tests.ballots.photo_support import add_photo, portrait_jpeg
from tests.browser.conftest import ARTIFACTS, PHONE_WIDTH, create_organizer, screenshot, sign_in_at
from tests.browser.printing import Printed, Word, print_to_pdf, require_tools
from tests.browser.server import committed_session, running_app

pytestmark = pytest.mark.browser

PASSWORD = "photos-test-" + secrets.token_hex(6)
CANDIDATES = ("张三", "李四", "王五")
PHOTOGRAPHED = {
    "张三": portrait_jpeg((196, 214, 232), (40, 70, 120)),
    "李四": portrait_jpeg((226, 214, 190), (120, 40, 40), hair_grey=True),
}  # 王五 has none: a grey head stands in


@dataclass(frozen=True)
class PhotoServer:
    base_url: str
    link: str  # the villager's QR slip
    ballot: str  # the printable paper ballot
    public_list: str
    photos: dict[str, str]  # name -> sha256


@pytest.fixture(scope="module")
def photo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PhotoServer]:
    tmp = tmp_path_factory.mktemp("photos")
    key = secrets.token_hex(32)
    with fresh_migrated_database(tmp, "photos") as url:
        with committed_session(url, key, tmp) as (session, settings):
            v = fe.voting(session, voters=3, seats=2)
            v.people[0].name = "王秀兰"
            v.election.roll_published_on = date.today() - timedelta(days=20)
            v.election.candidates_published_on = date.today() - timedelta(days=7)
            photos = {
                name: add_photo(session, v.election, name, data).sha256
                for name, data in PHOTOGRAPHED.items()
            }
            create_organizer(session, v.village, PASSWORD)
            (slip,) = issue_slips(session, SYSTEM, v.assembly, [v.people[0].id], settings=settings)
            token = slip_token(settings, slip)
            paths = (
                f"/s/{token}",
                f"/rounds/{v.round.id}/paper/ballot",
                f"/public/elections/{v.election.id}/candidates",
            )
        with running_app(url, tmp, key, ready_path="/s") as app:
            yield PhotoServer(app.base_url, *(app.base_url + p for p in paths), photos)


def _src(photos: dict[str, str], name: str) -> str:
    return f"/public/photos/{photos[name]}.jpg"


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A touch phone 360 px wide at twice the pixels, as cheap phones are now."""
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": PHONE_WIDTH, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_a_villager_ticks_by_tapping_the_photo_and_the_number(
    phone: Page, photo_server: PhotoServer
) -> None:
    page = phone
    page.goto(photo_server.link)
    page.get_by_role("link", name="去投票").click()

    cards = page.locator("label.cand")
    expect(cards).to_have_count(3)
    first, second, third = (cards.nth(i) for i in range(3))
    expect(first.locator("b")).to_have_text("1")
    expect(first.locator("img")).to_have_attribute("src", _src(photo_server.photos, "张三"))
    expect(first.locator("img")).to_have_attribute("alt", "张三")
    expect(third.locator("img")).to_have_count(0)  # no photo: the grey head, no broken image
    for card in (first, second):
        loaded = card.locator("img").evaluate("img => img.complete && img.naturalWidth")
        assert loaded == 144
    assert int(page.evaluate("document.documentElement.scrollWidth")) <= PHONE_WIDTH
    box = first.locator("img").bounding_box()
    assert box is not None and box["width"] >= 80 and box["height"] >= 110
    number = second.locator("b").bounding_box()
    assert number is not None and number["height"] >= 40  # a big number, easy to tap

    first.locator("img").tap()
    expect(page.get_by_role("checkbox", name="张三")).to_be_checked()
    second.locator("b").tap()
    expect(page.get_by_role("checkbox", name="李四")).to_be_checked()
    expect(page.get_by_role("checkbox", name="王五")).not_to_be_checked()
    screenshot(page, "ballot-photos-360")

    page.get_by_role("button", name="下一步：核对").click()
    expect(page.get_by_role("heading", name="请核对您的选票")).to_be_visible()
    chosen = page.locator("ul.chosen li")
    expect(chosen).to_have_count(2)
    for i, (n, name) in enumerate((("1", "张三"), ("2", "李四"))):
        expect(chosen.nth(i).locator("b")).to_have_text(n)
        expect(chosen.nth(i)).to_contain_text(name)
        expect(chosen.nth(i).locator("img")).to_have_attribute(
            "src", _src(photo_server.photos, name)
        )
    assert int(page.evaluate("document.documentElement.scrollWidth")) <= PHONE_WIDTH
    screenshot(page, "ballot-photos-confirm-360")
    page.get_by_role("button", name="确认投票").click()
    expect(page.get_by_role("heading", name="投票成功")).to_be_visible()


def _images_in(path: Path) -> int:
    """How many pictures the PDF draws (pdfimages -list: two header lines, one per image)."""
    listing = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return len(listing.splitlines()) - 2


def _numbers_and_names(printed: Printed) -> list[tuple[str, str]]:
    """Each candidate's number and name as they stand on the paper: the number is the
    figure nearest the name (left of it on the ballot, above it on the list)."""

    def centre(word: Word) -> tuple[float, float]:
        return (word.x0 + word.x1) / 2, (word.y0 + word.y1) / 2

    figures = [w for w in printed.words if w.text.isdigit() and len(w.text) == 1]
    rows = []
    for name in CANDIDATES:
        (word,) = printed.find(name)
        x, y = centre(word)
        nearest = min(figures, key=lambda w: (centre(w)[0] - x) ** 2 + (centre(w)[1] - y) ** 2)
        assert abs(centre(nearest)[1] - y) < 40, f"no number beside {name}"
        rows.append((nearest.text, name))
    return rows


@pytest.mark.skipif(shutil.which("pdfimages") is None, reason="poppler-utils not installed")
def test_the_printed_ballot_and_candidate_list_carry_every_number_photo_and_name(
    page: Page, photo_server: PhotoServer
) -> None:
    require_tools()
    ARTIFACTS.mkdir(exist_ok=True)
    sign_in_at(page, photo_server.base_url, "organizer", PASSWORD)
    for url, name in ((photo_server.ballot, "ballot"), (photo_server.public_list, "list")):
        pdf = ARTIFACTS / f"photos-{name}.pdf"
        printed = print_to_pdf(page, url, pdf)
        assert printed.pages == 1, name
        assert _numbers_and_names(printed) == [("1", "张三"), ("2", "李四"), ("3", "王五")]
        assert _images_in(pdf) == len(PHOTOGRAPHED), name
        page.emulate_media(media="screen")
