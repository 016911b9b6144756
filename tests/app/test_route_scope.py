"""Scope: staff bound to one village never reach another village's records by URL."""

from __future__ import annotations

import pytest

from app.permissions import Permission, Role
from tests import factories
from tests.app.helpers import existing_ids, fill_path, signed_in, table_counts, walk_routes
from tests.conftest import csrf_from


@pytest.fixture
def setting(app, db):
    """An organizer of `home`, and one record of every kind in `other` (same township)."""
    home = factories.VillageFactory()
    other = factories.VillageFactory(township=home.township)
    organizer = factories.staff(Role.ORGANIZER, home)
    foreign = existing_ids(db, other.id, organizer)
    return home, other, organizer, foreign


def _object_routes(app):
    """Routes naming a record besides the village (a person, a household, ...)."""
    for info in walk_routes(app.routes):
        if not info.is_mount and set(getattr(info.route, "param_convertors", {})) - {"village_id"}:
            yield info


def _requests(app, info, ids):
    path = fill_path(app, info, ids)
    for method in sorted(info.methods - {"HEAD"}):
        yield method, path


def test_records_of_another_village_are_out_of_reach(app, client, db, connection, setting):
    home, _other, organizer, foreign = setting
    browser = signed_in(app, organizer)
    token = csrf_from(browser, "/")
    # The village in the path is the organizer's own; the record is the other village's.
    ids = {**foreign, "village_id": home.id}
    checked = []
    for info in _object_routes(app):
        if info.name.startswith("accounts:"):
            continue  # staff accounts are township business: see test_staff.py
        if info.permission is Permission.PUBLIC:
            continue  # public notices (公示) and villager links: open to anyone on purpose
        for method, path in _requests(app, info, ids):
            before = table_counts(connection)
            data = None if method == "GET" else {"csrf_token": token}
            response = browser.request(method, path, data=data)
            assert response.status_code in (403, 404), f"{method} {path}: {response.status_code}"
            assert table_counts(connection) == before, f"{method} {path} wrote rows"
            checked.append(path)
    assert checked or not list(_object_routes(app))


def test_another_village_in_the_path_is_refused(app, client, db, connection, setting):
    _home, other, organizer, foreign = setting
    browser = signed_in(app, organizer)
    token = csrf_from(browser, "/")
    for info in walk_routes(app.routes):
        if "village_id" not in getattr(info.route, "param_convertors", {}):
            continue
        for method, path in _requests(app, info, {**foreign, "village_id": other.id}):
            before = table_counts(connection)
            data = None if method == "GET" else {"csrf_token": token}
            response = browser.request(method, path, data=data)
            assert response.status_code == 403, f"{method} {path}: {response.status_code}"
            assert "这个村不在您的管辖范围内" in response.text
            assert table_counts(connection) == before
