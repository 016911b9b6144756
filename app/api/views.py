"""Routes of the read-only JSON API (filled in by app.api's views)."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
