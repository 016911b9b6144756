"""The agenda: add, reorder, record the Art 28 Party study; closed meetings refuse."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from meetings import agenda, services
from meetings.exceptions import MeetingStateError
from meetings.models import ItemKind, Meeting
from tests.meetings.meetings_support import Place, actions, meeting, place


def _item(title: str, studied: date | None = None) -> agenda.ItemInput:
    return agenda.ItemInput(
        title=title,
        description="",
        kind=ItemKind.MOTION,
        party_studied_on=studied,
        party_studied_note="支部会议研究同意" if studied else "",
        compact_version_ref="",
    )


def _three(db: Session) -> tuple[Place, Meeting]:
    where = place()
    m = meeting(db, where)
    for title in ("修路", "建桥", "选小组长"):
        agenda.add_item(db, where.actor, m, _item(title))
    return where, m


def test_items_are_numbered_in_order_and_audited(db: Session) -> None:
    _where, m = _three(db)
    items = agenda.items_of(db, m)
    assert [(i.position, i.title) for i in items] == [(1, "修路"), (2, "建桥"), (3, "选小组长")]
    assert actions(db, "agenda_item", items[0].id) == ["meeting.item_add"]


def test_move_up_and_down_swaps_neighbours(db: Session) -> None:
    where, m = _three(db)
    bridge = agenda.items_of(db, m)[1]
    assert agenda.move_item(db, where.actor, m, bridge, up=True) is True
    assert [i.title for i in agenda.items_of(db, m)] == ["建桥", "修路", "选小组长"]
    assert agenda.move_item(db, where.actor, m, bridge, up=True) is False  # already first
    agenda.move_item(db, where.actor, m, bridge, up=False)
    agenda.move_item(db, where.actor, m, bridge, up=False)
    assert [i.title for i in agenda.items_of(db, m)] == ["修路", "选小组长", "建桥"]
    assert actions(db, "agenda_item", bridge.id).count("meeting.item_move") == 3


def test_party_study_recorded_at_creation_or_later(db: Session) -> None:
    where = place()
    m = meeting(db, where)
    first = agenda.add_item(db, where.actor, m, _item("修路", date(2026, 11, 2)))
    assert first.party_studied is True
    assert first.party_studied_on is not None
    second = agenda.add_item(db, where.actor, m, _item("建桥"))
    assert second.party_studied is False
    agenda.record_party_study(db, where.actor, m, second, date(2026, 11, 3), "同意提交大会")
    assert (second.party_studied, second.party_studied_note) == (True, "同意提交大会")
    assert "meeting.item_party_study" in actions(db, "agenda_item", second.id)


def test_closed_meeting_agenda_is_frozen(db: Session) -> None:
    where, m = _three(db)
    services.publish_notice(db, where.actor, m, "", date.today())
    services.open_meeting(db, where.actor, m, "村民都在家，提前召开")  # noticed for later
    agenda.add_item(db, where.actor, m, _item("临时动议"))  # allowed on the day
    services.close_meeting(db, where.actor, m)
    with pytest.raises(MeetingStateError, match="议程不能再改"):
        agenda.add_item(db, where.actor, m, _item("会后补充"))
    with pytest.raises(MeetingStateError):
        agenda.move_item(db, where.actor, m, agenda.items_of(db, m)[1], up=True)
    assert len(agenda.items_of(db, m)) == 4
