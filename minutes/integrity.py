"""Checking signed minutes against the audit log (`cunyi verify-audit`).

The audit entry "minutes.lock" recorded the SHA-256 of the text both signatories
signed; "minutes.addendum_lock" the hash of each signed correction. Someone who edits a
locked row directly in the database (after dropping its trigger) cannot change those
entries without breaking the audit chain, so recomputing the hashes shows the edit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from meetings.models import Meeting
from minutes import rules
from minutes.models import Addendum, Minutes


@dataclass(frozen=True)
class MinutesProblem:
    minutes_id: int
    meeting_id: int | None
    title: str
    what: str  # machine-readable: "changed", "unlocked", "not-in-log", "addendum-changed"
    detail: str = ""

    def describe(self) -> str:
        texts = {
            "changed": "the signed text no longer matches the hash in the audit log (changed)",
            "unlocked": "the audit log says it was signed and locked, but it is not (unlocked)",
            "not-in-log": "it is locked but no audit entry recorded its hash (not-in-log)",
            "addendum-changed": "a signed addendum no longer matches its hash in the audit "
            "log (addendum-changed)",
        }
        where = f"minutes id={self.minutes_id}"
        if self.meeting_id is not None:
            where += f" of meeting id={self.meeting_id} “{self.title}”"
        return f"{where}: {texts[self.what]}" + (f" [{self.detail}]" if self.detail else "")


def _logged_hashes(session: Session, action: str) -> dict[str, str]:
    """object_id -> the sha256 the audit entry recorded (the latest if several)."""
    found: dict[str, str] = {}
    stmt = select(AuditEntry.object_id, AuditEntry.summary).where(AuditEntry.action == action)
    for object_id, summary in session.execute(stmt.order_by(AuditEntry.seq)):
        found[object_id] = str(json.loads(summary).get("sha256", ""))
    return found


def _problem(session: Session, minutes: Minutes, what: str, detail: str = "") -> MinutesProblem:
    meeting = session.get(Meeting, minutes.meeting_id)
    title = meeting.title if meeting is not None else ""
    return MinutesProblem(minutes.id, minutes.meeting_id, title, what, detail)


def check_minutes(session: Session) -> tuple[int, list[MinutesProblem]]:
    """How many signed minutes and addenda were checked, and what no longer matches."""
    problems: list[MinutesProblem] = []
    locks = _logged_hashes(session, "minutes.lock")
    checked = 0
    for minutes in session.scalars(select(Minutes).order_by(Minutes.id)):
        logged = locks.get(str(minutes.id))
        if minutes.locked_at is None or minutes.locked_json is None:
            if logged is not None:
                problems.append(_problem(session, minutes, "unlocked"))
            continue
        checked += 1
        if logged is None:
            problems.append(_problem(session, minutes, "not-in-log"))
            continue
        recomputed = rules.digest(minutes.locked_json)
        if recomputed != logged or minutes.locked_sha256 != logged:
            problems.append(_problem(session, minutes, "changed"))
    addendum_locks = _logged_hashes(session, "minutes.addendum_lock")
    for addendum in session.scalars(select(Addendum).order_by(Addendum.id)):
        logged = addendum_locks.get(str(addendum.id))
        if logged is None:
            continue  # never signed: an unsigned draft correction, nothing to compare
        checked += 1
        minutes_row = session.get(Minutes, addendum.minutes_id)
        assert minutes_row is not None
        original = locks.get(str(minutes_row.id), "")
        recomputed = rules.addendum_digest(original, addendum.number, addendum.text)
        if addendum.locked_at is None or recomputed != logged or addendum.sha256 != logged:
            detail = f"addendum no. {addendum.number}"
            problems.append(_problem(session, minutes_row, "addendum-changed", detail))
    return checked, problems
