"""CSRF: every state-changing request needs this session's token."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import StaffUser
from app.accounts.services import verify_password
from app.permissions import Role
from tests import factories
from tests.app.helpers import signed_in, table_counts
from tests.conftest import csrf_from, sign_in

NEW_STAFF = {
    "display_name": "新来的",
    "username": "newcomer",
    "role": "auditor",
    "village_id": "",
    "password": "a long enough password",
    "confirm": "a long enough password",
}
NEW_PASSWORD = {
    "current": factories.PASSWORD,
    "password": "another long password",
    "confirm": "another long password",
}


def _bad_tokens(app, client, page):
    """No token, a made-up token, and a real token from another browser's session."""
    other = signed_in(app, factories.staff(Role.TOWNSHIP_ADMIN))
    foreign = csrf_from(other, page)
    assert foreign != csrf_from(client, page)
    return {"missing": None, "wrong": "not-the-token", "foreign": foreign}


@pytest.mark.parametrize("kind", ["missing", "wrong", "foreign"])
def test_staff_form_without_the_right_token_is_refused(app, client, db, connection, kind):
    admin = factories.staff(Role.TOWNSHIP_ADMIN)
    sign_in(client, admin.username)
    token = _bad_tokens(app, client, "/staff/new")[kind]
    before = table_counts(connection)
    data = dict(NEW_STAFF) if token is None else {**NEW_STAFF, "csrf_token": token}
    response = client.post("/staff/new", data=data)
    assert response.status_code == 403
    assert "页面已过期" in response.text
    assert "刷新后再提交" in response.text
    assert table_counts(connection) == before
    assert db.scalar(select(StaffUser).where(StaffUser.username == "newcomer")) is None


def test_staff_form_with_the_right_token_works(client, db):
    admin = factories.staff(Role.TOWNSHIP_ADMIN)
    sign_in(client, admin.username)
    token = csrf_from(client, "/staff/new")
    response = client.post("/staff/new", data={**NEW_STAFF, "csrf_token": token})
    assert response.status_code == 303
    assert db.scalar(select(StaffUser).where(StaffUser.username == "newcomer")) is not None


@pytest.mark.parametrize("kind", ["missing", "wrong", "foreign"])
def test_password_change_without_the_right_token_is_refused(app, client, db, connection, kind):
    user = factories.staff(Role.ORGANIZER)
    sign_in(client, user.username)
    token = _bad_tokens(app, client, "/account/password")[kind]
    before = table_counts(connection)
    data = dict(NEW_PASSWORD) if token is None else {**NEW_PASSWORD, "csrf_token": token}
    response = client.post("/account/password", data=data)
    assert response.status_code == 403
    assert "页面已过期" in response.text
    assert table_counts(connection) == before
    db.refresh(user)
    assert verify_password(user.password_hash, factories.PASSWORD)


def test_password_change_with_the_right_token_works(client, db):
    user = factories.staff(Role.ORGANIZER)
    sign_in(client, user.username)
    token = csrf_from(client, "/account/password")
    response = client.post("/account/password", data={**NEW_PASSWORD, "csrf_token": token})
    assert response.status_code == 303
    db.refresh(user)
    assert verify_password(user.password_hash, NEW_PASSWORD["password"])


def test_the_token_may_come_in_a_header(client, db):
    user = factories.staff(Role.ORGANIZER)
    sign_in(client, user.username)
    token = csrf_from(client, "/account/password")
    response = client.post("/account/password", data=NEW_PASSWORD, headers={"X-CSRF-Token": token})
    assert response.status_code == 303


def test_signing_in_issues_a_new_token(client, db):
    """A token planted before sign-in (session fixation) must not survive it."""
    user = factories.staff(Role.ORGANIZER)
    before = csrf_from(client, "/signin")
    sign_in(client, user.username)
    assert csrf_from(client, "/account/password") != before


def test_a_non_ascii_token_is_refused_not_a_crash(client, db):
    csrf_from(client, "/signin")
    response = client.post("/signin", data={"username": "a", "password": "b", "csrf_token": "页面"})
    assert response.status_code == 403
    assert "页面已过期" in response.text
