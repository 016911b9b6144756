"""Meeting pages as organizers, tellers, outsiders and the public see them."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.db import utcnow
from app.permissions import Role
from app.templating import CHINA_TIME
from meetings import agenda, services
from meetings.models import ItemKind, Meeting, MeetingStatus
from tests import factories
from tests.app.helpers import signed_in
from tests.conftest import post_form, sign_in
from tests.html import soup
from tests.meetings.meetings_support import meeting, place


def _form(where, days: int = 20, **changes: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    starts = (utcnow() + timedelta(days=days)).astimezone(CHINA_TIME)
    return {
        "kind": "villagers_assembly",
        "title": "2026年第一次村民会议",
        "group_id": "",
        "convener": "村民委员会",
        "host_id": str(where.organizer.id),
        "recorder_id": str(where.recorder.id),
        "place": "村委会礼堂",
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "notice_text": "审议修路方案。",
        **changes,
    }


def _count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Meeting)) or 0


def test_organizer_creates_a_meeting(client: TestClient, db: Session) -> None:
    where = place()
    sign_in(client, where.organizer.username)
    path = f"/villages/{where.village.id}/meetings/new"
    response = post_form(client, path, _form(where))
    assert response.status_code == 303
    created = db.scalar(select(Meeting).where(Meeting.village_id == where.village.id))
    assert created is not None and created.title == "2026年第一次村民会议"
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    assert "已保存会议" in page.text and "村委会礼堂" in page.text
    listing = client.get(f"/villages/{where.village.id}/meetings")
    assert "2026年第一次村民会议" in listing.text


def test_form_errors_sit_beside_fields_and_write_nothing(client: TestClient, db: Session) -> None:
    where = place()
    sign_in(client, where.organizer.username)
    before = _count(db)
    path = f"/villages/{where.village.id}/meetings/new"
    response = post_form(
        client, path, _form(where, place="", starts_at="明天上午", kind="group_meeting")
    )
    assert response.status_code == 422
    assert "请填写开会地点。" in response.text
    assert "时间格式不对" in response.text
    assert _count(db) == before
    past = post_form(client, path, _form(where, days=-2))
    assert past.status_code == 422
    assert "开会时间要在现在之后" in past.text
    group = post_form(client, path, _form(where, kind="group_meeting"))
    assert "村民小组会议要选择是哪个村民小组" in group.text
    assert _count(db) == before


def test_short_notice_asks_for_the_reason(client: TestClient, db: Session) -> None:
    where = place()
    m = meeting(db, where, starts_at=utcnow() + timedelta(days=3))
    sign_in(client, where.organizer.username)
    page = f"/meetings/{m.id}"
    response = post_form(client, f"{page}/notice", {"short_notice_reason": ""}, page=page)
    assert response.status_code == 422
    assert "按规定要提前 10 天通知" in response.text
    db.refresh(m)
    assert m.status is MeetingStatus.DRAFT
    response = post_form(
        client, f"{page}/notice", {"short_notice_reason": "台风过后要马上修堤"}, page=page
    )
    assert response.status_code == 303
    db.refresh(m)
    assert (m.status, m.short_notice_reason) == (MeetingStatus.NOTIFIED, "台风过后要马上修堤")


def test_public_notice_only_once_published(client: TestClient, db: Session) -> None:
    where = place()
    m = meeting(db, where)
    agenda.add_item(
        db,
        where.actor,
        m,
        agenda.ItemInput("村道硬化", "", ItemKind.MOTION, None, "", ""),
    )
    path = f"/public/meetings/{m.id}/notice"
    assert client.get(path).status_code == 404
    services.publish_notice(db, where.actor, m, "", date.today())
    response = client.get(path)  # nobody signed in
    assert response.status_code == 200
    assert "会议通知" in response.text and "村道硬化" in response.text
    assert "请全体村民参加" in response.text


def test_open_add_item_move_and_close_through_the_page(client: TestClient, db: Session) -> None:
    where = place()
    m = meeting(db, where)
    services.publish_notice(db, where.actor, m, "", date.today())
    sign_in(client, where.organizer.username)
    page = f"/meetings/{m.id}"
    early = {"early_open_reason": "村民都在家，提前召开"}  # noticed for a later day
    assert post_form(client, f"{page}/open", early, page=page).status_code == 303
    for title in ("修路", "建桥"):
        response = post_form(
            client,
            f"{page}/items",
            {"title": title, "kind": "motion", "party_studied_on": "2026-11-02"},
            page=page,
        )
        assert response.status_code == 303
    bad = post_form(client, f"{page}/items", {"title": "", "kind": "motion"}, page=page)
    assert bad.status_code == 422 and "请填写议程名称。" in bad.text
    bridge = agenda.items_of(db, m)[1]
    move = f"{page}/items/{bridge.id}/move"
    assert post_form(client, move, {"direction": "up"}, page=page).status_code == 303
    assert [i.title for i in agenda.items_of(db, m)] == ["建桥", "修路"]
    shown = client.get(page).text
    assert shown.index("建桥") < shown.index("修路")
    assert "村党组织已于 2026-11-02 研究" in shown
    assert post_form(client, f"{page}/close", {}, page=page).status_code == 303
    db.refresh(m)
    assert m.status is MeetingStatus.CLOSED


def test_party_study_form(client: TestClient, db: Session) -> None:
    where = place()
    m = meeting(db, where)
    item = agenda.add_item(
        db, where.actor, m, agenda.ItemInput("修路", "", ItemKind.MOTION, None, "", "")
    )
    sign_in(client, where.organizer.username)
    page = f"/meetings/{m.id}"
    path = f"{page}/items/{item.id}/party"
    missing = post_form(client, path, {"party_studied_on": ""}, page=page)
    assert missing.status_code == 422 and "请填写日期" in missing.text
    ok = post_form(
        client, path, {"party_studied_on": "2026-11-05", "party_studied_note": "同意"}, page=page
    )
    assert ok.status_code == 303
    db.refresh(item)
    assert item.party_studied and item.party_studied_note == "同意"


def test_teller_reads_but_cannot_manage(client: TestClient, db: Session) -> None:
    where = place()
    m = meeting(db, where)
    teller = factories.staff(Role.TELLER, where.village)
    sign_in(client, teller.username)
    page = client.get(f"/meetings/{m.id}")
    assert page.status_code == 200
    assert "发布会议通知" not in page.text
    response = post_form(client, f"/meetings/{m.id}/notice", {}, page=f"/meetings/{m.id}")
    assert response.status_code == 403
    db.refresh(m)
    assert m.status is MeetingStatus.DRAFT


def test_another_villages_meeting_is_not_found(client: TestClient, db: Session) -> None:
    m = meeting(db, place())
    other = factories.staff(Role.ORGANIZER, factories.VillageFactory())
    sign_in(client, other.username)
    assert client.get(f"/meetings/{m.id}").status_code == 404
    assert client.get(f"/meetings/{m.id}/edit").status_code == 404


def test_a_meeting_checks_in_with_an_assemblys_slips(client: TestClient, db: Session) -> None:
    from slips.models import Assembly

    where = place()
    other = factories.VillageFactory(township=where.village.township)
    ours = Assembly(
        village_id=where.village.id, title="年度村民大会", held_on=date(2026, 12, 20),
        links_expire_at=utcnow() + timedelta(days=30),
    )  # fmt: skip
    theirs = Assembly(
        village_id=other.id, title="别村大会", held_on=date(2026, 12, 20),
        links_expire_at=utcnow() + timedelta(days=30),
    )  # fmt: skip
    expired = Assembly(
        village_id=where.village.id, title="去年的选举大会", held_on=date(2025, 12, 20),
        links_expire_at=utcnow() - timedelta(days=1),
    )  # fmt: skip
    db.add_all([ours, theirs, expired])
    db.flush()
    sign_in(client, where.organizer.username)
    path = f"/villages/{where.village.id}/meetings/new"
    form_page = soup(client.get(path).text)
    options = form_page.select("select[name=assembly_id] option")
    # Every usable assembly of the village, by its title and date; not an expired one.
    assert [o.get_text(strip=True) for o in options if o["value"]] == ["年度村民大会（2026-12-20）"]
    for other_assembly in (theirs, expired):
        refused = post_form(client, path, _form(where, assembly_id=str(other_assembly.id)))
        assert refused.status_code == 422
        error = soup(refused.text).select_one("#e-assembly_id")
        assert error is not None and "二维码还能用的大会" in error.get_text()
    assert _count(db) == 0
    response = post_form(client, path, _form(where, assembly_id=str(ours.id)))
    assert response.status_code == 303
    created = db.scalar(select(Meeting).where(Meeting.village_id == where.village.id))
    assert created is not None and created.assembly_id == ours.id


def test_slips_are_prepared_once_and_only_by_those_who_manage(app: Starlette, db: Session) -> None:
    where = place()
    m = meeting(db, where)
    page = f"/meetings/{m.id}"
    teller = signed_in(app, factories.staff(Role.TELLER, where.village))
    assert soup(teller.get(page).text).select_one("#prepare-slips") is None  # reads only
    assert post_form(teller, f"{page}/slips", {}, page=page).status_code == 403
    organizer = signed_in(app, where.organizer)
    assert post_form(organizer, f"{page}/slips", {}, page=page).status_code == 303
    db.refresh(m)
    linked = m.assembly_id
    again = post_form(organizer, f"{page}/slips", {}, page=page)
    assert again.status_code == 409
    error = soup(again.text).select_one("#slips #e-slips")
    assert error is not None and "已经有签到用的二维码纸条" in error.get_text()
    db.refresh(m)
    assert m.assembly_id == linked
