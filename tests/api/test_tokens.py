"""Token pages for the township admin: create (shown once, only the hash kept), revoke."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select

from app.api.models import ApiToken
from app.audit.models import AuditEntry
from app.permissions import Role
from tests import factories
from tests.app.helpers import signed_in
from tests.conftest import csrf_from

TOKEN_RE = re.compile(r'<code class="sha" id="new-token">([^<]+)</code>')


def _setting(app, db):
    village = factories.VillageFactory()
    other = factories.VillageFactory(township=village.township)
    admin = factories.staff(Role.TOWNSHIP_ADMIN, township=village.township)
    return village, other, admin, signed_in(app, admin)


def _create(browser, data):
    token = csrf_from(browser, "/api/tokens")
    return browser.post("/api/tokens", data={**data, "csrf_token": token})


def test_admin_creates_a_token_shown_once_and_stored_as_its_hash(app, client, db):
    village, _other, admin, browser = _setting(app, db)
    response = _create(browser, {"label": "县民政局数据平台", "village_id": str(village.id)})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    secret = TOKEN_RE.search(response.text).group(1)
    row = db.scalar(select(ApiToken).where(ApiToken.label == "县民政局数据平台"))
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert (row.township_id, row.village_id, row.created_by_id) == (
        village.township_id,
        village.id,
        admin.id,
    )
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "api.token_create"))
    assert entry.object_id == str(row.id) and secret not in entry.summary
    assert row.token_hash not in entry.summary
    # Never shown again.
    listing = browser.get("/api/tokens")
    assert secret not in listing.text and "县民政局数据平台" in listing.text
    # And it works, for that village only.
    api = browser.get(
        f"/api/v1/villages/{village.id}/assessment?year=2026",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert api.status_code == 200


def test_bad_input_says_what_to_fix_and_writes_nothing(app, client, db):
    _village, _other, _admin, browser = _setting(app, db)
    foreign = factories.VillageFactory()
    before = db.scalar(select(ApiToken.id).order_by(ApiToken.id.desc()).limit(1))
    response = _create(browser, {"label": "", "village_id": ""})
    assert response.status_code == 422 and "请填写令牌的用途" in response.text
    response = _create(browser, {"label": "x", "village_id": str(foreign.id)})
    assert response.status_code == 422 and "本乡镇的一个村" in response.text
    assert db.scalar(select(ApiToken.id).order_by(ApiToken.id.desc()).limit(1)) == before


def test_revoking_stops_the_token_and_is_audited(app, client, db):
    _village, _other, _admin, browser = _setting(app, db)
    secret = TOKEN_RE.search(_create(browser, {"label": "旧系统"}).text).group(1)
    row = db.scalar(select(ApiToken).where(ApiToken.label == "旧系统"))
    token = csrf_from(browser, "/api/tokens")
    response = browser.post(f"/api/tokens/{row.id}/revoke", data={"csrf_token": token})
    assert response.status_code == 303
    db.refresh(row)
    assert row.revoked_at is not None
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "api.token_revoke"))
    api = browser.get(
        "/api/v1/assessment/overview?year=2026", headers={"Authorization": f"Bearer {secret}"}
    )
    assert api.status_code == 401
    assert "已撤销" in browser.get("/api/tokens").text


def test_other_roles_and_townships_cannot_manage_tokens(app, client, db):
    village, _other, _admin, browser = _setting(app, db)
    _create(browser, {"label": "东山数据平台"})
    row = db.scalar(select(ApiToken).where(ApiToken.label == "东山数据平台"))
    organizer = signed_in(app, factories.staff(Role.ORGANIZER, village))
    assert organizer.get("/api/tokens").status_code == 403
    far = signed_in(app, factories.staff(Role.TOWNSHIP_ADMIN))
    assert "东山数据平台" not in far.get("/api/tokens").text
    token = csrf_from(far, "/api/tokens")
    response = far.post(f"/api/tokens/{row.id}/revoke", data={"csrf_token": token})
    assert response.status_code == 404
    db.refresh(row)
    assert row.revoked_at is None


def test_the_docs_page_and_openapi_document_are_public(client):
    page = client.get("/api/v1/")
    assert page.status_code == 200
    for path in ("assessment/overview", "elections/{election_id}/results", "Bearer"):
        assert path in page.text
    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": "/api/v1"}]
    assert set(document["paths"]) == {
        "/villages/{village_id}/assessment",
        "/assessment/overview",
        "/elections/{election_id}/results",
        "/meetings/{meeting_id}/attendance",
    }
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for item in document["paths"].values():
        assert {"200", "401", "403", "404"} <= set(item["get"]["responses"])
