"""The registry objects that routes name in their paths, for the request layer to load
and scope-check (app.web.PathObject). Other packages list VILLAGE in their own tables."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.i18n import lazy
from app.registry.models import Village
from app.web import PathObject, routes_loading


def _itself(_session: Session, village: Village) -> Village:
    return village


VILLAGE = PathObject("village_id", Village, lazy("没有这个村。"), _itself)

# Registry pages name people, households, groups and imports under their village; the
# views find those through the village's own services, which refuse another village's.
route = routes_loading(VILLAGE, unloaded=("person_id", "household_id", "group_id", "import_id"))
