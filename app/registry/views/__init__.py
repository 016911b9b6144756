"""Organizer pages for the village registry: people, households and groups, roll import
and export. Each area declares its routes in its own module; this exports them all as
`routes` (app.main mounts it)."""

from __future__ import annotations

from starlette.routing import BaseRoute

import app.registry.audit_labels  # noqa: F401  (the audit log's names for the registry's codes)
from app.registry.views.households import routes as household_routes
from app.registry.views.imports import routes as import_routes
from app.registry.views.people import routes as people_routes

routes: list[BaseRoute] = [*people_routes, *household_routes, *import_routes]
