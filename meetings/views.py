"""Meeting routes: each area declares its routes in its own views module; this exports
them all as `routes`, the package's one entry point (app.main mounts it)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from meetings.views_attendance import routes as attendance_routes
from meetings.views_meetings import routes as meeting_routes
from meetings.views_projector import routes as projector_routes
from meetings.views_votes import routes as vote_routes

routes: list[BaseRoute] = []

# Each area adds one import and one `routes.extend(...)` line here, in this order:
# meetings core (views_meetings), attendance (views_attendance), projector
# (views_projector), votes (views_votes).
routes.extend(meeting_routes)
routes.extend(attendance_routes)
routes.extend(projector_routes)
routes.extend(vote_routes)
