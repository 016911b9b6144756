"""A drill (演练) of a villagers' assembly, through the pages, on the real clock (issue 13).

The meeting is created from the ordinary form with 这是演练 ticked, at a drill assembly;
the law's ten days of notice hold on the drill's calendar (a meeting three drill days off
needs a reason for the short notice), and the ten days pass in ten seconds. Villagers
check in with their slips, the meeting closes, the minutes are signed and locked and
posted; every page and printout of it says 演练. The assessment, the API and the home
page do not count it, and removing it takes its signed minutes and attendance with it
(which the database refuses for a real meeting) while the audit chain still verifies.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.drill import china_today
from app.permissions import Role
from app.registry.models import Person
from app.templating import CHINA_TIME
from meetings.models import AttendanceEvent, Meeting, MeetingStatus
from minutes.models import Minutes, Signature
from slips.links import slip_token
from slips.models import Assembly, Slip
from tests import factories
from tests.conftest import csrf_from
from tests.functional.drill_support import (
    Outside,
    banner,
    chain_intact,
    village_of_six,
    wait_for_drill_day,
    with_short_days,
)
from tests.functional.test_election_assembly import Staff
from tests.html import soup

TITLE = "冬季村民会议（演练）"


@pytest.fixture
def settings(settings):
    return with_short_days(settings)


def _at_nine(day):
    return datetime.combine(day, time(9), CHINA_TIME).strftime("%Y-%m-%dT%H:%M")


def test_a_drill_villagers_assembly(app, client, db, settings):
    village = village_of_six()
    host_user = factories.staff(Role.ORGANIZER, village, display_name="王主任")
    recorder_user = factories.staff(Role.RECORDER, village, display_name="李会计")
    host, recorder = Staff(app, host_user), Staff(app, recorder_user)
    outside = Outside(app, db, client, village)
    db.flush()
    before = outside.figures(host)
    day_one = china_today()

    def assembly(drill):
        return host.post(
            f"/villages/{village.id}/assemblies/new",
            title="演练大会" if drill else "正式大会",
            held_on=day_one.isoformat(),
            place="村委会礼堂",
            expires_on=(day_one + timedelta(days=30)).isoformat(),
            expires_time="23:59",
            **({"drill": "1"} if drill else {}),
        ).headers["location"]

    real, drill = assembly(False), assembly(True)
    form = {
        "kind": "villagers_assembly", "title": TITLE, "group_id": "", "convener": "村民委员会",
        "host_id": str(host_user.id), "recorder_id": str(recorder_user.id), "place": "村委会礼堂",
        "starts_at": _at_nine(day_one + timedelta(days=3)), "notice_text": "演练开会的全过程。",
        "drill": "1",
    }  # fmt: skip
    new = f"/villages/{village.id}/meetings/new"
    # A drill meets at a drill assembly only: said beside the field, nothing written.
    refused = host.post(new, expect=422, **{**form, "assembly_id": real.rsplit("/", 1)[1]})
    assert "演练只能在演练大会上进行" in soup(refused.text).select_one("#e-assembly_id").get_text()
    assert db.scalar(select(func.count()).select_from(Meeting)) == 0
    form["assembly_id"] = drill.rsplit("/", 1)[1]
    created = host.post(new, **form)
    page = created.headers["location"]
    meeting_id = int(page.rsplit("/", 1)[1])
    assert "演练第 1 天" in banner(host.get(page))

    # Ten days' notice on the drill's calendar: three drill days is short notice.
    short = host.post(f"{page}/notice", expect=422, short_notice_reason="")
    assert "离开会只有 3 天，按规定要提前 10 天通知" in short.text
    host.post(f"{page}/edit", **{**form, "starts_at": _at_nine(day_one + timedelta(days=10))})
    host.post(f"{page}/notice", short_notice_reason="")
    notice = client.get(f"/public/meetings/{meeting_id}/notice").text
    assert "演练开会的全过程" in notice and "演练" in banner(notice)
    host.post(f"{page}/items", title="演练表决", kind="motion", party_studied_on="")

    host.post(f"{drill}/slips")
    sheet = soup(host.get(f"{drill}/slips/sheet"))
    assert len(sheet.select("li.slip .slip-drill-mark")) == 6
    db.expire_all()
    meeting = db.get(Meeting, meeting_id)
    wait_for_drill_day(db, meeting, day_one + timedelta(days=10))  # the meeting day comes
    host.post(f"{page}/open")
    assert TITLE not in host.get("/")  # not among the home page's meetings under way
    links = {
        person.name: f"/s/{slip_token(settings, slip)}"
        for slip, person in db.execute(
            select(Slip, Person).join(Person, Person.id == Slip.person_id)
        )
    }
    phone = csrf_from(client, "/s")
    for name in ("王芳", "陈刚", "林霞", "周伟"):
        checkin = client.post(
            f"{links[name]}/meetings/{meeting_id}/checkin", data={"csrf_token": phone}
        )
        assert checkin.status_code == 200 and "签到成功" in checkin.text, checkin.text[-1500:]
        assert "演练" in banner(checkin.text)
    host.post(f"{page}/close")
    db.expire_all()
    assert db.get(Meeting, meeting_id).status is MeetingStatus.CLOSED

    minutes = f"{page}/minutes"
    shown = recorder.get(minutes)
    assert "演练" in banner(shown)
    item_note = soup(shown).select_one("textarea[name^=note_]")["name"]
    recorder.post(f"{minutes}/notes", **{item_note: "演练记录。"})
    for signer in (host, recorder):
        signer.post(f"{minutes}/sign", password=factories.PASSWORD)
    db.expire_all()
    assert db.scalar(select(Minutes.locked_at)) is not None
    # The posting's dates are the drill's: the meeting was on day 11, it is later now.
    posting = soup(recorder.get(minutes))
    posted = posting.select_one("input[name=posted_on]")["value"]
    assert date.fromisoformat(posted) >= day_one + timedelta(days=10)
    until = posting.select_one("input[name=until]")["value"]
    recorder.post(f"{minutes}/post", posted_on=posted, until=until)
    assert "演练" in banner(recorder.get(f"{minutes}/print"))
    assert "演练" in banner(client.get(f"/public/meetings/{meeting_id}/minutes").text)

    # Counted nowhere outside its pages.
    assert outside.figures(host) == before
    assert outside.api(f"/meetings/{meeting_id}/attendance")[0] == 404

    # Removed, after a confirmation step: signed minutes and attendance go too.
    remove = f"{page}/drill/remove"
    assert soup(host.get(remove)).select_one(f"form[action='{remove}']") is not None
    host.post(remove)
    db.expire_all()
    for model in (Meeting, Minutes, Signature, AttendanceEvent, Slip, Assembly):
        left = db.scalar(select(func.count()).select_from(model))
        assert left == (1 if model is Assembly else 0), model  # the real assembly stays
    assert chain_intact(db)
    removal = db.scalar(select(AuditEntry).where(AuditEntry.action == "meeting.drill_remove"))
    assert removal is not None
