"""Attendance pages: the villager's own QR check-in, the tellers' desk (scan, tick,
household representative, departure) and the live panel."""

from __future__ import annotations

import re

import pytest

from app.permissions import Role
from meetings import attendance, presence
from meetings.models import CheckInMethod, MeetingStatus
from tests import factories
from tests.app.helpers import second_client, signed_in, table_counts
from tests.conftest import csrf_from, post_form
from tests.html import soup
from tests.meetings.attendance_support import events, hall, short_code, slip_token


def _checkin_path(token: str, meeting_id: int) -> str:
    return f"/s/{token}/meetings/{meeting_id}/checkin"


def test_a_villager_checks_in_with_the_slip_link(app, client, db, settings):
    h = hall(db)
    token = slip_token(db, settings, h, h.people[0])
    path = _checkin_path(token, h.meeting.id)
    page = client.get(path)
    assert page.status_code == 200 and "确认签到" in page.text
    assert "<script" not in page.text
    csrf = csrf_from(client, path)
    done = client.post(path, data={"csrf_token": csrf})
    assert done.status_code == 200 and "签到成功" in done.text
    (event,) = events(db, h.meeting)
    assert (event.person_id, event.method, event.entered_by_id) == (
        h.people[0].id,
        CheckInMethod.QR,
        None,
    )
    again = client.post(path, data={"csrf_token": csrf})
    assert again.status_code == 409 and "已签到" in again.text
    assert len(events(db, h.meeting)) == 1
    assert "已签到" in client.get(path).text


def test_the_slip_page_lists_open_meetings_to_check_in_to(client, db, settings):
    h = hall(db)
    token = slip_token(db, settings, h, h.people[0])
    slip_page = client.get(f"/s/{token}")
    assert f"签到：{h.meeting.title}" in slip_page.text
    assert _checkin_path(token, h.meeting.id) in slip_page.text
    h.meeting.status = MeetingStatus.CLOSED
    db.flush()
    assert "签到：" not in client.get(f"/s/{token}").text


def test_a_slip_cannot_check_in_to_another_assembly_meeting(client, db, settings):
    h = hall(db)
    other = hall(db)
    token = slip_token(db, settings, h, h.people[0])
    response = client.get(_checkin_path(token, other.meeting.id))
    assert response.status_code == 404 and "不能在这个会议签到" in response.text


def test_a_staff_browser_cannot_check_a_villager_in(app, db, settings):
    h = hall(db)
    token = slip_token(db, settings, h, h.people[0])
    browser = signed_in(app, h.teller)
    path = _checkin_path(token, h.meeting.id)
    response = post_form(browser, path, {})
    assert response.status_code == 403 and "工作人员账号" in response.text
    assert events(db, h.meeting) == []


def test_a_teller_checks_in_by_short_code(app, db, settings):
    h = hall(db)
    code = short_code(db, settings, h, h.people[1])
    browser = signed_in(app, h.teller)
    desk = f"/meetings/{h.meeting.id}/attendance"
    response = post_form(browser, desk + "/scan", {"code": code}, page=desk)
    assert response.status_code == 303
    page = browser.get(response.headers["location"])
    assert f"{h.people[1].name} 签到成功" in page.text
    assert "实到 1 人 / 应到 4 人" in page.text
    assert [e.method for e in events(db, h.meeting)] == [CheckInMethod.SCAN]


def test_an_empty_or_wrong_code_is_explained_beside_the_field(app, db, connection, settings):
    h = hall(db)
    browser = signed_in(app, h.teller)
    desk = f"/meetings/{h.meeting.id}/attendance"
    before = table_counts(connection)
    empty = post_form(browser, desk + "/scan", {"code": ""}, page=desk)
    assert empty.status_code == 422
    assert re.search(r'id="e-code">请输入纸条上二维码下面的 8 位号码', empty.text)
    wrong = post_form(browser, desk + "/scan", {"code": "0000-0000"}, page=desk)
    assert wrong.status_code == 404
    assert re.search(r'id="e-code">这个号码或链接不对', wrong.text)
    assert table_counts(connection) == before


def test_a_teller_ticks_names_marks_a_household_representative_and_a_departure(app, db):
    h = hall(db)
    browser = signed_in(app, h.teller)
    desk = f"/meetings/{h.meeting.id}/attendance"
    person = h.people[2]
    found = browser.get(desk, params={"q": person.name})
    assert person.name in found.text and h.people[0].name not in found.text
    response = post_form(browser, f"{desk}/{person.id}/in", {"household": "1"}, page=desk)
    assert response.status_code == 303
    assert presence.households_present(db, h.meeting) == 1
    page = browser.get(desk)
    assert f"{person.name} 作为户代表签到成功" in page.text and "（户代表）" in page.text
    twice = post_form(browser, f"{desk}/{person.id}/in", {}, page=desk)
    assert twice.status_code == 409 and f"{person.name} 已签到" in twice.text
    left = post_form(browser, f"{desk}/{person.id}/out", {}, page=desk)
    assert left.status_code == 303
    assert presence.present_people(db, h.meeting) == []
    assert "已离场" in browser.get(desk).text


def test_the_live_panel_shows_presence_and_quorum(app, db):
    h = hall(db, people=4)
    for person in h.people[:3]:
        attendance.check_in(db, None, h.meeting, person, CheckInMethod.QR)
    browser = signed_in(app, h.organizer)
    page = browser.get(f"/meetings/{h.meeting.id}/attendance/live")
    assert page.status_code == 200
    assert "实到 3 人 / 应到 4 人" in page.text and "达到法定人数" in page.text
    assert all(p.name in page.text for p in h.people[:3])
    assert h.people[3].name not in page.text


def test_the_desk_refuses_ticks_when_the_meeting_is_not_open(app, db, connection):
    h = hall(db, status=MeetingStatus.NOTIFIED)
    browser = signed_in(app, h.teller)
    desk = f"/meetings/{h.meeting.id}/attendance"
    assert "主持人宣布开会后才能签到" in browser.get(desk).text
    before = table_counts(connection)
    response = post_form(browser, f"{desk}/{h.people[0].id}/in", {}, page=desk)
    assert response.status_code == 409 and "还没有开始" in response.text
    assert table_counts(connection) == before


def test_only_tellers_and_organizers_of_the_village_use_the_desk(app, db, connection):
    h = hall(db)
    desk = f"/meetings/{h.meeting.id}/attendance"
    leader = signed_in(app, factories.staff(Role.GROUP_LEADER, h.village))
    assert leader.get(desk).status_code == 403
    outsider = signed_in(app, factories.staff(Role.TELLER))
    assert outsider.get(desk).status_code == 403
    token = csrf_from(outsider, "/")
    before = table_counts(connection)
    response = outsider.post(f"{desk}/{h.people[0].id}/in", data={"csrf_token": token})
    assert response.status_code == 403
    assert table_counts(connection) == before
    anonymous = second_client(app)
    assert anonymous.get(desk).status_code == 303


@pytest.mark.parametrize(
    ("who", "status"),
    [("township admin host", 200), ("organizer", 200), ("teller", 200), ("recorder", 403)],
)
def test_who_opens_the_desk_and_checks_people_in(app, db, who, status):
    """The host runs the meeting and the hall checks people in: the township admin who
    hosts, organizers and tellers reach the desk and the live panel; a recorder does not."""
    h = hall(db)
    admin = factories.staff(Role.TOWNSHIP_ADMIN, h.village)
    h.meeting.host_id = admin.id
    db.flush()
    users = {
        "township admin host": admin,
        "organizer": h.organizer,
        "teller": h.teller,
        "recorder": factories.staff(Role.RECORDER, h.village),
    }
    browser = signed_in(app, users[who])
    desk = f"/meetings/{h.meeting.id}/attendance"
    assert browser.get(desk).status_code == status
    assert browser.get(desk + "/live").status_code == status
    meeting_page = soup(browser.get(f"/meetings/{h.meeting.id}").text)
    desk_link = meeting_page.select_one(f'a[href="{desk}"]')
    assert (desk_link is not None) is (status == 200)
    person = h.people[0]
    if status != 200:
        response = post_form(
            browser, f"{desk}/{person.id}/in", {}, page=f"/meetings/{h.meeting.id}"
        )
        assert response.status_code == 403 and events(db, h.meeting) == []
        return
    tick = soup(browser.get(desk).text).select_one(f'form[action="{desk}/{person.id}/in"]')
    assert tick is not None
    assert post_form(browser, f"{desk}/{person.id}/in", {}, page=desk).status_code == 303
    (event,) = events(db, h.meeting)
    assert (event.person_id, event.entered_by_id) == (person.id, users[who].id)
