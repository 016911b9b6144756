"""HEAD is GET without a body: on no route, for no one, does it run a form's POST code.

Views branch on `method == "GET"`, and HEAD counts as a safe method (no CSRF check):
a HEAD that reached a view as HEAD fell into its POST branch with an empty form
(`curl -I` on a compact's draft page emptied the draft). The request layer presents
HEAD as GET, so HEAD answers exactly what GET answers, minus the body.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, inspect, select, text
from starlette.testclient import TestClient

from app import web
from app.audit.models import AuditEntry
from app.permissions import Role
from compacts.models import Compact, Draft
from tests import factories
from tests.app.helpers import existing_ids, fill_path, second_client, signed_in, walk_routes
from tests.conftest import post_form

STYLESHEET = "/static/css/app.css"


def database_content(connection: Connection) -> dict[str, list[str]]:
    """Every row of every table, in a fixed order: an UPDATE that keeps the row count
    changes this too."""
    content: dict[str, list[str]] = {}
    for name in sorted(inspect(connection).get_table_names()):
        rows = connection.execute(text(f'SELECT * FROM "{name}"')).all()
        content[name] = sorted(repr(tuple(row)) for row in rows)
    return content


def _changed(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    return [
        name for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)
    ]


@pytest.fixture
def methods_views_saw(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The method of every request that reached a view through the request layer."""
    seen: list[str] = []
    handle = web._handle

    def spying_handle(request: Any, *args: Any) -> Any:
        seen.append(request.method)
        return handle(request, *args)

    monkeypatch.setattr(web, "_handle", spying_handle)
    return seen


def _browsers(app: Any, village: Any) -> dict[str, TestClient]:
    """A browser per role, signed in as staff of `village` (its township for the
    township-wide roles), and one nobody is signed in on."""
    browsers = {"anonymous": second_client(app)}
    for role in Role:
        if role is Role.AUDITOR:
            browsers["auditor (township)"] = signed_in(
                app, factories.staff(role, township=village.township)
            )
            browsers["auditor (village)"] = signed_in(app, factories.staff(role, village))
        else:
            browsers[role.value] = signed_in(app, factories.staff(role, village))
    return browsers


def test_head_on_every_route_as_every_role_writes_nothing_and_runs_no_post_code(
    app, client, db, connection, methods_views_saw
):
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    ids = existing_ids(db, village.id, organizer)
    db.flush()
    browsers = _browsers(app, village)
    routes = list(walk_routes(app.routes))
    assert len(routes) > 100
    checked = pages = 0
    for who, browser in browsers.items():
        paths = [STYLESHEET if info.is_mount else fill_path(app, info, ids) for info in routes]
        # Every HEAD first, the database read once before and once after them (reading it
        # around each request took most of this test's time); a change is then pinned
        # to its request by going through them again one at a time.
        before = database_content(connection)
        heads = {}
        for path in paths:
            del methods_views_saw[:]
            head = browser.head(path)
            where = f"HEAD {path} as {who}"
            assert set(methods_views_saw) <= {"GET"}, (
                f"{where} reached a view as {methods_views_saw}"
            )
            assert head.content == b"", f"{where} sent a body"
            heads[path] = head
        if _changed(before, database_content(connection)):
            for path in paths:
                one = database_content(connection)
                browser.head(path)
                changed = _changed(one, database_content(connection))
                assert not changed, f"HEAD {path} as {who} changed {changed}"
        # What GET answers (405 on a path no GET route serves): a POST branch would
        # answer 303, 422 or a CSRF 403 instead.
        for info, path in zip(routes, paths, strict=True):
            head, get = heads[path], browser.get(path)
            assert (head.status_code, head.headers.get("location")) == (
                get.status_code,
                get.headers.get("location"),
            ), f"HEAD {path} as {who} answered {head.status_code}, GET answered {get.status_code}"
            checked += "GET" in info.methods
            pages += head.status_code == 200
    assert checked > 100 * len(browsers)
    # Not only refusals: the staff open their pages, and HEAD runs those pages' GET code.
    assert pages > 400, pages


def test_curl_head_on_the_draft_page_leaves_the_draft_as_it_was(app, client, db, connection):
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    compact = Compact(village_id=village.id, title="村规民约", created_by_id=organizer.id)
    db.add(compact)
    db.flush()
    browser = signed_in(app, organizer)
    page = f"/compacts/{compact.id}/draft"
    source = "# 总则\n## 宗旨\n本村村民共同遵守本公约，爱护公共财物，邻里和睦。\n"
    saved = post_form(browser, page, {"source": source})
    assert saved.status_code < 400, saved.text
    entries = select(AuditEntry).where(AuditEntry.action == "compact.draft_save")
    assert len(db.scalars(entries).all()) == 1
    drafts = select(Draft.source).where(Draft.compact_id == compact.id)
    saved_text = db.scalar(drafts)
    assert saved_text and "邻里和睦" in saved_text

    # `curl -I -b cunyi_session=... /compacts/N/draft`: the session cookie, no form.
    cookie = browser.cookies.get("cunyi_session")
    assert cookie
    curl = second_client(app)
    head = curl.head(page, headers={"Cookie": f"cunyi_session={cookie}"})

    assert head.status_code == 200
    assert head.content == b""
    db.expire_all()
    assert db.scalar(drafts) == saved_text
    assert len(db.scalars(entries).all()) == 1, "HEAD wrote a compact.draft_save entry"
    assert "邻里和睦" in browser.get(page).text


def test_head_on_the_sign_in_page_answers_like_get(client):
    head = client.head("/signin")
    get = client.get("/signin")
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
