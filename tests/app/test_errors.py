"""Error pages: clear Chinese text, the right status, never a stack trace, nothing saved."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from app.db import Database
from app.errors import Conflict
from app.i18n import lazy
from app.main import create_app
from app.permissions import Permission, Role
from app.registry.models import Township
from app.web import route
from tests import factories
from tests.conftest import csrf_from, sign_in
from tests.html import soup

SECRET_DETAIL = "kaboom-internal-detail-42"


def explode(ctx):
    ctx.db.add(Township(code="BOOM", name="不该保存的乡镇"))
    ctx.db.flush()
    raise RuntimeError(SECRET_DETAIL)


def refuse(ctx):
    ctx.db.add(Township(code="REFUSED", name="不该保存的乡镇"))
    ctx.db.flush()
    raise Conflict(lazy("这个编号“%(code)s”已经有人用了，请换一个。"), code="X9")


TEST_ROUTES = [
    route("/test/explode", explode, name="test:explode", permission=Permission.PUBLIC),
    route("/test/refuse", refuse, name="test:refuse", permission=Permission.PUBLIC),
]


@pytest.fixture
def raw_client(settings, engine, connection, db):
    """A client that receives the 500 page instead of re-raising the server's exception."""
    database = Database(engine)
    database.bind_to_connection(connection)
    app = create_app(settings, database=database, extra_routes=TEST_ROUTES)
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        yield client


def error_page(response):
    assert 'class="card error-page"' in response.text
    return re.search(r"<h1>(.*?)</h1>", response.text).group(1)


def test_unknown_path_gives_the_chinese_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert error_page(response) == "找不到该页面"
    # The code is one click away for whoever reports it, never the message itself.
    technical = soup(response.text).select_one("details.technical")
    assert technical.select_one("summary").get_text(strip=True) == "技术信息"
    assert "错误代码 404" in technical.get_text()


def test_forbidden_page_gives_the_chinese_403_page(client, db):
    organizer = factories.staff(Role.ORGANIZER)
    sign_in(client, organizer.username)
    response = client.get("/staff/new")
    assert response.status_code == 403
    assert error_page(response) == "没有权限"
    assert "您的账号没有进行此操作的权限" in response.text


def test_other_villages_are_out_of_scope(client, db):
    organizer = factories.staff(Role.ORGANIZER)
    elsewhere = factories.VillageFactory(township=organizer.township)
    sign_in(client, organizer.username)
    response = client.get(f"/villages/{elsewhere.id}/people")
    assert response.status_code == 403
    assert "这个村不在您的管辖范围内" in response.text


def test_unexpected_error_shows_the_500_page_without_details(raw_client, db):
    response = raw_client.get("/test/explode")
    assert response.status_code == 500
    assert error_page(response) == "系统出错了"
    assert "您的操作没有保存" in response.text
    for leak in (SECRET_DETAIL, "RuntimeError", "Traceback", "test_errors.py"):
        assert leak not in response.text
    assert db.scalar(select(Township).where(Township.code == "BOOM")) is None


def test_500_page_keeps_the_security_headers(raw_client):
    response = raw_client.get("/test/explode")
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_domain_error_shows_its_message_and_status_and_saves_nothing(raw_client, db):
    response = raw_client.get("/test/refuse")
    assert response.status_code == 409
    assert error_page(response) == "与现有记录冲突"
    assert "这个编号“X9”已经有人用了，请换一个。" in response.text
    assert db.scalar(select(Township).where(Township.code == "REFUSED")) is None


@pytest.mark.parametrize(
    ("path", "status"), [("/no/such/page", 404), ("/test/refuse", 409), ("/test/explode", 500)]
)
def test_error_pages_in_english(raw_client, path, status):
    response = raw_client.get(path, headers={"Accept-Language": "en"})
    assert response.status_code == status
    assert '<html lang="en">' in response.text
    assert error_page(response)
    assert SECRET_DETAIL not in response.text


def test_wrong_method_gives_a_page_not_a_crash(client):
    response = client.get("/signout")
    assert response.status_code == 405
    assert 'class="card error-page"' in response.text


def test_unreadable_form_gives_a_page_not_plain_text(client):
    client.get("/signin")  # a session, so the request gets past nothing but the body
    response = client.post(
        "/signin",
        content=b"not multipart at all",
        headers={"content-type": "multipart/form-data; boundary=xyz"},
    )
    assert response.status_code == 400
    assert error_page(response) == "无法处理这个请求"


def test_oversized_request_is_refused_before_it_is_read(client):
    from app.web import MAX_REQUEST_BYTES

    token = csrf_from(client, "/signin")
    body = b"x" * (MAX_REQUEST_BYTES + 1)
    response = client.post(
        "/signin",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded", "x-csrf-token": token},
    )
    assert response.status_code == 413
    assert "10 MB" in response.text
