"""Election routes: each area declares its routes in its own views module; this exports
them all as `routes`, the package's one entry point (app.main mounts it)."""

from __future__ import annotations

from starlette.routing import BaseRoute

import ballots.views_links  # noqa: F401  (adds the election page's links to other areas)
from ballots.views_paper import routes as paper_routes
from ballots.views_results import routes as results_routes
from ballots.views_setup import routes as setup_routes
from ballots.views_voting import routes as voting_routes

routes: list[BaseRoute] = []

# Each area adds one import and one `routes.extend(...)` line here, in this order:
# setup (views_setup), credentials and casting (views_voting), paper/count/proxies
# (views_paper), results and tracker (views_results).
routes.extend(setup_routes)
routes.extend(voting_routes)
routes.extend(paper_routes)
routes.extend(results_routes)
