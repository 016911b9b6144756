"""The request layer's path loaders: every route that names an object loads it, answers
404 for a number that names nothing (however large), and is declared once."""

from __future__ import annotations

import pytest

from app.permissions import Permission, Role, allows
from app.registry.paths import VILLAGE
from app.web import routes_loading
from tests import factories
from tests.app.helpers import fill_path, signed_in, walk_routes

TOO_LARGE = 100_000_000_000_000_000_000


def _object_routes(app):
    for info in walk_routes(app.routes):
        params = set(getattr(info.route, "param_convertors", {}))
        if not info.is_mount and params - {"token"} and "GET" in info.methods:
            yield info


def test_a_number_too_large_for_any_record_is_not_found(app, client, db):
    """Ids of 21 digits reach no database driver: each page says what is missing."""
    village = factories.VillageFactory()
    admin = factories.staff(Role.TOWNSHIP_ADMIN, township=village.township)
    browser = signed_in(app, admin)
    checked = 0
    for info in _object_routes(app):
        if info.permission is Permission.PUBLIC or not allows(admin, info.permission):
            continue
        params = set(info.route.param_convertors) - {"token"}
        path = fill_path(app, info, dict.fromkeys(params, TOO_LARGE))
        response = browser.get(path)
        assert response.status_code == 404, f"GET {path}: {response.status_code}"
        # The page says, in words, that the thing is not there (never a server error).
        assert "没有" in response.text or "找不到" in response.text, f"GET {path}: {response.text}"
        checked += 1
    assert checked > 50


def test_election_page_of_an_unknown_election_names_what_is_missing(app, client, db):
    village = factories.VillageFactory()
    admin = factories.staff(Role.TOWNSHIP_ADMIN, township=village.township)
    browser = signed_in(app, admin)
    response = browser.get(f"/elections/{TOO_LARGE}")
    assert response.status_code == 404
    assert "没有这个选举" in response.text or "找不到这个选举" in response.text


def test_a_staff_route_naming_an_undeclared_object_is_refused_when_declared() -> None:
    """No view is left to load and scope-check an object by hand: a route table that
    names `{thing_id}` without a PathObject for it does not build."""
    route = routes_loading(VILLAGE)
    with pytest.raises(ValueError, match="thing_id"):
        route(
            "/villages/{village_id:int}/things/{thing_id:int}",
            lambda ctx: None,  # type: ignore[arg-type,return-value]
            name="test:thing",
            permission=Permission.REGISTRY_READ,
        )
    declared = route(
        "/villages/{village_id:int}/things",
        lambda ctx: None,  # type: ignore[arg-type,return-value]
        name="test:things",
        permission=Permission.REGISTRY_READ,
    )
    assert declared.loads == (VILLAGE,)
