"""Links are found by route name in a dict (app.main.IndexedRouter); they must be the
same links Starlette's own search gives, and its errors the same errors."""

from __future__ import annotations

import pytest
from starlette.routing import NoMatchFound, Router

from app.main import IndexedRouter, all_routes


@pytest.fixture(scope="module")
def routers() -> tuple[IndexedRouter, Router]:
    routes = all_routes()
    return IndexedRouter(routes=routes), Router(routes=routes)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("slips:slip", {"token": "1.abc.def"}),
        ("ballots:cast", {"token": "t", "round_id": 3, "entry_id": 7}),
        ("static", {"path": "/css/app.css"}),
        ("accounts:signin", {}),
    ],
)
def test_every_link_is_the_one_starlette_would_draw(routers, name, params) -> None:
    indexed, plain = routers
    assert indexed.url_path_for(name, **params) == plain.url_path_for(name, **params)


def test_an_unknown_name_or_wrong_parameters_still_raise(routers) -> None:
    indexed, _plain = routers
    with pytest.raises(NoMatchFound):
        indexed.url_path_for("no:such-route")
    with pytest.raises(NoMatchFound):
        indexed.url_path_for("slips:slip", wrong="x")


def test_every_named_route_draws_the_same_path_through_the_index(routers) -> None:
    indexed, plain = routers
    checked = 0
    for route in indexed.routes:
        name = getattr(route, "name", None)
        params = getattr(route, "param_convertors", {})
        if not isinstance(name, str) or name == "static":
            continue
        values = {p: (7 if c.regex == "[0-9]+" else "x") for p, c in params.items()}
        assert indexed.url_path_for(name, **values) == plain.url_path_for(name, **values)
        checked += 1
    assert checked > 100
