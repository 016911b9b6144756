"""A meeting noticed for a later day, opened early, with an item added under way, through
the real pages (issue 14): opening before the noticed day is refused beside the form until
a reason is written; the minutes then tell the noticed time, the real one and the reason,
and mark the item that was not in the notice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.db import utcnow
from app.templating import CHINA_TIME
from meetings.models import AgendaItem, Meeting, MeetingStatus
from tests.conftest import post_form, sign_in
from tests.html import soup
from tests.meetings.meetings_support import place


def _create_and_notice(client: TestClient, db: Session, village_id: int, where) -> Meeting:  # type: ignore[no-untyped-def]
    noticed_for = (
        (utcnow() + timedelta(days=13))
        .astimezone(CHINA_TIME)
        .replace(hour=9, minute=0, second=0, microsecond=0)
    )
    new = f"/villages/{village_id}/meetings/new"
    created = post_form(
        client,
        new,
        {
            "kind": "villagers_assembly",
            "title": "冬季村民会议",
            "group_id": "",
            "convener": "村民委员会",
            "host_id": str(where.organizer.id),
            "recorder_id": str(where.recorder.id),
            "place": "村委会礼堂",
            "starts_at": noticed_for.strftime("%Y-%m-%dT%H:%M"),
            "notice_text": "审议修路方案。",
        },
    )
    assert created.status_code == 303
    page = created.headers["location"]
    item = post_form(
        client, f"{page}/items", {"title": "修路方案", "kind": "discussion"}, page=page
    )
    assert item.status_code == 303
    published = post_form(client, f"{page}/notice", {"short_notice_reason": ""}, page=page)
    assert published.status_code == 303
    meeting_id = int(page.rstrip("/").rsplit("/", 1)[1])
    meeting = db.get(Meeting, meeting_id)
    assert meeting is not None and meeting.status is MeetingStatus.NOTIFIED
    return meeting


def test_opening_before_the_noticed_day_needs_a_reason_and_the_minutes_say_so(
    client: TestClient, db: Session
) -> None:
    where = place()
    sign_in(client, where.organizer.username)
    meeting = _create_and_notice(client, db, where.village.id, where)
    noticed = meeting.starts_at
    page = f"/meetings/{meeting.id}"

    shown = soup(client.get(page).text)
    opener = shown.select_one(f"form[action='{page}/open']")
    assert opener is not None
    assert "提前开会" in opener.get_text() and opener.select_one("textarea[name=early_open_reason]")

    refused = post_form(client, f"{page}/open", {"early_open_reason": ""}, page=page)
    assert refused.status_code == 422
    field = (
        soup(refused.text)
        .select_one("textarea[name=early_open_reason]")
        .find_parent(class_="field")
    )
    assert "今天提前开会等于没有按通知开会" in field.get_text()
    db.refresh(meeting)
    assert meeting.status is MeetingStatus.NOTIFIED and meeting.starts_at == noticed

    opened = post_form(
        client, f"{page}/open", {"early_open_reason": "台风预警，村民会议提前召开"}, page=page
    )
    assert opened.status_code == 303
    db.refresh(meeting)
    assert meeting.status is MeetingStatus.OPEN
    assert meeting.noticed_starts_at == noticed
    assert meeting.starts_at < noticed - timedelta(days=12)

    # An item added while the meeting is under way: warned first, then marked.
    form = soup(client.get(page).text).select_one(f"form[action='{page}/items']")
    assert "现在加的议程不在通知里" in form.find_previous("p").get_text()
    added = post_form(
        client, f"{page}/items", {"title": "临时动议：修水渠", "kind": "discussion"}, page=page
    )
    assert added.status_code == 303
    rows = db.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id))
    items = {i.title: i.outside_notice for i in rows}
    assert items == {"修路方案": False, "临时动议：修水渠": True}
    agenda = soup(client.get(page).text).select("ol.agenda > li")
    tagged = {
        li.select_one("strong").get_text(): bool(li.select(".outside-notice")) for li in agenda
    }
    assert tagged == {"修路方案": False, "临时动议：修水渠": True}

    closed = post_form(client, f"{page}/close", {}, page=page)
    assert closed.status_code == 303
    minutes = soup(client.get(f"{page}/minutes").text)
    early = minutes.select_one(".early-open").get_text()
    noticed_text = noticed.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")
    assert noticed_text in early and "台风预警，村民会议提前召开" in early
    headings = {h.get_text(" ", strip=True) for h in minutes.select("h4")}
    assert any("临时动议：修水渠" in h and "未列入会议通知" in h for h in headings)
    assert any("修路方案" in h and "未列入会议通知" not in h for h in headings)
