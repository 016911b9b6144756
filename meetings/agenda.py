"""A meeting's agenda: add items, reorder them, record the Art 28 Party study.

Items change until the meeting closes (an urgent matter may be added on the day);
every change is audited. Services never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.actors import Actor
from app.audit.services import record
from app.i18n import lazy
from app.templating import CHINA_TIME
from meetings.exceptions import MeetingStateError
from meetings.models import AgendaItem, ItemKind, Meeting, MeetingStatus

AGENDA_OPEN = frozenset({MeetingStatus.DRAFT, MeetingStatus.NOTIFIED, MeetingStatus.OPEN})


@dataclass(frozen=True)
class ItemInput:
    title: str
    description: str
    kind: ItemKind
    party_studied_on: date | None  # Art 28: when the Party organization studied it
    party_studied_note: str
    compact_version_ref: str


def items_of(session: Session, meeting: Meeting) -> list[AgendaItem]:
    return list(
        session.scalars(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id)
            .order_by(AgendaItem.position)
        )
    )


def _require_open(meeting: Meeting) -> None:
    if meeting.status not in AGENDA_OPEN:
        raise MeetingStateError(lazy("会议已经结束，议程不能再改。"))


def _studied_at(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(12), tzinfo=CHINA_TIME)


def add_item(session: Session, actor: Actor, meeting: Meeting, values: ItemInput) -> AgendaItem:
    _require_open(meeting)
    last = session.scalar(
        select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == meeting.id)
    )
    item = AgendaItem(
        meeting_id=meeting.id,
        position=(last or 0) + 1,
        title=values.title,
        description=values.description,
        kind=values.kind,
        party_studied=values.party_studied_on is not None,
        party_studied_on=_studied_at(values.party_studied_on),
        party_studied_note=values.party_studied_note,
        compact_version_ref=values.compact_version_ref,
        # Once the notice is out, villagers were not told of a new item beforehand.
        outside_notice=meeting.status is not MeetingStatus.DRAFT,
    )
    session.add(item)
    session.flush()
    record(
        session,
        actor,
        "meeting.item_add",
        "agenda_item",
        item.id,
        {
            "meeting_id": meeting.id,
            "position": item.position,
            "title": item.title,
            "kind": item.kind.value,
            "party_studied": item.party_studied,
            "outside_notice": item.outside_notice,
        },
        village_id=meeting.village_id,
    )
    return item


def move_item(session: Session, actor: Actor, meeting: Meeting, item: AgendaItem, up: bool) -> bool:
    """Swap the item with its neighbour; False when it is already first (or last)."""
    _require_open(meeting)
    items = items_of(session, meeting)
    index = next(i for i, it in enumerate(items) if it.id == item.id)
    other_index = index - 1 if up else index + 1
    if not 0 <= other_index < len(items):
        return False
    other = items[other_index]
    mine, theirs = item.position, other.position
    # (meeting_id, position) is unique: park the item outside the range while swapping.
    item.position = -1
    session.flush()
    other.position = mine
    session.flush()
    item.position = theirs
    session.flush()
    record(
        session,
        actor,
        "meeting.item_move",
        "agenda_item",
        item.id,
        {"meeting_id": meeting.id, "from": mine, "to": theirs},
        village_id=meeting.village_id,
    )
    return True


def record_party_study(
    session: Session, actor: Actor, meeting: Meeting, item: AgendaItem, on: date, note: str
) -> None:
    """Art 28: the village Party organization studied this matter before the meeting."""
    _require_open(meeting)
    item.party_studied = True
    item.party_studied_on = _studied_at(on)
    item.party_studied_note = note
    session.flush()
    record(
        session,
        actor,
        "meeting.item_party_study",
        "agenda_item",
        item.id,
        {"meeting_id": meeting.id, "on": on.isoformat(), "note": note},
        village_id=meeting.village_id,
    )
