"""The objects this package's routes name in their paths, for the request layer to load
and scope-check (app.web.PathObject), and the `route`s that declare them on each route.

Two tables: `route` (another village's object answers 403, like every staff page) and
`versions_route` for the drafting pages, where a compact or version of a village outside
the user's scope is answered like a missing one (404, not a hint). Villagers' pages under
their slip (`slip_route`) load nothing: the view checks the objects against the slip.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from app.i18n import lazy
from app.registry.models import Group, Village
from app.registry.paths import VILLAGE
from app.web import PathObject, routes_loading
from compacts.exceptions import CompactNotFound
from compacts.models import Comment, Compact, DeliberationRound, Version

T = TypeVar("T")


def _compact_village(session: Session, compact: Compact) -> Village | None:
    return session.get(Village, compact.village_id)


def _version_village(session: Session, version: Version) -> Village | None:
    compact = session.get(Compact, version.compact_id)
    return None if compact is None else _compact_village(session, compact)


def _round_village(session: Session, round_: DeliberationRound) -> Village | None:
    compact = session.get(Compact, round_.compact_id)
    return None if compact is None else _compact_village(session, compact)


def _comment_village(session: Session, comment: Comment) -> Village | None:
    round_ = session.get(DeliberationRound, comment.round_id)
    return None if round_ is None else _round_village(session, round_)


def _group_village(session: Session, group: Group) -> Village | None:
    return session.get(Village, group.village_id)


COMPACT = PathObject("compact_id", Compact, lazy("没有这份村规民约。"), _compact_village)
VERSION = PathObject(
    "version_id", Version, lazy("没有这个版本，请回到村规民约页面重新选择。"), _version_village
)
DELIBERATION = PathObject(
    "deliberation_id", DeliberationRound, lazy("没有这一轮征求意见。"), _round_village
)
# Under a version: the view checks it is one the version must answer.
COMMENT = PathObject(
    "comment_id",
    Comment,
    lazy("这个版本没有要答复的这条意见，请回到答复页面重新选择。"),
    _comment_village,
)
# `/{deliberation_id}/groups/{group_id}`: a group of the round's village; the views
# check that the round was sent to it.
GROUP = PathObject("group_id", Group, lazy("没有这一轮征求意见。"), _group_village)

route = routes_loading(VILLAGE, COMPACT, VERSION, DELIBERATION, COMMENT, GROUP, unloaded=())

_NO_COMPACT = lazy("没有这份公约，链接可能有误。")
SHOWN_COMPACT = PathObject(
    "compact_id",
    Compact,
    _NO_COMPACT,
    _compact_village,
    not_found=CompactNotFound,
    hidden=True,
)
SHOWN_VERSION = PathObject(
    "version_id",
    Version,
    lazy("没有这个版本，链接可能有误。"),
    _version_village,
    not_found=CompactNotFound,
    hidden=True,
    unseen=_NO_COMPACT,
)

versions_route = routes_loading(VILLAGE, SHOWN_COMPACT, SHOWN_VERSION, unloaded=())

# The villager's pages: token, round and version are checked against the slip by the view.
slip_route = routes_loading(unloaded=("token", "deliberation_id", "version_id"))
