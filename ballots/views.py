"""Election routes: each area declares its routes in its own subpackage; this assembles
them as `routes`, the package's one entry point (app.main mounts it)."""

from __future__ import annotations

from starlette.routing import BaseRoute

import ballots.audit_labels  # (the audit log's names for this package's actions)
import ballots.voting.links  # noqa: F401  (adds the election page's links to other areas)
from ballots import paper, report, results, setup, voting

routes: list[BaseRoute] = [
    *setup.routes,
    *voting.routes,
    *paper.routes,
    *results.routes,
    *report.routes,
]
