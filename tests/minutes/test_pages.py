"""The minutes pages as the recorder, the host and the village see them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.db import utcnow
from app.permissions import Role
from app.registry.models import Village
from app.templating import written_date
from minutes import services
from minutes.models import Posting, Signature
from tests import factories
from tests.app.helpers import signed_in
from tests.conftest import post_form
from tests.html import soup
from tests.minutes import support


@pytest.fixture
def setting(db):
    village = factories.VillageFactory()
    host, recorder = support.staff_pair(village)
    meeting = support.meeting(db, village, host, recorder)
    road = support.item(db, meeting, "修建村道")
    people = support.villagers(db, village, 4)
    support.arrive(db, meeting, people[:3])
    support.closed_motion(db, road, members=4, present=3, yes=2, no=1, abstain=0)
    return meeting, host, recorder, road


def page(meeting):
    return f"/meetings/{meeting.id}/minutes"


def signatures(db):
    return db.scalar(select(func.count()).select_from(Signature))


def test_draft_shows_the_platform_figures(app, setting):
    meeting, host, _recorder, _road = setting
    response = signed_in(app, host).get(page(meeting))
    assert response.status_code == 200
    assert "这是草稿" in response.text
    assert "修建村道" in response.text
    assert "结果：通过" in response.text
    assert "赞成" in response.text


def test_recorder_saves_notes(app, db, setting):
    meeting, _host, recorder, road = setting
    browser = signed_in(app, recorder)
    response = post_form(
        browser,
        f"{page(meeting)}/notes",
        {f"note_{road.id}": "大家同意先修东段"},
        page=page(meeting),
    )
    assert response.status_code == 303
    assert "大家同意先修东段" in browser.get(page(meeting)).text


def test_too_long_a_note_is_refused_beside_its_box(app, db, setting):
    meeting, _host, recorder, road = setting
    browser = signed_in(app, recorder)
    response = post_form(
        browser, f"{page(meeting)}/notes", {f"note_{road.id}": "字" * 5001}, page=page(meeting)
    )
    assert response.status_code == 422
    assert "最多 5000 个字" in response.text
    assert services.find_minutes(db, meeting) is None


def test_wrong_password_says_so_and_signs_nothing(app, db, setting):
    meeting, host, _recorder, _road = setting
    browser = signed_in(app, host)
    response = post_form(
        browser, f"{page(meeting)}/sign", {"password": "wrong"}, page=page(meeting)
    )
    assert response.status_code == 422
    assert "密码不对，没有签名" in response.text
    assert signatures(db) == 0


def test_password_guesses_are_throttled(app, db, setting, settings):
    meeting, host, _recorder, _road = setting
    browser = signed_in(app, host)
    for _ in range(settings.signin_max_failures_per_account):
        post_form(browser, f"{page(meeting)}/sign", {"password": "guess"}, page=page(meeting))
    response = post_form(
        browser, f"{page(meeting)}/sign", {"password": factories.PASSWORD}, page=page(meeting)
    )
    assert response.status_code == 422
    assert "失败次数太多" in response.text
    assert signatures(db) == 0


def test_sign_lock_correct_and_publish(app, client, db, setting):
    meeting, host, recorder, _road = setting
    as_host, as_recorder = signed_in(app, host), signed_in(app, recorder)
    sign = f"{page(meeting)}/sign"
    response = post_form(as_host, sign, {"password": factories.PASSWORD}, page=page(meeting))
    assert response.status_code == 303
    assert "您已签名，请等另一位签名" in as_host.get(page(meeting)).text
    post_form(as_recorder, sign, {"password": factories.PASSWORD}, page=page(meeting))
    shown = as_recorder.get(page(meeting)).text
    assert "已锁定" in shown and "签名文本的 SHA-256" in shown

    response = post_form(
        as_recorder, f"{page(meeting)}/addenda", {"text": "赞成票应为 3 票"}, page=page(meeting)
    )
    assert response.status_code == 303
    addendum = services.addenda_of(db, services.find_minutes(db, meeting))[0]
    for browser in (as_host, as_recorder):
        post_form(
            browser,
            f"{page(meeting)}/addenda/{addendum.id}/sign",
            {"password": factories.PASSWORD},
            page=page(meeting),
        )
    db.refresh(addendum)
    assert addendum.locked_at is not None

    public = f"/public/meetings/{meeting.id}/minutes"
    assert client.get(public).status_code == 404
    response = post_form(
        as_recorder,
        f"{page(meeting)}/post",
        {"posted_on": "2026-12-02", "until": "2026-12-10"},
        page=page(meeting),
    )
    assert response.status_code == 422
    assert "公示期至少 15 天" in response.text
    assert db.scalar(select(func.count()).select_from(Posting)) == 0
    response = post_form(
        as_recorder,
        f"{page(meeting)}/post",
        {"posted_on": "2026-12-02", "until": "2026-12-16"},
        page=page(meeting),
    )
    assert response.status_code == 303
    shown = client.get(public)
    assert shown.status_code == 200
    assert "修建村道" in shown.text and "赞成票应为 3 票" in shown.text
    assert "2026-12-16" in shown.text


def test_print_edition_has_signature_blocks(app, setting):
    meeting, host, _recorder, _road = setting
    response = signed_in(app, host).get(f"{page(meeting)}/print")
    assert response.status_code == 200
    assert "主持人（签字）" in response.text and "记录人（签字）" in response.text
    assert "草稿：还没有签名锁定" in response.text


def test_a_teller_who_is_neither_host_nor_recorder_cannot_sign(app, db, setting):
    meeting, _host, _recorder, _road = setting
    teller = factories.staff(Role.TELLER, db.get(Village, meeting.village_id))
    browser = signed_in(app, teller)
    assert "确认无误，签名" not in browser.get(page(meeting)).text
    response = post_form(
        browser, f"{page(meeting)}/sign", {"password": factories.PASSWORD}, page=page(meeting)
    )
    assert response.status_code == 403
    assert "只有本次会议的主持人和记录人" in response.text
    assert signatures(db) == 0


def _consequences(html: str) -> str:
    box = (
        soup(html).select_one("form[action$='/sign']").find_previous(class_="signing-consequences")
    )
    return " ".join(box.get_text(" ", strip=True).split())


def test_the_sign_form_says_which_signature_locks_the_minutes(app, db, setting):
    """Before typing a password each signer reads what the signature does: the first, that
    the other must still sign; the second, that it locks the record and cannot be undone."""
    meeting, host, recorder, _road = setting
    as_host, as_recorder = signed_in(app, host), signed_in(app, recorder)
    first = _consequences(as_host.get(page(meeting)).text)
    assert "还要等记录人签名，记录才锁定" in first
    assert "不能再修改" not in first
    post_form(
        as_host, f"{page(meeting)}/sign", {"password": factories.PASSWORD}, page=page(meeting)
    )

    second = _consequences(as_recorder.get(page(meeting)).text)
    assert "主持人和记录人都签了名，会议记录随即锁定" in second
    assert "锁定后记录不能再修改，签名也不能撤回" in second
    assert services.is_locked(services.find_minutes(db, meeting)) is False


def _sign_dates(html):
    blocks = soup(html)
    return {
        role: (
            block.select_one(".blank-line") is not None,
            [p.get_text() for p in block.select("p") if p.get_text().startswith("日期")],
        )
        for role in ("host", "recorder")
        for block in [blocks.select_one(f"#sign-{role}")]
    }


def test_the_printed_signature_dates_come_from_the_signatures(app, setting):
    meeting, host, recorder, _road = setting
    as_host, as_recorder = signed_in(app, host), signed_in(app, recorder)
    printed = f"{page(meeting)}/print"
    assert _sign_dates(as_host.get(printed).text) == {
        "host": (True, ["日期："]),
        "recorder": (True, ["日期："]),
    }
    sign = f"{page(meeting)}/sign"
    post_form(as_host, sign, {"password": factories.PASSWORD}, page=page(meeting))
    today = "日期：" + written_date(utcnow())
    assert _sign_dates(as_host.get(printed).text) == {
        "host": (False, [today]),
        "recorder": (True, ["日期："]),
    }
    post_form(as_recorder, sign, {"password": factories.PASSWORD}, page=page(meeting))
    locked = as_host.get(printed).text
    assert _sign_dates(locked) == {"host": (False, [today]), "recorder": (False, [today])}
    assert "草稿" not in soup(locked).select_one("main").get_text()
