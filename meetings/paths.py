"""The objects this package's routes name in their paths, for the request layer to load
and scope-check (app.web.PathObject), and the `route` that declares them on each route."""

from __future__ import annotations

from app.registry.paths import VILLAGE
from app.web import routes_loading

# Parameters still read by the views themselves.
route = routes_loading(VILLAGE, unloaded=("token", "item_id", "meeting_id", "motion_id", "person_id",))
