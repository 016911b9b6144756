"""Minutes: created on their first write, filled in by the platform, annotated by the recorder.

Nothing here is retyped: the meeting's facts, the attendance, each motion's frozen
figures and decision (Motion.result_json) and each election round's latest outcome are
read from their own records every time the draft is shown. The recorder only adds a
note per agenda item. Signing and locking are in minutes.signing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.actors import Actor
from app.audit.services import record
from app.i18n import lazy
from app.registry.models import Person
from app.templating import iso_minutes
from ballots.models import Election, Round
from ballots.results.services import latest_outcome, result_of
from meetings import rules as meeting_rules
from meetings.models import AgendaItem, AttendanceEvent, Meeting, Motion
from meetings.presence import eligible_households, eligible_people, profile_for
from meetings.refs import shown_text, version_name
from minutes import rules
from minutes.exceptions import MinutesLocked, NotSignatory
from minutes.models import Addendum, ItemNote, Minutes


def find_minutes(session: Session, meeting: Meeting) -> Minutes | None:
    return session.scalar(select(Minutes).where(Minutes.meeting_id == meeting.id))


def ensure_minutes(session: Session, meeting: Meeting, actor: Actor | None = None) -> Minutes:
    """The meeting's minutes, created on first need (the first note, signature or addendum)."""
    minutes = find_minutes(session, meeting)
    if minutes is not None:
        return minutes
    minutes = Minutes(meeting_id=meeting.id, draft_json="{}")
    session.add(minutes)
    session.flush()
    if actor is not None:
        record(
            session,
            actor,
            "minutes.create",
            "minutes",
            minutes.id,
            {"meeting_id": meeting.id},
            village_id=meeting.village_id,
        )
    return minutes


def is_locked(minutes: Minutes | None) -> bool:
    return minutes is not None and minutes.locked_at is not None


# --- the platform's facts -------------------------------------------------------------


def _name(session: Session, user_id: int) -> str:
    user = session.get(StaffUser, user_id)
    return user.display_name if user is not None else ""


def _iso(value: datetime | None) -> str | None:
    return None if value is None else iso_minutes(value)


def _meeting_section(session: Session, meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.id,
        "title": meeting.title,
        "kind": meeting.kind.value,
        "convener": meeting.convener,
        "place": meeting.place,
        "starts_at": _iso(meeting.starts_at),
        "ends_at": _iso(meeting.ends_at),
        "host": _name(session, meeting.host_id),
        "recorder": _name(session, meeting.recorder_id),
        "notice_published_at": _iso(meeting.notice_published_at),
        "short_notice_reason": meeting.short_notice_reason,
        # Only when opened before the noticed day (drafts of other minutes keep their text).
        **(
            {
                "noticed_starts_at": _iso(meeting.noticed_starts_at),
                "early_open_reason": meeting.early_open_reason,
            }
            if meeting.noticed_starts_at is not None
            else {}
        ),
    }


def _attendance_section(session: Session, meeting: Meeting) -> dict[str, Any]:
    """Eligible now, and everyone who checked in at any time (the per-vote presence is
    frozen in each motion's figures)."""
    eligible = eligible_people(session, meeting)
    arrived = AttendanceEvent.meeting_id == meeting.id, AttendanceEvent.arrived.is_(True)
    attended = session.scalar(
        select(func.count(distinct(AttendanceEvent.person_id))).where(*arrived)
    )
    households_attended = session.scalar(
        select(func.count(distinct(Person.household_id)))
        .join(AttendanceEvent, AttendanceEvent.person_id == Person.id)
        .where(*arrived)
        .where(Person.is_household_representative.is_(True) | AttendanceEvent.for_household)
    )
    return {
        "eligible": len(eligible),
        "households": eligible_households(eligible),
        "attended": attended or 0,
        "households_attended": households_attended or 0,
        "quorum_rule": meeting_rules.quorum_rule(profile_for(meeting)),
    }


def _motion_facts(motion: Motion) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(motion.result_json) if motion.result_json else {}
    return {
        "id": motion.id,
        "text": motion.text,
        "method": motion.method.value,
        "closed": motion.closed_at is not None,
        "members": motion.members_at_close,
        "present": motion.present_at_close,
        "households": motion.households_at_close,
        "households_present": motion.households_present_at_close,
        "yes": result.get("yes"),
        "no": result.get("no"),
        "abstain": result.get("abstain"),
        "quorum": result.get("quorum"),
        "passed": result.get("passed"),
        "rule": result.get("rule", ""),
        "reason": result.get("reason", ""),
    }


def _election_facts(session: Session, round_id: int) -> dict[str, Any] | None:
    round_ = session.get(Round, round_id)
    if round_ is None:
        return None
    election = session.get(Election, round_.election_id)
    outcome = latest_outcome(session, round_)
    facts: dict[str, Any] = {
        "round_id": round_.id,
        "election": election.title if election is not None else "",
        "round_number": round_.number,
        "status": round_.status.value,
        "outcome": outcome.kind if outcome is not None else None,
    }
    if outcome is not None:
        result = result_of(outcome)
        facts["sha256"] = outcome.sha256
        for key in ("valid", "elected", "counts", "ballots_cast", "invalid_ballots", "seats"):
            facts[key] = result.get(key)
    return facts


def _item_facts(session: Session, item: AgendaItem) -> dict[str, Any]:
    motions = session.scalars(select(Motion).where(Motion.item_id == item.id).order_by(Motion.id))
    ref = item.compact_version_ref
    name = version_name(session, ref)
    return {
        "item_id": item.id,
        "position": item.position,
        "title": item.title,
        "kind": item.kind.value,
        "party_studied": item.party_studied,
        "party_studied_on": _iso(item.party_studied_on),
        "party_studied_note": item.party_studied_note,
        "compact_version_ref": item.compact_version_ref,
        # The reference in words (meetings.refs): what the minutes' readers see.
        **({"compact_version": name.words} if name is not None else {}),
        **({"outside_notice": True} if item.outside_notice else {}),
        "motions": [
            {**facts, "text": shown_text(facts["text"], ref, name)}
            for facts in map(_motion_facts, motions)
        ],
        "election": _election_facts(session, item.round_id) if item.round_id else None,
    }


def notes_of(session: Session, minutes: Minutes | None) -> dict[int, str]:
    if minutes is None:
        return {}
    rows = session.scalars(select(ItemNote).where(ItemNote.minutes_id == minutes.id))
    return {row.item_id: row.text for row in rows}


def draft_document(session: Session, meeting: Meeting, minutes: Minutes | None) -> dict[str, Any]:
    """The minutes as they stand now, filled in from the records themselves."""
    items = session.scalars(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting.id).order_by(AgendaItem.position)
    )
    return rules.build_document(
        _meeting_section(session, meeting),
        _attendance_section(session, meeting),
        [_item_facts(session, item) for item in items],
        notes_of(session, minutes),
    )


def document(session: Session, meeting: Meeting, minutes: Minutes | None) -> dict[str, Any]:
    """What the minutes say: the signed text once locked, the live draft before."""
    if minutes is not None and minutes.locked_json is not None:
        locked: dict[str, Any] = json.loads(minutes.locked_json)
        return locked
    return draft_document(session, meeting, minutes)


# --- the recorder's notes -------------------------------------------------------------


def require_recorder(meeting: Meeting, user: StaffUser) -> None:
    if user.id != meeting.recorder_id:
        raise NotSignatory(lazy("只有本次会议的记录人才能填写会议记录。"))


def require_unlocked(minutes: Minutes) -> None:
    if minutes.locked_at is not None:
        raise MinutesLocked(
            lazy("会议记录已经签名锁定，不能再修改。如有错误，请由记录人写一份更正说明。")
        )


def save_notes(
    session: Session, actor: Actor, user: StaffUser, meeting: Meeting, notes: Mapping[int, str]
) -> Minutes:
    """Replace the recorder's notes of the given agenda items (before signing)."""
    require_recorder(meeting, user)
    minutes = ensure_minutes(session, meeting, actor)
    require_unlocked(minutes)
    current = {
        row.item_id: row
        for row in session.scalars(select(ItemNote).where(ItemNote.minutes_id == minutes.id))
    }
    changed = []
    for item_id, text in notes.items():
        row = current.get(item_id)
        if row is None:
            if text:
                session.add(ItemNote(minutes_id=minutes.id, item_id=item_id, text=text))
                changed.append(item_id)
        elif row.text != text:
            row.text = text
            changed.append(item_id)
    session.flush()
    minutes.draft_json = rules.canonical(draft_document(session, meeting, minutes))
    session.flush()
    record(
        session,
        actor,
        "minutes.notes",
        "minutes",
        minutes.id,
        {"meeting_id": meeting.id, "items": sorted(changed)},
        village_id=meeting.village_id,
    )
    return minutes


def addenda_of(session: Session, minutes: Minutes | None) -> list[Addendum]:
    if minutes is None:
        return []
    return list(
        session.scalars(
            select(Addendum).where(Addendum.minutes_id == minutes.id).order_by(Addendum.number)
        )
    )
