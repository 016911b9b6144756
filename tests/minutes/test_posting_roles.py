"""Who posts the minutes' public edition (村务公开), and what each role sees of it: the
township admin who hosted, an organizer of the village, the recorder, and a teller who
is neither host nor recorder."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette

from app.accounts.models import StaffUser
from app.permissions import Role
from meetings.models import Meeting
from minutes import signing
from minutes.models import Posting
from tests import factories
from tests.app.helpers import signed_in
from tests.conftest import post_form
from tests.html import soup
from tests.minutes import support

PERIOD = {"posted_on": "2026-12-02", "until": "2026-12-16"}


@pytest.fixture
def hosted(db: Session) -> tuple[Meeting, dict[str, StaffUser]]:
    """Locked minutes of a meeting the township admin hosted."""
    village = factories.VillageFactory()
    people = {
        "township admin host": factories.staff(Role.TOWNSHIP_ADMIN, village),
        "organizer": factories.staff(Role.ORGANIZER, village),
        "recorder": factories.staff(Role.RECORDER, village),
        "teller": factories.staff(Role.TELLER, village),
    }
    meeting = support.meeting(db, village, people["township admin host"], people["recorder"])
    support.item(db, meeting, "修建村道")
    for signer in (people["township admin host"], people["recorder"]):
        signing.sign(db, signer, meeting, factories.PASSWORD)
    return meeting, people


def _postings(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Posting)) or 0


@pytest.mark.parametrize(
    ("who", "may"),
    [("township admin host", True), ("organizer", True), ("recorder", True), ("teller", False)],
)
def test_who_may_post_the_public_edition(
    app: Starlette,
    db: Session,
    hosted: tuple[Meeting, dict[str, StaffUser]],
    who: str,
    may: bool,
) -> None:
    meeting, people = hosted
    browser = signed_in(app, people[who])
    page = f"/meetings/{meeting.id}/minutes"
    shown = soup(browser.get(page).text)
    state = shown.select_one("#posting-state")
    assert state is not None and "还没有在村务公开栏发布" in state.get_text()
    assert (shown.select_one("form#post-form") is not None) is may
    response = post_form(browser, page + "/post", PERIOD, page=page)
    if not may:
        assert response.status_code == 403
        assert "主持人、记录人或本村的组织者" in response.text
        assert _postings(db) == 0
        return
    assert response.status_code == 303
    assert _postings(db) == 1
    after = soup(browser.get(page).text).select_one("#posting-state")
    assert after is not None and "2026-12-02 至 2026-12-16" in after.get_text()


def test_the_teller_sees_the_posting_once_made(
    app: Starlette, db: Session, hosted: tuple[Meeting, dict[str, StaffUser]]
) -> None:
    meeting, people = hosted
    page = f"/meetings/{meeting.id}/minutes"
    post_form(signed_in(app, people["township admin host"]), page + "/post", PERIOD, page=page)
    shown = soup(signed_in(app, people["teller"]).get(page).text)
    state = shown.select_one("#posting-state")
    assert state is not None and "公开版已发布" in state.get_text()
    assert state.select_one(f'a[href="/public/meetings/{meeting.id}/minutes"]') is not None
    assert shown.select_one("form#post-form") is None


def test_may_post_is_the_host_the_recorder_or_an_organizer(
    hosted: tuple[Meeting, dict[str, StaffUser]],
) -> None:
    meeting, people = hosted
    assert {who for who, user in people.items() if signing.may_post(meeting, user)} == {
        "township admin host",
        "organizer",
        "recorder",
    }
    other_admin = factories.staff(Role.TOWNSHIP_ADMIN, township=people["teller"].village.township)
    assert not signing.may_post(meeting, other_admin)
