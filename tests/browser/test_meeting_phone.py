"""A villager checks in to a meeting on a 360px phone through the QR slip link, while
the hall's projector page, open in a second page, updates its present count live
(server-sent events) without a reload. The villager's pages run no script.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from app.actors import SYSTEM
from app.db import utcnow
from app.permissions import Role
from meetings.models import MeetingStatus
from slips.links import slip_token
from slips.services import issue_slips
from tests import factories
from tests.app.helpers import fresh_migrated_database
from tests.ballots import factories_elections as fe
from tests.browser.conftest import PHONE_WIDTH, screenshot
from tests.browser.server import ServerProcess, committed_session, running_app
from tests.meetings.meetings_support import villagers_assembly

pytestmark = pytest.mark.browser

VILLAGER = "李桂英"
TITLE = "2026年第一次村民会议"


@dataclass(frozen=True)
class MeetingServer:
    base_url: str
    link: str  # what the villager's QR code holds
    projector: str
    checkin: str  # the villager's check-in page for the meeting
    process: ServerProcess

    def log(self) -> str:
        return self.process.tail()


def _seed(url: str, key: str, tmp: Path) -> tuple[str, int]:
    """An open villagers' assembly of three adults, and the first one's slip."""
    with committed_session(url, key, tmp) as (session, settings):
        village = factories.VillageFactory()
        organizer = factories.staff(Role.ORGANIZER, village)
        assembly = fe.assembly(session, village, title=TITLE)
        people = fe.adults(village, 3)
        people[0].name = VILLAGER
        meeting = villagers_assembly(
            session,
            village,
            organizer,
            organizer,
            title=TITLE,
            place="村委会礼堂",
            starts_at=utcnow() + timedelta(hours=1),
            status=MeetingStatus.OPEN,
            assembly_id=assembly.id,
        )
        (slip,) = issue_slips(session, SYSTEM, assembly, [people[0].id], settings=settings)
        return slip_token(settings, slip), meeting.id


@pytest.fixture(scope="module")
def meeting_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MeetingServer]:
    tmp = tmp_path_factory.mktemp("meeting")
    key = secrets.token_hex(32)
    with fresh_migrated_database(tmp, "meeting") as url:
        token, meeting_id = _seed(url, key, tmp)
        with running_app(url, tmp, key, ready_path="/s") as app:
            base_url = app.base_url
            yield MeetingServer(
                base_url,
                f"{base_url}/s/{token}",
                f"{base_url}/meetings/{meeting_id}/projector",
                f"{base_url}/s/{token}/meetings/{meeting_id}/checkin",
                app.process,
            )


def test_a_phone_check_in_updates_the_projector_without_reload(
    browser: Browser, page: Page, meeting_server: MeetingServer
) -> None:
    hall = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 720})
    try:
        projector = hall.new_page()
        response = projector.goto(meeting_server.projector)
        assert response is not None and response.status == 200, meeting_server.log()
        present = projector.locator("[data-field=present_text]")
        expect(present).to_have_text("实到 0 人 / 应到 3 人")
        # The script has received its first event: the stream is open.
        expect(projector.locator("[data-live=yes]")).to_have_count(1, timeout=15_000)
        projector.evaluate("window.cunyiNotReloaded = true")

        scripts: list[str] = []
        page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
        page.goto(meeting_server.link)  # what scanning the slip's QR code opens
        assert f"{VILLAGER}，您好" in page.inner_text("main")
        page.get_by_role("link", name=f"签到：{TITLE}").click()
        expect(page.get_by_role("button", name="确认签到")).to_be_visible()
        assert int(page.evaluate("document.documentElement.scrollWidth")) <= PHONE_WIDTH
        page.get_by_role("button", name="确认签到").click()
        assert "签到成功" in page.inner_text("main"), meeting_server.log()
        screenshot(page, "meeting-checkin-360")
        assert scripts == []

        expect(present).to_have_text("实到 1 人 / 应到 3 人", timeout=15_000)
        assert projector.evaluate("window.cunyiNotReloaded === true")
        screenshot(projector, "meeting-projector")

        page.goto(meeting_server.checkin)  # scanning again later
        assert "已签到" in page.inner_text("main")
    finally:
        hall.close()
