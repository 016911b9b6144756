"""The objects this package's routes name in their paths, for the request layer to load
and scope-check (app.web.PathObject), and the `route`s that declare them on each route."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.drill import DrillBanner, banner_for
from app.i18n import lazy
from app.registry.models import Person, Village
from app.registry.paths import VILLAGE
from app.web import PathObject, routes_loading
from meetings.exceptions import MeetingNotFound
from meetings.models import AgendaItem, Meeting, Motion


def meeting_village(session: Session, meeting: Meeting) -> Village | None:
    return session.get(Village, meeting.village_id)


def _item_village(session: Session, item: AgendaItem) -> Village | None:
    return meeting_village(session, item.meeting)


def _motion_village(session: Session, motion: Motion) -> Village | None:
    item = session.get(AgendaItem, motion.item_id)
    return None if item is None else meeting_village(session, item.meeting)


def meeting_drill(_session: Session, meeting: Meeting) -> DrillBanner | None:
    return banner_for(meeting)


def _item_drill(_session: Session, item: AgendaItem) -> DrillBanner | None:
    return banner_for(item.meeting)


def _motion_drill(session: Session, motion: Motion) -> DrillBanner | None:
    item = session.get(AgendaItem, motion.item_id)
    return None if item is None else banner_for(item.meeting)


def _person_village(session: Session, person: Person) -> Village | None:
    return session.get(Village, person.village_id)


MEETING_MISSING = lazy("没有这个会议，它可能已被删除，或链接有误。")
MEETING = PathObject(
    "meeting_id",
    Meeting,
    MEETING_MISSING,
    meeting_village,
    not_found=MeetingNotFound,
    drill=meeting_drill,
)
# The organizers' meeting pages (list, edit, agenda, public notice).
HIDDEN_MEETING = PathObject(
    "meeting_id",
    Meeting,
    MEETING_MISSING,
    meeting_village,
    not_found=MeetingNotFound,
    hidden=True,
    drill=meeting_drill,
)
ITEM = PathObject(
    "item_id",
    AgendaItem,
    lazy("这个会议没有这项议程，请回到会议页面重新选择。"),
    _item_village,
    within=("meeting_id", lambda item: item.meeting_id),
    drill=_item_drill,
)
MOTION = PathObject(
    "motion_id",
    Motion,
    lazy("找不到这项表决。请回到会议页面重新选择。"),
    _motion_village,
    drill=_motion_drill,
)
# The projector (public): a draft meeting is not shown either, with the same words.
NOT_SHOWN = lazy("没有这个会议，或会议通知还没有发布。")
SHOWN_MEETING = PathObject("meeting_id", Meeting, NOT_SHOWN, meeting_village, drill=meeting_drill)
# At the tellers' desk: whether the person is on this meeting's list (of its village) is
# the check-in's own rule (meetings.presence.is_eligible).
PERSON = PathObject("person_id", Person, lazy("名单上没有这个人。"), _person_village)

# Attendance, votes and the projector page.
route = routes_loading(VILLAGE, MEETING, ITEM, MOTION, PERSON)
# The meetings core's pages: another village's meeting is "not found" there.
meeting_route = routes_loading(VILLAGE, HIDDEN_MEETING, ITEM)
projector_route = routes_loading(SHOWN_MEETING)
# A villager's slip pages: the view checks what the path names against the slip (a
# meeting or motion of another assembly is refused as the slip's, not as missing).
slip_route = routes_loading(unloaded=("token", "meeting_id", "motion_id"))
