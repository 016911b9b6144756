"""The `route` of this package's route table (app.web.routes_loading): the audit pages
name no object in their paths."""

from __future__ import annotations

from app.web import routes_loading

route = routes_loading(unloaded=())
