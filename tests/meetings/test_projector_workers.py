"""Two server processes on one PostgreSQL database: a check-in posted to one reaches a
projector event stream served by the other (NOTIFY/LISTEN), well before the stream's
periodic re-read could have found it."""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import queue
import re
import secrets
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from app.actors import SYSTEM
from app.db import utcnow
from app.permissions import Role
from meetings import broadcast
from meetings.models import MeetingStatus
from slips.links import slip_token
from slips.services import issue_slips
from tests import factories
from tests.app.helpers import fresh_migrated_database
from tests.ballots import factories_elections as fe
from tests.browser.server import committed_session, running_app
from tests.meetings.meetings_support import villagers_assembly

pytestmark = pytest.mark.skipif(
    os.environ.get("CUNYI_TEST_DATABASE") != "postgresql",
    reason="NOTIFY/LISTEN across worker processes needs PostgreSQL",
)

DEADLINE = 20.0  # seconds for anything the test waits on


def _seed(url: str, key: str, tmp: Path) -> tuple[int, str]:
    """An open villagers' assembly of three adults; the first one's slip token."""
    with committed_session(url, key, tmp) as (session, settings):
        village = factories.VillageFactory()
        organizer = factories.staff(Role.ORGANIZER, village)
        assembly = fe.assembly(session, village, title="村民会议")
        people = fe.adults(village, 3)
        meeting = villagers_assembly(
            session,
            village,
            organizer,
            organizer,
            title="两个进程的村民会议",
            place="村委会",
            starts_at=utcnow() + timedelta(hours=1),
            status=MeetingStatus.OPEN,
            assembly_id=assembly.id,
        )
        (slip,) = issue_slips(session, SYSTEM, assembly, [people[0].id], settings=settings)
        return meeting.id, slip_token(settings, slip)


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[int, int, int, str]]:
    key = secrets.token_hex(32)
    with fresh_migrated_database(tmp_path, "workers") as url:
        meeting_id, token = _seed(url, key, tmp_path)
        with (
            running_app(url, tmp_path, key, "/signin", timeout=DEADLINE) as first,
            running_app(url, tmp_path, key, "/signin", timeout=DEADLINE) as second,
        ):
            yield first.port, second.port, meeting_id, token


def _read_states(response: http.client.HTTPResponse, found: queue.Queue[dict[str, object]]) -> None:
    """Background reader: each `state` event's JSON goes into the queue."""
    event = ""
    try:
        while line := response.readline().decode():
            if line.startswith("event: "):
                event = line.removeprefix("event: ").strip()
            elif line.startswith("data: ") and event == "state":
                found.put(json.loads(line.removeprefix("data: ")))
    except (OSError, ValueError, AttributeError):
        return  # the test closed the connection (http.client then drops its file)


def _next_state(found: queue.Queue[dict[str, object]], until: float) -> dict[str, object]:
    return found.get(timeout=max(until - time.monotonic(), 0.01))


def _villager_check_in(port: int, token: str, meeting_id: int) -> int:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    url = f"http://127.0.0.1:{port}/s/{token}/meetings/{meeting_id}/checkin"
    with opener.open(url, timeout=DEADLINE) as page:
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode())
    assert match, "no check-in form"
    data = urllib.parse.urlencode({"csrf_token": match.group(1)}).encode()
    with opener.open(url, data=data, timeout=DEADLINE) as done:
        assert "签到成功" in done.read().decode()
        return int(done.status)


def test_a_check_in_on_one_worker_reaches_the_projector_stream_of_another(two_workers):
    port_a, port_b, meeting_id, token = two_workers
    connection = http.client.HTTPConnection("127.0.0.1", port_b, timeout=DEADLINE)
    try:
        connection.request("GET", f"/meetings/{meeting_id}/projector/events")
        response = connection.getresponse()
        assert response.status == 200
        assert response.getheader("content-type", "").startswith("text/event-stream")
        found: queue.Queue[dict[str, object]] = queue.Queue()
        threading.Thread(target=_read_states, args=(response, found), daemon=True).start()
        until = time.monotonic() + DEADLINE
        assert _next_state(found, until)["present"] == 0
        time.sleep(0.5)  # let worker B's LISTEN start before the check-in
        posted = time.monotonic()
        assert _villager_check_in(port_a, token, meeting_id) == 200
        state = _next_state(found, until)
        while state["present"] != 1:
            state = _next_state(found, until)
        # Faster than the stream's periodic re-read: it came by NOTIFY.
        assert time.monotonic() - posted < broadcast.REFRESH_SECONDS / 2
        assert state["present_text"] == "实到 1 人 / 应到 3 人"
    finally:
        connection.close()
