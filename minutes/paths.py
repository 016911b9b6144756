"""The objects this package's routes name in their paths, for the request layer to load
and scope-check (app.web.PathObject), and the `route`s that declare them on each route."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.drill import DrillBanner, banner_for
from app.i18n import lazy
from app.registry.models import Village
from app.registry.paths import VILLAGE
from app.web import PathObject, routes_loading
from meetings.models import Meeting
from meetings.paths import meeting_drill, meeting_village
from minutes.models import Addendum, Minutes


def _addendum_meeting(session: Session, addendum: Addendum) -> Meeting | None:
    minutes = session.get(Minutes, addendum.minutes_id)
    return session.get(Meeting, minutes.meeting_id) if minutes is not None else None


def _addendum_village(session: Session, addendum: Addendum) -> Village | None:
    meeting = _addendum_meeting(session, addendum)
    return meeting_village(session, meeting) if meeting is not None else None


def _addendum_drill(session: Session, addendum: Addendum) -> DrillBanner | None:
    return banner_for(_addendum_meeting(session, addendum))


# The meeting whose minutes these are (meetings' own loader, in the minutes' words).
MEETING = PathObject(
    "meeting_id",
    Meeting,
    lazy("没有这次会议，请从会议列表进入。"),
    meeting_village,
    drill=meeting_drill,
)
# Whether the addendum is of this meeting's minutes the view checks (with the same words).
ADDENDUM_MISSING = lazy("这次会议没有这份更正说明。")
ADDENDUM = PathObject(
    "addendum_id", Addendum, ADDENDUM_MISSING, _addendum_village, drill=_addendum_drill
)

route = routes_loading(VILLAGE, MEETING, ADDENDUM)
# The public edition says only whether it was posted: the view looks the meeting up.
public_route = routes_loading(unloaded=("meeting_id",))
