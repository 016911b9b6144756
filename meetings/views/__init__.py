"""Meeting routes: each area declares its routes in its own module here; this exports
them all as `routes`, the package's one entry point (app.main mounts it)."""

from __future__ import annotations

from starlette.routing import BaseRoute

import meetings.audit_labels  # noqa: F401  (the audit log's names for this package's actions)
from meetings.views.attendance import routes as attendance_routes
from meetings.views.meetings import routes as meeting_routes
from meetings.views.projector import routes as projector_routes
from meetings.views.votes import routes as vote_routes

# In this order: meetings core, attendance, projector, votes.
routes: list[BaseRoute] = [*meeting_routes, *attendance_routes, *projector_routes, *vote_routes]

__all__ = ["routes"]
