"""Tampering: forged and expired slip links on every villager route, state changes without
this session's CSRF token on every route, altered session cookies, oversized bodies.

(A replayed vote is refused with 已投票 and stores nothing: tests/ballots/
test_casting_pages.py, tests/meetings/test_votes_pages.py and tests/compacts/
test_rounds_pages.py check it for each kind of vote.)
"""

from __future__ import annotations

import base64
import json

import pytest
from itsdangerous import TimestampSigner

from app.db import utcnow
from app.main import SESSION_COOKIE
from app.permissions import Permission, Role
from app.web import MAX_REQUEST_BYTES
from slips.links import slip_token
from slips.services import issue_slips
from tests import factories
from tests.app.helpers import existing_ids, fill_path, param_names, second_client, walk_routes
from tests.ballots import factories_elections as fe
from tests.conftest import csrf_from, sign_in
from tests.security.support import STREAMING, Snapshot, allowed

EXPIRED = "停止使用"
FORGED = "无法识别"
STALE_FORM = "页面已过期"


def _villager_routes(app):
    return [
        info
        for info in walk_routes(app.routes)
        if "token" in param_names(info) and info.name not in STREAMING
    ]


@pytest.fixture
def slip(db, settings):
    """A real slip link in a village with one row of every kind, and the path ids."""
    from app.actors import Actor

    v = fe.voting(db, voters=2)
    (issued,) = issue_slips(
        db, Actor(label="测试"), v.assembly, [v.people[0].id], settings=settings
    )
    ids = existing_ids(db, v.village.id, v.organizer)
    ids.update(round_id=v.round.id, entry_id=v.entries[0].id, assembly_id=v.assembly.id)
    return v, slip_token(settings, issued), ids


def _forge(token: str) -> str:
    """Change the signature's first character (its last may only change padding bits)."""
    value, _dot, signature = token.rpartition(".")
    first = "A" if signature[0] != "A" else "B"
    return f"{value}.{first}{signature[1:]}"


@pytest.mark.parametrize("kind", ["forged", "expired", "garbage"])
def test_a_bad_link_opens_no_villager_page_and_writes_nothing(
    app, client, db, connection, slip, kind
):
    v, token, ids = slip
    if kind == "expired":
        v.assembly.links_expire_at = utcnow()
        db.flush()
        bad, message = token, EXPIRED
    elif kind == "forged":
        bad, message = _forge(token), FORGED
    else:
        bad, message = "x" * 5000 + "<script>", FORGED
    csrf = csrf_from(client, "/s")
    snapshot = Snapshot(connection)
    checked = []
    for info in _villager_routes(app):
        path = fill_path(app, info, {**ids, "token": bad})
        for method in sorted(info.methods - {"HEAD"}):
            before = snapshot.take()
            data = None if method == "GET" else {"csrf_token": csrf, "choice": "yes", "text": "x"}
            response = client.request(method, path, data=data)
            assert 400 <= response.status_code < 500, f"{kind} {method} {path}"
            assert message in response.text, f"{kind} {method} {path}: {response.text[:300]}"
            assert "<script>" not in response.text
            assert snapshot.changes(before) == {}, f"{kind} {method} {path} wrote rows"
            checked.append(info.name)
    assert {"ballots:cast", "meetings:qr_vote", "compacts:round_comment"} <= set(checked)


def test_the_real_link_opens_the_slip(client, slip):
    _v, token, _ids = slip
    assert client.get(f"/s/{token}").status_code == 200


# --- CSRF ---------------------------------------------------------------------------


def _unsafe_routes(app):
    return [i for i in walk_routes(app.routes) if i.unsafe_methods and not i.is_mount]


@pytest.mark.parametrize("kind", ["missing", "wrong", "foreign"])
def test_no_state_change_anywhere_without_this_sessions_token(
    app, client, db, connection, slip, kind
):
    v, token, ids = slip
    ids = {**ids, "token": token}
    users = {role: factories.staff(role, v.village) for role in Role if role != Role.AUDITOR}
    users[Role.TOWNSHIP_ADMIN] = factories.staff(Role.TOWNSHIP_ADMIN, township=v.village.township)
    users[Role.AUDITOR] = factories.staff(Role.AUDITOR, township=v.village.township)
    browsers = {}
    for role, user in users.items():
        browser = second_client(app)
        sign_in(browser, user.username)
        browsers[role] = browser
    villager = second_client(app)
    csrf_from(villager, "/s")  # the villager's browser has a session token of its own
    foreign = csrf_from(second_client(app), "/signin")
    snapshot = Snapshot(connection)
    checked = 0
    for info in _unsafe_routes(app):
        if info.permission is Permission.PUBLIC:
            browser = villager
        else:
            role = next(r for r in Role if allowed(r, info.permission))
            browser = browsers[role]
        path = fill_path(app, info, ids)
        sent = {
            "missing": {},
            "wrong": {"csrf_token": "x" * 43},
            "foreign": {"csrf_token": foreign},
        }
        for method in sorted(info.unsafe_methods):
            before = snapshot.take()
            response = browser.request(method, path, data={"text": "x", **sent[kind]})
            assert response.status_code == 403, f"{method} {path}: {response.status_code}"
            assert STALE_FORM in response.text, f"{method} {path}"
            assert snapshot.changes(before) == {}, f"{method} {path} wrote rows"
            checked += 1
    assert checked > 50


# --- The session cookie -------------------------------------------------------------


def _altered(cookie: str, where: str) -> str:
    if where == "payload":
        index = 5
    elif where == "signature":
        index = cookie.rindex(".") + 1
    else:  # timestamp
        index = cookie.index(".") + 1
    replacement = "A" if cookie[index] != "A" else "B"
    return cookie[:index] + replacement + cookie[index + 1 :]


@pytest.mark.parametrize("where", ["payload", "timestamp", "signature"])
def test_an_altered_session_cookie_is_signed_out(app, client, db, where):
    user = factories.staff(Role.TOWNSHIP_ADMIN)
    sign_in(client, user.username)
    assert client.get("/").status_code == 200
    cookie = client.cookies[SESSION_COOKIE]
    browser = second_client(app)
    browser.cookies.set(SESSION_COOKIE, _altered(cookie, where))
    response = browser.get("/")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin")
    assert browser.get("/staff").status_code == 303


def test_a_session_signed_with_another_key_is_signed_out(app, client, db):
    user = factories.staff(Role.TOWNSHIP_ADMIN)
    sign_in(client, user.username)
    payload = base64.b64encode(json.dumps({"uid": user.id, "epoch": 0}).encode())
    forged = TimestampSigner("not-the-secret").sign(payload).decode()
    browser = second_client(app)
    browser.cookies.set(SESSION_COOKIE, forged)
    assert browser.get("/").status_code == 303


# --- Oversized bodies ---------------------------------------------------------------

BOUNDARY = "cunyi-test-boundary"


def _multipart_chunks(size: int, token: str):
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        'filename="roll.csv"\r\nContent-Type: text/csv\r\n\r\n'
    ).encode()
    yield head
    chunk = b"a," * 32_768
    sent = 0
    while sent < size:
        yield chunk
        sent += len(chunk)
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


@pytest.fixture
def importer(app, client, db):
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    sign_in(client, organizer.username)
    return f"/villages/{village.id}/import", csrf_from(client, f"/villages/{village.id}/import")


def _assert_too_large(response):
    assert response.status_code == 413
    assert "提交的内容太大" in response.text and "10 MB" in response.text


def test_a_declared_length_over_the_limit_is_refused_unread(client, connection, importer):
    path, token = importer
    snapshot = Snapshot(connection)
    before = snapshot.take()
    headers = {
        "content-type": f"multipart/form-data; boundary={BOUNDARY}",
        "content-length": str(MAX_REQUEST_BYTES + 1),
    }
    response = client.post(path, content=b"".join(_multipart_chunks(1024, token)), headers=headers)
    _assert_too_large(response)
    assert snapshot.changes(before) == {}


def test_a_chunked_body_without_length_is_stopped_at_the_limit(client, connection, importer):
    path, token = importer
    snapshot = Snapshot(connection)
    before = snapshot.take()
    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    body = _multipart_chunks(MAX_REQUEST_BYTES + 65_536, token)
    response = client.post(path, content=body, headers=headers)
    _assert_too_large(response)
    assert snapshot.changes(before) == {}


def test_a_chunked_body_under_the_limit_is_read(client, connection, importer):
    path, token = importer
    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    response = client.post(path, content=_multipart_chunks(64 * 1024, token), headers=headers)
    # Read whole and judged on its content (a file of nonsense), not refused for size.
    assert response.status_code != 413
    assert response.status_code < 500


# --- NUL characters -----------------------------------------------------------------


def test_a_nul_character_is_refused_clearly_and_writes_nothing(client, db, connection):
    """PostgreSQL can neither store nor compare NUL: it is refused before any query."""
    admin = factories.staff(Role.TOWNSHIP_ADMIN)
    sign_in(client, admin.username)
    snapshot = Snapshot(connection)
    before = snapshot.take()
    token = csrf_from(client, "/staff/new")
    data = {"display_name": "张\x00三", "username": "zhang", "csrf_token": token}
    response = client.post("/staff/new", data=data)
    assert response.status_code == 400
    assert "空字符" in response.text
    assert snapshot.changes(before) == {}
    for query in ("actor=%00", "%00=1"):
        response = client.get(f"/audit?{query}")
        assert response.status_code == 400, query
        assert "空字符" in response.text
