"""Compact routes: each area declares its routes in its own views module; this exports
them all as `routes` (app.main mounts it)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from compacts.views_adoption import routes as adoption_routes
from compacts.views_rounds import routes as rounds_routes
from compacts.views_versions import routes as versions_routes

routes: list[BaseRoute] = []

# Each area adds one import and one `routes.extend(...)` line here: drafting and versions
# (views_versions), deliberation (views_rounds), answers/adoption/filing/delivery
# (views_adoption).
routes.extend(versions_routes)
routes.extend(rounds_routes)
routes.extend(adoption_routes)
