"""Routes of the assessment package (filled in by the package's views)."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
