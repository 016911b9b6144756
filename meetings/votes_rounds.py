"""Election rounds (ballots) as agenda items of a meeting.

A group-meeting election measures validity against the people present, so at the
close of voting the round takes its figures from the meeting's check-ins instead of
figures typed in by hand.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.actors import Actor
from app.audit.services import record
from app.drill import same_kind
from app.errors import NotFound
from app.i18n import lazy
from ballots.models import Election, Round, RoundStatus
from meetings.exceptions import VoteRefused
from meetings.models import AgendaItem, ItemKind
from meetings.presence import quorum_figures
from meetings.votes import require_meeting_not_over

# Rounds whose validity is measured against the people present at a group meeting.
GROUP_MEETING_PROFILE = "group-meeting"


def link_round(session: Session, actor: Actor, item: AgendaItem, round_id: int) -> Round:
    """Put an existing election round (ballots) on an election agenda item."""
    meeting = item.meeting
    require_meeting_not_over(meeting)
    if item.kind is not ItemKind.ELECTION:
        raise VoteRefused(lazy("只有“选举”议程才能关联选举轮次。"))
    round_ = session.get(Round, round_id)
    election = session.get(Election, round_.election_id) if round_ is not None else None
    if round_ is None or election is None or election.village_id != meeting.village_id:
        raise NotFound(lazy("找不到这一轮选举。请从本村的选举里选择。"))
    if election.is_drill != meeting.is_drill:
        raise VoteRefused(lazy("演练的会议只能关联演练的选举，正式的会议只能关联正式的选举。"))
    item.round_id = round_.id
    session.flush()
    record(
        session,
        actor,
        "agenda_item.link_round",
        "agenda_item",
        item.id,
        {"round_id": round_.id, "election_id": election.id},
        village_id=meeting.village_id,
    )
    return round_


def record_round_attendance(session: Session, actor: Actor, item: AgendaItem) -> Round:
    """At the close of voting, give a group-meeting round its figures from the check-ins.

    The group-meeting election profile measures validity against those present, so the
    round takes members/present/households from the meeting's attendance instead of
    figures typed in.
    """
    meeting = item.meeting
    round_ = session.get(Round, item.round_id) if item.round_id is not None else None
    if round_ is None:
        raise VoteRefused(lazy("这项议程还没有关联选举轮次。"))
    election = session.get(Election, round_.election_id)
    if election is None or election.profile_name != GROUP_MEETING_PROFILE:
        raise VoteRefused(lazy("只有村民小组会议选举才需要记录到会人数。"))
    if round_.status is not RoundStatus.OPEN:
        raise VoteRefused(lazy("要在投票结束的时候记录到会人数，这一轮现在没有在投票。"))
    now = quorum_figures(session, meeting)
    round_.members = now.eligible
    round_.present = now.present
    round_.households = now.households
    round_.households_present = now.households_present
    session.flush()
    record(
        session,
        actor,
        "round.attendance",
        "round",
        round_.id,
        {"meeting_id": meeting.id, **now.head_count()},
        village_id=meeting.village_id,
    )
    return round_


def village_rounds(
    session: Session, village_id: int, drill: bool = False
) -> list[tuple[Round, Election]]:
    """Rounds of the village's elections that an agenda item may carry: a drill
    meeting's are drill elections' (app.drill), a real one's real ones."""
    stmt = (
        select(Round, Election)
        .join(Election, Election.id == Round.election_id)
        .where(Election.village_id == village_id, same_kind(Election, drill))
        .order_by(Election.id, Round.number)
    )
    return [(r, e) for r, e in session.execute(stmt)]
