"""The projector: public page, snapshot contents, the event stream, and the in-process
change signal (SQLite). The cross-process PostgreSQL path is in test_projector_workers."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest
from sqlalchemy.orm import Session

from app.actors import Actor
from app.db import utcnow
from meetings import attendance, broadcast, projector
from meetings.models import AgendaItem, CheckInMethod, ItemKind, MeetingStatus, Motion, VoteMethod
from tests.app.helpers import signed_in
from tests.conftest import csrf_from
from tests.html import soup
from tests.meetings.attendance_support import hall

TELLER = Actor(label="测试计票员")
SQLITE_ONLY = pytest.mark.skipif(
    os.environ.get("CUNYI_TEST_DATABASE") == "postgresql",
    reason="SQLite's in-process signal; PostgreSQL uses NOTIFY (test_projector_workers)",
)


def _states(body: str) -> list[dict[str, object]]:
    """The JSON of each `state` event in a text/event-stream body."""
    found = []
    for block in body.split("\n\n"):
        lines = block.split("\n")
        if "event: state" in lines:
            data = next(line for line in lines if line.startswith("data: "))
            found.append(json.loads(data.removeprefix("data: ")))
    return found


def test_the_projector_page_is_public_and_works_without_script(client, db):
    h = hall(db)
    attendance.check_in(db, TELLER, h.meeting, h.people[0], CheckInMethod.TICK)
    page = client.get(f"/meetings/{h.meeting.id}/projector")
    assert page.status_code == 200
    assert "实到 1 人 / 应到 4 人" in page.text and "未达到法定人数" in page.text
    # Without script: a 刷新 link, never a timed reload (WCAG 2.2.1).
    assert "http-equiv" not in page.text
    refresh = soup(page.text).select("noscript a")
    assert [(a.get_text(strip=True), a["href"]) for a in refresh] == [
        ("刷新", f"/meetings/{h.meeting.id}/projector")
    ]
    assert 'src="/static/js/projector.js"' in page.text
    assert f'data-events="/meetings/{h.meeting.id}/projector/events"' in page.text
    assert client.get("/static/js/projector.js").status_code == 200


def test_a_draft_meeting_is_not_on_the_projector(client, db):
    h = hall(db, status=MeetingStatus.DRAFT)
    page = client.get(f"/meetings/{h.meeting.id}/projector")
    assert page.status_code == 404 and "会议通知还没有发布" in page.text
    assert client.get(f"/meetings/{h.meeting.id}/projector/events").status_code == 404


def _motion(db: Session, meeting_id: int, text: str, **fields: object) -> Motion:
    item = AgendaItem(meeting_id=meeting_id, position=1, title="议题", kind=ItemKind.MOTION)
    db.add(item)
    db.flush()
    motion = Motion(item_id=item.id, text=text, method=VoteMethod.QR, result_json="", **fields)
    db.add(motion)
    db.flush()
    return motion


def test_the_snapshot_shows_the_motion_in_progress_and_the_last_result(db):
    h = hall(db)
    motion = _motion(db, h.meeting.id, "修建村道", opened_at=utcnow())
    state = projector.snapshot(db, h.meeting)
    assert state["motion"] == {"text": "修建村道", "votes": "已投 0 票"}
    assert state["result"] is None
    motion.closed_at = utcnow()
    motion.result_json = json.dumps({"yes": 3, "no": 1, "abstain": 0, "passed": True})
    db.flush()
    state = projector.snapshot(db, h.meeting)
    assert state["motion"] is None
    assert state["result"] == {"text": "修建村道", "summary": "赞成 3，反对 1，弃权 0：通过"}


@SQLITE_ONLY
def test_on_sqlite_the_change_signal_fires_only_on_commit(db):
    h = hall(db)
    before = broadcast.version(h.meeting.id)
    attendance.check_in(db, TELLER, h.meeting, h.people[0], CheckInMethod.TICK)
    assert broadcast.version(h.meeting.id) == before
    db.commit()  # releases the test's savepoint: the request's commit
    assert broadcast.version(h.meeting.id) == before + 1
    attendance.check_in(db, TELLER, h.meeting, h.people[1], CheckInMethod.TICK)
    db.rollback()
    db.commit()  # a later commit does not announce what was rolled back
    assert broadcast.version(h.meeting.id) == before + 1


def test_the_event_stream_starts_with_the_current_state_and_ends_in_time(client, db, monkeypatch):
    h = hall(db)
    attendance.check_in(db, TELLER, h.meeting, h.people[0], CheckInMethod.TICK)
    monkeypatch.setattr(projector, "STREAM_SECONDS", 0.5)
    started = time.monotonic()
    response = client.get(f"/meetings/{h.meeting.id}/projector/events")
    assert time.monotonic() - started < 5
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-store"
    assert response.text.startswith("retry: 3000")
    (state,) = _states(response.text)
    assert state["present_text"] == "实到 1 人 / 应到 4 人" and state["holds"] is False


@SQLITE_ONLY
def test_the_event_stream_sends_a_new_state_when_someone_checks_in(app, client, db, monkeypatch):
    # One test connection serves both requests, so only the change signal (not the
    # periodic re-read) may touch the database while the check-in is being posted.
    h = hall(db)
    monkeypatch.setattr(projector, "STREAM_SECONDS", 3.0)
    monkeypatch.setattr(broadcast, "REFRESH_SECONDS", 60.0)
    teller = signed_in(app, h.teller)
    desk = f"/meetings/{h.meeting.id}/attendance"
    csrf = csrf_from(teller, desk)
    outcome: dict[str, int] = {}

    def check_in_later() -> None:
        time.sleep(0.8)
        response = teller.post(f"{desk}/{h.people[0].id}/in", data={"csrf_token": csrf})
        outcome["status"] = response.status_code

    worker = threading.Thread(target=check_in_later)
    worker.start()
    started = time.monotonic()
    response = client.get(f"/meetings/{h.meeting.id}/projector/events")
    worker.join(timeout=10)
    assert time.monotonic() - started < 10
    assert outcome == {"status": 303}
    states = _states(response.text)
    assert [s["present"] for s in states] == [0, 1]
    assert states[-1]["present_text"] == "实到 1 人 / 应到 4 人"
