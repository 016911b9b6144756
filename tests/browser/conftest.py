"""End-to-end tests in Debian's headless Chromium, driven by Playwright.

A real server process runs against its own fresh database (SQLite file, or a fresh
PostgreSQL schema when CUNYI_TEST_DATABASE=postgresql). We never run `playwright install`:
the system browser is the one villagers' phones resemble and the one CI installs.
Without Chromium these tests are skipped, or fail when CUNYI_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from sqlalchemy.orm import Session

from app.accounts.services import create_user
from app.actors import SYSTEM
from app.permissions import Role
from app.registry.models import Township, Village
from app.settings import PROJECT_ROOT
from tests.app.helpers import fresh_migrated_database
from tests.browser.axe import AXE_SCRIPT, PageStates, describe
from tests.browser.server import ServerProcess, committed_session, running_app

CHROMIUM = os.environ.get("CUNYI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
ORGANIZER_PASSWORD = "browser-test-" + secrets.token_hex(6)


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    village_id: int
    village_name: str
    organizer: str
    password: str
    process: ServerProcess

    def url(self, path: str) -> str:
        return self.base_url + path

    def log(self, lines: int = 40) -> str:
        """The end of the server's output, for assertion messages."""
        return "\n".join(self.process.output.splitlines()[-lines:])


def _seed(session: Session) -> tuple[int, str]:
    """A township, a village and its organizer, through the app's own services."""
    township = Township(code="BT001", name="浏览器测试镇")
    village = Village(township=township, code="001", name="试点村")
    session.add_all([township, village])
    session.flush()
    create_organizer(session, village, ORGANIZER_PASSWORD)
    return village.id, village.name


def create_organizer(session: Session, village: Village, password: str) -> None:
    """The village's organizer, signing in as "organizer" with `password`."""
    create_user(
        session,
        SYSTEM,
        username="organizer",
        display_name="周组织",
        password=password,
        role=Role.ORGANIZER,
        township_id=village.township_id,
        village_id=village.id,
    )


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("live")
    with fresh_migrated_database(tmp, "browser") as url:
        with committed_session(url) as (session, _settings):
            village_id, village_name = _seed(session)
        with running_app(url, tmp, secrets.token_hex(32), ready_path="/signin") as app:
            yield LiveServer(
                app.base_url, village_id, village_name, "organizer", ORGANIZER_PASSWORD, app.process
            )


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    reason = ""
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"Chromium not found at {CHROMIUM}: run `make chromium` (apt-get install chromium)"
    elif not AXE_SCRIPT.is_file():
        reason = f"axe-core not found at {AXE_SCRIPT}: run `make chromium` (npm ci)"
    if reason:
        if os.environ.get("CUNYI_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " — CUNYI_REQUIRE_BROWSER=1 makes this a failure", pytrace=False)
        pytest.skip(reason)
    driver = sync_playwright().start()
    yield driver
    driver.stop()


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    launched = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture(scope="session", autouse=True)
def page_states() -> Iterator[PageStates]:
    """axe-core on every page state the browser tests reach (tests/browser/axe.py); what it
    found, page by page, in test-artifacts/axe-<database>.json."""
    with PageStates().installed() as states:
        yield states
    ARTIFACTS.mkdir(exist_ok=True)
    database = os.environ.get("CUNYI_TEST_DATABASE", "sqlite")
    report = [
        {"url": url, "seconds": round(seconds, 2), "violations": [v.__dict__ for v in violations]}
        for url, seconds, violations in states.results
    ]
    (ARTIFACTS / f"axe-{database}.json").write_text(
        json.dumps({"seconds": round(states.seconds, 1), "pages": report}, indent=1),
        encoding="utf-8",
    )


@pytest.fixture(autouse=True)
def accessible_pages(page_states: PageStates, request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails the test when a page it left open or closed had an accessibility violation.
    A test marked `axe_unchecked` is not checked (its pages are checked elsewhere)."""
    page_states.paused = request.node.get_closest_marker("axe_unchecked") is not None
    yield
    page_states.flush_all()
    page_states.paused = False
    violations = page_states.take_unreported()
    if violations:
        pytest.fail(describe(violations), pytrace=False)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A phone-sized browser set to Chinese, like a villager's or clerk's phone."""
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 360, "height": 740})
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


# The villagers' phones: the narrowest screen every villager page must fit without scrolling sideways.
PHONE_WIDTH = 360


def sign_in_at(page: Page, base_url: str, username: str, password: str) -> None:
    """Sign in through the sign-in page as a person does, and land on the home page."""
    page.goto(base_url + "/signin")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base_url + "/")


def sign_in(page: Page, server: LiveServer) -> None:
    sign_in_at(page, server.url(""), server.organizer, server.password)


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ (named per database run)."""
    ARTIFACTS.mkdir(exist_ok=True)
    database = os.environ.get("CUNYI_TEST_DATABASE", "sqlite")
    path = ARTIFACTS / f"{name}-{database}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
