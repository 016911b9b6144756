from __future__ import annotations

from app.permissions import Role
from tests import factories
from tests.conftest import post_form, sign_in


def test_signin_page_is_chinese_by_default(client):
    response = client.get("/signin")
    assert response.status_code == 200
    assert "工作人员登录" in response.text
    assert '<html lang="zh-Hans">' in response.text


def test_signin_and_signout(client, db):
    user = factories.staff(Role.ORGANIZER)
    sign_in(client, user.username)
    home = client.get("/")
    assert home.status_code == 200
    assert user.display_name in home.text
    response = post_form(client, "/signout", {}, page="/")
    assert response.status_code == 303
    assert client.get("/").headers["location"].startswith("/signin")


def test_wrong_password_says_so_and_keeps_username(client, db):
    user = factories.staff(Role.ORGANIZER)
    response = post_form(client, "/signin", {"username": user.username, "password": "nope"})
    assert response.status_code == 401
    assert "用户名或密码不对" in response.text
    assert f'value="{user.username}"' in response.text


def test_session_cookie_is_httponly_and_samesite_lax(client, db):
    response = client.get("/signin")
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("cunyi_session=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie  # only when CUNYI_SECURE_COOKIES is on


def test_secure_cookie_when_configured(settings, engine, connection, db):
    from starlette.testclient import TestClient

    from app.db import Database
    from app.main import create_app

    database = Database(engine)
    database.bind_to_connection(connection)
    app = create_app(settings.with_overrides(secure_cookies=True), database=database)
    with TestClient(app, base_url="https://testserver") as secure_client:
        cookie = secure_client.get("/signin").headers["set-cookie"].lower()
    assert "secure" in cookie


def test_next_never_leaves_the_site(client, db):
    from tests.conftest import csrf_from

    user = factories.staff(Role.ORGANIZER)
    for target in (
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "/\tx",
        "javascript:x",
    ):
        client.cookies.clear()
        token = csrf_from(client, "/signin")
        data = {"username": user.username, "password": factories.PASSWORD, "next": target}
        response = client.post("/signin", data={**data, "csrf_token": token})
        assert response.status_code == 303
        assert response.headers["location"] == "/", target


def test_next_brings_the_user_back_to_the_page_asked_for(client, db):
    user = factories.staff(Role.ORGANIZER)
    redirect = client.get("/staff")
    assert redirect.headers["location"] == "/signin?next=/staff"
    response = post_form(
        client,
        "/signin",
        {"username": user.username, "password": factories.PASSWORD, "next": "/staff"},
        page=redirect.headers["location"],
    )
    assert response.headers["location"] == "/staff"
