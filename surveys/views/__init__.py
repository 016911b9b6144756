"""Survey routes: organizers (`manage`), paper questionnaires (`paper`) and villagers under
their QR slip link (`answer`) each declare their routes in their own module; this exports
them all as `routes`, the package's one entry point (app.main mounts it)."""

from __future__ import annotations

from starlette.routing import BaseRoute

import surveys.audit_labels  # noqa: F401  (the audit log's names for this package's actions)
from surveys.views.answer import routes as answer_routes
from surveys.views.manage import routes as manage_routes
from surveys.views.paper import routes as paper_routes

routes: list[BaseRoute] = []

routes.extend(manage_routes)
routes.extend(paper_routes)
routes.extend(answer_routes)
