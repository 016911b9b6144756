"""Organizer pages for the village registry."""

from __future__ import annotations

from starlette.responses import Response

from app.permissions import Permission
from app.web import Ctx, route


def people(ctx: Ctx) -> Response:
    raise NotImplementedError


routes = [
    route("/villages/{village_id:int}/people", people, name="registry:people",
          permission=Permission.REGISTRY_READ),
]
