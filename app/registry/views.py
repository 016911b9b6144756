"""Organizer pages for the village registry.

The people, household and group pages live here; the roll import/export pages live in
`import_views` and are exported together as `routes`.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute

from app.permissions import Permission
from app.registry.import_views import routes as import_routes
from app.web import Ctx, route


def people(ctx: Ctx) -> Response:
    raise NotImplementedError


routes: list[BaseRoute] = [
    route(
        "/villages/{village_id:int}/people",
        people,
        name="registry:people",
        permission=Permission.REGISTRY_READ,
    ),
    *import_routes,
]
