"""A session cookie copied off a shared computer opens nothing once the session has ended:
after sign-out, a password change, a deactivation or "sign out everywhere"."""

from __future__ import annotations

import hashlib
import json
from base64 import b64decode
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts import services
from app.accounts.models import StaffSession
from app.audit.models import AuditEntry
from app.main import SESSION_COOKIE
from app.permissions import Role
from tests import factories
from tests.app.helpers import second_client, signed_in
from tests.conftest import post_form, sign_in

NEW_PASSWORD = "new long password"


@pytest.fixture
def organizer(db):
    return factories.staff(Role.ORGANIZER)


def people_page(organizer) -> str:
    return f"/villages/{organizer.village_id}/people"


def copy_of(app, browser):
    """Another browser holding a copy of `browser`'s session cookie."""
    thief = second_client(app)
    thief.cookies.set(SESSION_COOKIE, browser.cookies[SESSION_COOKIE])
    return thief


def assert_sent_to_signin(browser, path: str) -> None:
    response = browser.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin")


def cookie_content(browser) -> dict:
    payload = browser.cookies[SESSION_COOKIE].split(".")[0]
    return json.loads(b64decode(payload + "=" * (-len(payload) % 4)))


def test_a_cookie_copied_before_sign_out_is_refused_after_it(app, client, organizer):
    sign_in(client, organizer.username)
    copied = copy_of(app, client)
    assert copied.get(people_page(organizer)).status_code == 200
    assert post_form(client, "/signout", {}, page="/").status_code == 303
    assert_sent_to_signin(client, people_page(organizer))
    assert_sent_to_signin(copied, people_page(organizer))
    assert_sent_to_signin(copied, "/")


def test_signing_out_ends_only_that_browsers_session(app, client, organizer):
    sign_in(client, organizer.username)
    other_browser = signed_in(app, organizer)
    post_form(client, "/signout", {}, page="/")
    assert other_browser.get(people_page(organizer)).status_code == 200


def test_signing_in_again_does_not_bring_a_signed_out_copy_back(app, client, organizer):
    sign_in(client, organizer.username)
    copied = copy_of(app, client)
    post_form(client, "/signout", {}, page="/")
    sign_in(client, organizer.username)
    assert client.get(people_page(organizer)).status_code == 200
    assert_sent_to_signin(copied, people_page(organizer))


def test_a_cookie_copied_before_a_password_change_is_refused_after_it(app, client, organizer):
    sign_in(client, organizer.username)
    copied = copy_of(app, client)
    data = {"current": factories.PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert post_form(client, "/account/password", data).status_code == 303
    assert client.get(people_page(organizer)).status_code == 200
    assert_sent_to_signin(copied, people_page(organizer))


def test_a_cookie_copied_before_deactivation_is_refused_after_reactivation(app, client, db):
    admin = factories.staff(Role.TOWNSHIP_ADMIN)
    member = factories.staff(Role.ORGANIZER, factories.VillageFactory(township=admin.township))
    sign_in(client, admin.username)
    their_browser = signed_in(app, member)
    copied = copy_of(app, their_browser)
    assert copied.get(people_page(member)).status_code == 200
    post_form(client, f"/staff/{member.id}/toggle", {}, page="/staff")
    assert_sent_to_signin(copied, people_page(member))
    # Switched back on, the account needs a new sign-in: the old copy stays dead.
    post_form(client, f"/staff/{member.id}/toggle", {}, page="/staff")
    assert_sent_to_signin(copied, people_page(member))
    assert_sent_to_signin(their_browser, people_page(member))


def test_the_password_page_offers_to_sign_out_everywhere(client, organizer):
    sign_in(client, organizer.username)
    page = client.get("/account/password")
    assert page.status_code == 200
    assert "在所有设备上退出登录" in page.text
    assert 'action="/account/signout-everywhere"' in page.text


def test_sign_out_everywhere_ends_another_browsers_session_and_says_so(app, client, db, organizer):
    sign_in(client, organizer.username)
    township_computer = signed_in(app, organizer)
    copied = copy_of(app, township_computer)
    response = post_form(client, "/account/signout-everywhere", {}, page="/account/password")
    assert response.status_code == 303
    assert response.headers["location"] == "/signin"
    signin_page = client.get("/signin")
    assert "已在所有设备上退出登录" in signin_page.text
    for browser in (township_computer, copied, client):
        assert_sent_to_signin(browser, people_page(organizer))
    entry = db.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert (entry.action, entry.actor_id, entry.object_id) == (
        "staff.signout_everywhere",
        organizer.id,
        str(organizer.id),
    )
    assert json.loads(entry.summary)["sessions"] == 2
    sign_in(client, organizer.username)
    assert client.get(people_page(organizer)).status_code == 200


def test_sign_out_everywhere_needs_a_signed_in_user(client, db):
    response = post_form(client, "/account/signout-everywhere", {}, page="/signin")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin")


def test_only_the_hash_of_the_session_id_is_stored(client, db, organizer):
    sign_in(client, organizer.username)
    session_id = cookie_content(client)["sid"]
    rows = db.scalars(select(StaffSession).where(StaffSession.user_id == organizer.id)).all()
    assert [row.id_hash for row in rows] == [hashlib.sha256(session_id.encode()).hexdigest()]
    assert session_id not in rows[0].id_hash


def test_a_sign_in_held_for_a_handed_over_phone_opens_nothing_and_ends_with_the_next_sign_in(
    db, organizer
):
    cookie = services.start_session(db, organizer, max_age=timedelta(hours=1))
    services.hand_over(cookie, return_to="/rounds/1/mobile")
    assert services.session_user(db, cookie) is None  # the villager's phone is signed out
    assert services.held_user(db, cookie) == organizer
    services.end_session(db, cookie)  # someone signs in afresh on the phone
    assert services.held_user(db, cookie) is None
