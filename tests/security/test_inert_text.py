"""HTML and script typed into any free-text field come back inert on every page.

Every POST form drawn on the village's pages is submitted with its text fields set to
a script payload, by a role allowed to submit it; the names and titles of every record
carry the payload too. Then every GET page is fetched again (by a role allowed to see
it, and public pages anonymously): none may contain the payload unescaped, and the
form's own answer (an error page that shows the input back) must not either.
"""

from __future__ import annotations

import re

from app.permissions import Permission
from tests.app.helpers import fill_path, second_client, walk_routes
from tests.security.strategies import XSS
from tests.security.support import (
    STREAMING,
    allowed,
    browsers,
    build_world,
    crawl_forms,
    mark,
    route_for,
)

RAW = re.compile(r"<script>alert\(1\)</script>|<img src=x onerror", re.IGNORECASE)
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _html(response) -> bool:
    return "html" in response.headers.get("content-type", "")


def test_script_in_any_text_field_is_shown_inert_everywhere(app, client, db, connection):
    world = build_world(db, connection)
    # Short enough for every name column (PostgreSQL enforces their lengths).
    mark(connection, [world.home.id], "<script>alert(1)</script>")
    db.expire_all()
    ids = world.ids["home"]
    clients = browsers(app, world)
    forms = crawl_forms(app, clients, ids)
    problems: list[str] = []
    visited: set[str] = set()
    posted = 0
    for action, form in sorted(forms.items()):
        info = route_for(app, action)
        if info is None or info.permission is Permission.PUBLIC or not form.text_names:
            continue
        role = next(r for r in clients if allowed(r, info.permission))
        browser, token = clients[role]
        response = browser.post(action, data={**form.filled(XSS), "csrf_token": token})
        posted += 1
        if response.status_code >= 500:
            problems.append(f"{role} POST {action}: {response.status_code}")
        if RAW.search(response.text):
            problems.append(f"{role} POST {action}: the answer shows the input raw")
        location = response.headers.get("location", "")
        if location.startswith("/"):
            visited.add(location)
    assert posted > 20, f"only {posted} forms with text fields were found"

    anonymous = second_client(app)
    escaped_pages = 0
    for info in walk_routes(app.routes):
        if info.is_mount or "GET" not in info.methods or info.name in STREAMING:
            continue
        if "{token}" in info.path:
            continue  # villager pages: tests/compacts and tests/ballots check them inert
        path = fill_path(app, info, ids)
        if info.permission is Permission.PUBLIC:
            viewers = [anonymous]
        else:
            viewers = [clients[r][0] for r in clients if allowed(r, info.permission)][:1]
        for viewer in viewers:
            response = viewer.get(path)
            if response.status_code >= 500:
                problems.append(f"GET {path}: {response.status_code}")
            if _html(response) and RAW.search(response.text):
                problems.append(f"GET {path} ({info.name}) shows the payload raw")
            escaped_pages += ESCAPED in response.text
    admin = clients[next(iter(clients))][0]
    for path in sorted(visited):
        response = admin.get(path)
        if _html(response) and RAW.search(response.text):
            problems.append(f"GET {path} (after a POST) shows the payload raw")
    assert problems == []
    assert escaped_pages > 20, "the payload should show, escaped, on many pages"
