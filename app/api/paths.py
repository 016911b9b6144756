"""The objects this package's routes name in their paths, for the request layer to load
and scope-check (app.web.PathObject), and the `route` that declares them on each route."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.api.models import ApiToken
from app.api.services import TOKEN_MISSING
from app.registry.models import Village
from app.registry.paths import VILLAGE
from app.web import PathObject, routes_loading


def _township_wide(_session: Session, _token: ApiToken) -> Village | None:
    # Tokens are township business: revoking one of another township's answers 404.
    return None


TOKEN = PathObject("token_id", ApiToken, TOKEN_MISSING, _township_wide)

route = routes_loading(VILLAGE, TOKEN, unloaded=("token",))
