"""Roll import (CSV/.xlsx with preview and confirmation) and export pages."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
