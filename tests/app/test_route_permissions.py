"""Every route declares its permission; auditors change nothing; anonymous users sign in."""

from __future__ import annotations

from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from app.main import create_app
from app.permissions import READ_ONLY_PERMISSIONS, ROLE_PERMISSIONS, Permission, Role
from app.web import route
from tests import factories
from tests.app.helpers import (
    existing_ids,
    fill_path,
    second_client,
    signed_in,
    table_counts,
    walk_routes,
)
from tests.conftest import csrf_from

# Non-GET routes that act only on the caller's own session or account, which every
# staff member (auditors included) may use. Adding a route here is a decision: an
# auditor must never reach a state change of anything but their own sign-in.
SELF_SERVICE = frozenset(
    {
        "accounts:signin",
        "accounts:signout",
        "accounts:signout_everywhere",
        "accounts:password",
        "accounts:resume",  # takes back this browser's own sign-in, held while handed over
    }
)

# The one state change an auditor may make, deliberately: recording that a certified
# election result is void, with its reason (OL2025 Art 21; Permission.ELECTION_ANNUL).
# tests/ballots/test_results_certify.py checks what it may and may not do.
AUDITOR_ACTIONS = frozenset({"ballots:annul"})


def route_problems(app) -> list[str]:
    problems = []
    for info in walk_routes(app.routes):
        if not isinstance(info.permission, Permission):
            problems.append(f"{info.path} ({info.name}) declares no permission")
        elif info.permission in READ_ONLY_PERMISSIONS and info.unsafe_methods:
            problems.append(
                f"{info.path} ({info.name}) is {info.permission} but accepts "
                f"{sorted(info.unsafe_methods)}"
            )
    return problems


def test_every_route_declares_a_permission(settings):
    app = create_app(settings)
    infos = list(walk_routes(app.routes))
    assert any(info.is_mount for info in infos), "the static Mount was not walked"
    assert len(infos) > 5
    assert route_problems(app) == []


def _view(ctx):
    return PlainTextResponse("x")


def test_the_walk_catches_undeclared_and_misdeclared_routes(settings):
    app = create_app(
        settings,
        extra_routes=[
            Route("/bare", _view, name="bare"),
            Mount("/nested", routes=[Route("/inner", _view, name="inner")]),
            route(
                "/sneaky", _view, name="sneaky", permission=Permission.AUDIT_READ, methods=["POST"]
            ),
        ],
    )
    problems = route_problems(app)
    assert any("/bare" in p for p in problems)
    assert any("/nested/inner" in p for p in problems)
    assert any("/sneaky" in p and "POST" in p for p in problems)


def _unsafe_routes(app):
    return [info for info in walk_routes(app.routes) if info.unsafe_methods]


def test_auditor_can_change_nothing(app, client, db, connection):
    village = factories.VillageFactory()
    auditor = factories.staff(Role.AUDITOR, township=village.township)
    ids = existing_ids(db, village.id, auditor)
    sign_in_client = signed_in(app, auditor)
    token = csrf_from(sign_in_client, "/")
    checked = []
    for info in _unsafe_routes(app):
        if info.name in SELF_SERVICE or info.name in AUDITOR_ACTIONS:
            continue
        path = fill_path(app, info, ids)
        for method in sorted(info.unsafe_methods):
            before = table_counts(connection)
            response = sign_in_client.request(method, path, data={"csrf_token": token})
            status = response.status_code
            if info.permission is Permission.PUBLIC:
                # Villager pages authenticate by the signed slip link, not by role: without a
                # valid link the auditor is refused like anyone else.
                assert 400 <= status < 500, f"auditor {method} {path}: {status}"
            else:
                assert status == 403, f"auditor {method} {path}: {status}"
                assert "没有权限" in response.text
            assert table_counts(connection) == before, f"auditor {method} {path} wrote rows"
            checked.append(path)
    # The staff-management routes exist today; the walk must have reached them.
    assert "/staff/new" in checked


def test_anonymous_is_sent_to_signin_everywhere_but_public_routes(app, client, db):
    village = factories.VillageFactory()
    admin = factories.staff(Role.TOWNSHIP_ADMIN, township=village.township)
    ids = existing_ids(db, village.id, admin)
    anonymous = second_client(app)
    token = csrf_from(anonymous, "/signin")
    checked = 0
    for info in walk_routes(app.routes):
        if info.permission is Permission.PUBLIC:
            continue
        path = fill_path(app, info, ids)
        for method in sorted(info.methods - {"HEAD"}):
            data = None if method == "GET" else {"csrf_token": token}
            response = anonymous.request(method, path, data=data)
            assert response.status_code == 303, f"anonymous {method} {path}"
            assert response.headers["location"].startswith("/signin?next="), path
            checked += 1
    assert checked >= 5


# The sealed ballot box of an election round (app.sealed_box): a named teller sets their
# own box password; tellers open the box at the count. Neither is the organizer's.
SEALED_BOX_ROUTES = {
    "ballots:box_password": Permission.ELECTION_CERTIFY,
    "ballots:open_box": Permission.ELECTION_COUNT,
}


def test_the_sealed_box_routes_are_the_tellers(settings):
    app = create_app(settings)
    declared = {
        info.name: (info.permission, info.unsafe_methods)
        for info in walk_routes(app.routes)
        if info.name in SEALED_BOX_ROUTES
    }
    assert declared == {
        name: (permission, frozenset({"POST"})) for name, permission in SEALED_BOX_ROUTES.items()
    }
    for permission in SEALED_BOX_ROUTES.values():
        assert permission in ROLE_PERMISSIONS[Role.TELLER]
        assert permission not in ROLE_PERMISSIONS[Role.ORGANIZER]
        assert permission not in ROLE_PERMISSIONS[Role.AUDITOR]
