"""Compact routes: each area (drafting and versions, deliberation rounds, answers and
adoption with filing and delivery) declares its routes in its own subpackage; this exports
them all as `routes` (app.main mounts it)."""

from __future__ import annotations

from starlette.routing import BaseRoute

import compacts.audit_labels  # noqa: F401  (the audit log's names for this package's actions)
from compacts.adoption import routes as adoption_routes
from compacts.rounds import routes as rounds_routes
from compacts.versions import routes as versions_routes

routes: list[BaseRoute] = [*versions_routes, *rounds_routes, *adoption_routes]
