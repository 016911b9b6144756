"""The objects this package's routes name in their paths, for the request layer to load
and scope-check (app.web.PathObject), and the `route` that declares them on each route."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.i18n import lazy
from app.registry.models import Village
from app.registry.paths import VILLAGE
from app.web import PathObject, routes_loading


def _above_villages(_session: Session, _user: StaffUser) -> Village | None:
    # Staff accounts are township business: the view answers 404 for another township's.
    return None


USER = PathObject("user_id", StaffUser, lazy("没有这个账号。"), _above_villages)

route = routes_loading(VILLAGE, USER, unloaded=("token",))
