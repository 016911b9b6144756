"""The permission matrix: every route x every role x (own village, a village of the same
township, a village of another township), generated from the route table.

Declared means: a role whose permissions (app/permissions.py ROLE_PERMISSIONS) include
the route's permission is let in to its own records; any other role gets the 403 page;
anonymous visitors are sent to sign in; nobody reaches records outside their scope, and
no refused page shows a single name of another village. Refused POSTs write nothing.
New routes (surveys, assessment, the API) are covered as soon as they are declared.
"""

from __future__ import annotations

import pytest

from app.permissions import Role
from tests.app.helpers import fill_path, param_names
from tests.security.support import (
    DENIED,
    FAR_MARK,
    SIBLING_MARK,
    STREAMING,
    Snapshot,
    allowed,
    browsers,
    build_world,
    staff_routes,
)

TOWNSHIP_ROLES = frozenset({Role.TOWNSHIP_ADMIN, Role.AUDITOR})


@pytest.fixture
def world(app, db, connection):
    return build_world(db, connection)


def _get_routes(app):
    return [i for i in staff_routes(app) if "GET" in i.methods and i.name not in STREAMING]


def _post_routes(app):
    return [i for i in staff_routes(app) if i.unsafe_methods]


def _variants(world, info, role):
    """(label, path params, in scope?) for the places a route can point."""
    own = world.ids["home"]
    yield "own", own, True
    if not set(param_names(info)) - {"township_id"}:
        return  # nothing village-specific in the path
    township_wide = role in TOWNSHIP_ROLES
    yield "sibling", world.ids["sibling"], township_wide
    yield "far", world.ids["far"], False
    if "village_id" in param_names(info) and len(param_names(info)) > 1:
        # The user's own village in the path, another village's record after it.
        yield "home+sibling", {**world.ids["sibling"], "village_id": world.home.id}, False
        yield "home+far", {**world.ids["far"], "village_id": world.home.id}, False


def _leaks(body: str, role: Role) -> list[str]:
    marks = [FAR_MARK] if role in TOWNSHIP_ROLES else [FAR_MARK, SIBLING_MARK]
    return [m for m in marks if m in body]


def _scoped_once(info, role, done) -> bool:
    """Scope depends on how a user is bound (a village, or a whole township), not on the
    role: other places are tried with one allowed role of each binding per route."""
    binding = role in TOWNSHIP_ROLES
    if (info.name, binding) in done:
        return False
    done.add((info.name, binding))
    return True


def test_every_get_route_answers_each_role_as_declared(app, client, world):
    # Anonymous visitors: tests/app/test_route_permissions.py walks every route.
    clients = browsers(app, world)
    problems: list[str] = []
    checked = marked_pages = 0
    scoped: set[tuple[str, bool]] = set()
    for info in _get_routes(app):
        for role, (browser, _token) in clients.items():
            permitted = allowed(role, info.permission)
            elsewhere = permitted and _scoped_once(info, role, scoped)
            for label, ids, in_scope in _variants(world, info, role):
                if label != "own" and not elsewhere:
                    continue
                path = fill_path(app, info, ids)
                response = browser.get(path)
                status = response.status_code
                checked += 1
                where = f"{role} GET {path} ({info.name}, {label})"
                if status >= 500:
                    problems.append(f"{where}: {status}")
                elif not permitted:
                    if status != 403 or DENIED not in response.text:
                        problems.append(f"{where}: refused role got {status}")
                elif in_scope:
                    if status == 403 and DENIED in response.text:
                        problems.append(f"{where}: allowed role refused")
                    if status in (401, 405):
                        problems.append(f"{where}: {status}")
                elif status not in (403, 404):
                    problems.append(f"{where}: out of scope but {status}")
                leaked = _leaks(response.text, role)
                if leaked and not (in_scope and label == "sibling"):
                    problems.append(f"{where}: shows {leaked}")
                if label == "sibling" and in_scope and SIBLING_MARK in response.text:
                    marked_pages += 1  # the marker works: in scope, the names show
    assert problems == [], "\n".join(problems)
    assert checked > 100
    assert marked_pages > 10


def test_every_post_route_refuses_and_writes_nothing_as_declared(app, client, connection, world):
    clients = browsers(app, world)
    snapshot = Snapshot(connection)
    problems: list[str] = []
    checked = 0
    scoped: set[tuple[str, bool]] = set()
    for info in _post_routes(app):
        for role, (browser, token) in clients.items():
            permitted = allowed(role, info.permission)
            elsewhere = permitted and _scoped_once(info, role, scoped)
            for label, ids, in_scope in _variants(world, info, role):
                if permitted and in_scope:
                    continue  # a real change: see test_http_properties.py
                if label != "own" and not elsewhere:
                    continue
                path = fill_path(app, info, ids)
                for method in sorted(info.unsafe_methods):
                    before = snapshot.take()
                    response = browser.request(method, path, data={"csrf_token": token})
                    status = response.status_code
                    checked += 1
                    where = f"{role} {method} {path} ({info.name}, {label})"
                    if not permitted:
                        if status != 403 or DENIED not in response.text:
                            problems.append(f"{where}: refused role got {status}")
                    elif status not in (403, 404):
                        problems.append(f"{where}: out of scope but {status}")
                    if changed := snapshot.changes(before):
                        problems.append(f"{where}: wrote {changed}")
                    if leaked := _leaks(response.text, role):
                        problems.append(f"{where}: shows {leaked}")
    assert problems == [], "\n".join(problems)
    assert checked > 100
