"""The objects the slip routes name in their paths, for the request layer to load and
scope-check (app.web.PathObject), and the `route` that declares them on each route.

Villagers' `token` routes are not loaded here: the view opens the slip the token names.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.drill import DrillBanner
from app.i18n import lazy
from app.registry.models import Village
from app.registry.paths import VILLAGE
from app.web import PathObject, routes_loading
from slips.models import Assembly, Slip
from slips.services import assembly_drill


def _assembly_village(session: Session, assembly: Assembly) -> Village | None:
    return session.get(Village, assembly.village_id)


def _slip_village(session: Session, slip: Slip) -> Village | None:
    assembly = session.get(Assembly, slip.assembly_id)
    return None if assembly is None else session.get(Village, assembly.village_id)


def _slip_drill(session: Session, slip: Slip) -> DrillBanner | None:
    return assembly_drill(session.get(Assembly, slip.assembly_id))


ASSEMBLY = PathObject(
    "assembly_id",
    Assembly,
    lazy("没有这个投票大会。"),
    _assembly_village,
    drill=lambda _session, assembly: assembly_drill(assembly),
)
SLIP = PathObject(
    "slip_id",
    Slip,
    lazy("这次大会没有这张二维码。"),
    _slip_village,
    within=("assembly_id", lambda slip: slip.assembly_id),
    drill=_slip_drill,
)

route = routes_loading(VILLAGE, ASSEMBLY, SLIP)
