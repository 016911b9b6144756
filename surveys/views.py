"""Survey routes: each area declares its routes in its own views module; this exports
them all as `routes`, the package's one entry point (app.main mounts it)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from surveys.views_answer import routes as answer_routes
from surveys.views_manage import routes as manage_routes
from surveys.views_paper import routes as paper_routes

routes: list[BaseRoute] = []

# Organizers (views_manage), paper questionnaires (views_paper), villagers under the QR
# slip link (views_answer).
routes.extend(manage_routes)
routes.extend(paper_routes)
routes.extend(answer_routes)
