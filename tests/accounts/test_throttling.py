"""Sign-in throttling per account and per client address."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from app.accounts.models import SigninFailure
from app.db import Database, utcnow
from app.main import create_app
from app.permissions import Role
from tests import factories
from tests.conftest import post_form

ADDRESS = "testclient"  # the client address Starlette's TestClient reports


@pytest.fixture
def limited(settings, engine, connection, db):
    """A client whose app allows 3 failures per account and 5 per address in 15 minutes."""
    database = Database(engine)
    database.bind_to_connection(connection)
    tight = settings.with_overrides(
        signin_max_failures_per_account=3,
        signin_max_failures_per_address=5,
        signin_window_seconds=15 * 60,
    )
    with TestClient(create_app(tight, database=database), follow_redirects=False) as client:
        yield client


def attempt(client, username, password):
    return post_form(client, "/signin", {"username": username, "password": password})


def failures(db, key):
    return db.scalar(select(func.count()).where(SigninFailure.key == key))


def test_account_is_locked_after_too_many_failures_even_with_the_right_password(limited, db):
    user = factories.staff(Role.ORGANIZER)
    for _ in range(3):
        assert attempt(limited, user.username, "wrong password").status_code == 401
    response = attempt(limited, user.username, factories.PASSWORD)
    assert response.status_code == 429
    assert "登录失败次数太多" in response.text
    assert "请在 15 分钟后再试" in response.text
    assert limited.get("/").status_code == 303  # still not signed in


def test_default_limit_comes_from_settings(client, db, settings):
    user = factories.staff(Role.ORGANIZER)
    for _ in range(settings.signin_max_failures_per_account - 1):
        assert attempt(client, user.username, "wrong password").status_code == 401
    assert attempt(client, user.username, factories.PASSWORD).status_code == 303


def test_failures_are_kept_although_the_request_rolls_back(limited, db):
    user = factories.staff(Role.ORGANIZER)
    attempt(limited, user.username.upper(), "wrong password")
    assert failures(db, f"account:{user.username}") == 1
    assert failures(db, f"address:{ADDRESS}") == 1


def test_address_is_locked_across_usernames(limited, db):
    user = factories.staff(Role.ORGANIZER)
    for n in range(5):
        assert attempt(limited, f"guess{n}", "wrong password").status_code == 401
    response = attempt(limited, user.username, factories.PASSWORD)
    assert response.status_code == 429
    assert "请在 15 分钟后再试" in response.text
    assert failures(db, f"account:{user.username}") == 0


def test_failures_older_than_the_window_do_not_count(limited, db):
    user = factories.staff(Role.ORGANIZER)
    old = utcnow() - timedelta(minutes=16)
    db.add_all(SigninFailure(key=f"account:{user.username}", at=old) for _ in range(10))
    db.add_all(SigninFailure(key=f"address:{ADDRESS}", at=old) for _ in range(10))
    db.flush()
    assert attempt(limited, user.username, factories.PASSWORD).status_code == 303


def test_lock_ends_when_the_window_passes(limited, db):
    user = factories.staff(Role.ORGANIZER)
    almost = utcnow() - timedelta(minutes=14, seconds=30)
    db.add_all(SigninFailure(key=f"account:{user.username}", at=almost) for _ in range(3))
    db.flush()
    response = attempt(limited, user.username, factories.PASSWORD)
    assert response.status_code == 429
    assert "请在 1 分钟后再试" in response.text


def test_wait_counts_from_the_failure_that_unlocks(limited, db):
    """With more failures than the limit, the lock lasts until enough have expired."""
    user = factories.staff(Role.ORGANIZER)
    now = utcnow()
    db.add_all(
        SigninFailure(key=f"account:{user.username}", at=now - timedelta(minutes=m))
        for m in (10, 9, 8, 7, 6)
    )
    db.flush()
    # Below 3 again once the 10-, 9- and 8-minute-old ones expire: in 7 minutes.
    response = attempt(limited, user.username, factories.PASSWORD)
    assert response.status_code == 429
    assert "请在 7 分钟后再试" in response.text


def test_success_clears_the_account_count(limited, db):
    user = factories.staff(Role.ORGANIZER)
    for _ in range(2):
        attempt(limited, user.username, "wrong password")
    assert attempt(limited, user.username, factories.PASSWORD).status_code == 303
    assert failures(db, f"account:{user.username}") == 0
    post_form(limited, "/signout", {}, page="/")
    for _ in range(2):
        assert attempt(limited, user.username, "wrong password").status_code == 401
    assert attempt(limited, user.username, factories.PASSWORD).status_code == 303


def test_expired_failures_are_removed_when_a_new_one_is_stored(limited, db):
    db.add(SigninFailure(key="account:someone", at=utcnow() - timedelta(hours=2)))
    db.flush()
    attempt(limited, "nobody", "wrong password")
    assert failures(db, "account:someone") == 0
    assert failures(db, "account:nobody") == 1
