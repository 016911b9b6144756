"""The registry objects that routes name in their paths, for the request layer to load
and scope-check (app.web.PathObject). Other packages list VILLAGE in their own tables."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from app.i18n import lazy
from app.registry.models import Group, Household, Person, RollImport, Village
from app.web import PathObject, routes_loading


class _InVillage(Protocol):
    @property
    def village_id(self) -> int: ...


def _itself(_session: Session, village: Village) -> Village:
    return village


def _village_of(session: Session, obj: _InVillage) -> Village | None:
    return session.get(Village, obj.village_id)


def _village_id(obj: _InVillage) -> int:
    return obj.village_id


_IN_VILLAGE = ("village_id", _village_id)

VILLAGE = PathObject("village_id", Village, lazy("没有这个村。"), _itself)
PERSON = PathObject(
    "person_id",
    Person,
    lazy("本村没有这位村民，可能链接有误。请回到村民名单重新查找。"),
    _village_of,
    within=_IN_VILLAGE,
)
HOUSEHOLD = PathObject(
    "household_id",
    Household,
    lazy("本村没有这一户，可能链接有误。请回到户列表重新查找。"),
    _village_of,
    within=_IN_VILLAGE,
)
GROUP = PathObject(
    "group_id",
    Group,
    lazy("本村没有这个小组，可能链接有误。请回到小组列表重新查找。"),
    _village_of,
    within=_IN_VILLAGE,
)
IMPORT = PathObject(
    "import_id",
    RollImport,
    lazy("没有找到这次导入，请重新上传名单。"),
    _village_of,
    within=_IN_VILLAGE,
)

route = routes_loading(VILLAGE, PERSON, HOUSEHOLD, GROUP, IMPORT, unloaded=())
