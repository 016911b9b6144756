"""The township's list of compact filings (备案) waiting for its answer, across its villages:
the admin answers from each version's adoption page, never walking village by village."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute

from app.permissions import Permission
from app.registry.rules import today_in_china
from app.web import Ctx
from compacts.adoption.services import waiting_filings
from compacts.paths import route


def filings_page(ctx: Ctx) -> Response:
    user = ctx.require_user()
    return ctx.render(
        "compacts/filings.html",
        waiting=waiting_filings(ctx.db, user.township_id),
        today=today_in_china(),
        me=user.id,
    )


routes: list[BaseRoute] = [
    route(
        "/township/filings",
        filings_page,
        name="compacts:filings",
        permission=Permission.COMPACT_FILE,
    ),
]
