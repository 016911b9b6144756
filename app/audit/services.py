"""Writing and verifying the audit chain.

Each entry's hash is SHA-256 over a canonical JSON encoding of its fields plus the
previous entry's hash, so changing, removing or reordering any entry breaks every
hash after it, and `verify_chain` names the first entry that no longer fits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.db import utcnow

GENESIS_HASH = "0" * 64
# Any constant works; it only has to be the same for every writer of the chain.
_POSTGRES_CHAIN_LOCK = 0x43554E5949  # "CUNYI"


@dataclass(frozen=True)
class Actor:
    """Who did it: a staff user, a villager through a QR link, or the system."""

    label: str
    user_id: int | None = None
    township_id: int | None = None
    village_id: int | None = None


SYSTEM = Actor(label="system")


def canonical_summary(summary: Mapping[str, Any]) -> str:
    return json.dumps(
        summary, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )


def entry_hash(
    *,
    seq: int,
    at: datetime,
    actor_label: str,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: str,
    summary: str,
    prev_hash: str,
) -> str:
    payload = {
        "seq": seq,
        "at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": actor_label,
        "actor_id": actor_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "summary": summary,
        "prev": prev_hash,
    }
    encoded = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _lock_chain(session: Session) -> None:
    # On PostgreSQL concurrent writers must not both extend the same tail; SQLite
    # write transactions already run one at a time (BEGIN IMMEDIATE).
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _POSTGRES_CHAIN_LOCK})


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object,
    summary: Mapping[str, Any] | None = None,
    *,
    village_id: int | None = None,
    township_id: int | None = None,
) -> AuditEntry:
    """Append one entry. Call it in the same transaction as the change it describes."""
    _lock_chain(session)
    session.flush()
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq = (last.seq + 1) if last else 1
    prev_hash = last.hash if last else GENESIS_HASH
    at = utcnow()
    encoded_summary = canonical_summary(summary or {})
    fields: dict[str, Any] = {
        "seq": seq,
        "at": at,
        "actor_label": actor.label,
        "actor_id": actor.user_id,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "summary": encoded_summary,
        "prev_hash": prev_hash,
    }
    entry = AuditEntry(
        **fields,
        hash=entry_hash(**fields),
        township_id=township_id if township_id is not None else actor.township_id,
        village_id=village_id if village_id is not None else actor.village_id,
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    entry_id: int | None
    reason: str  # machine-readable: "changed", "removed", "reordered", "bad-link"

    def describe(self) -> str:
        where = f"entry seq={self.seq}" + (f" (id={self.entry_id})" if self.entry_id else "")
        reasons = {
            "changed": "its contents no longer match its hash (changed)",
            "removed": "the entry before it is missing (removed)",
            "reordered": "it is out of order (reordered)",
            "bad-link": "it does not point at the previous entry's hash",
        }
        return f"{where}: {reasons[self.reason]}"


def iter_entries(session: Session, batch: int = 5000) -> Iterator[AuditEntry]:
    """Entries in storage order (by id): reordering shows up as a seq out of place."""
    stmt = select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=batch)
    yield from session.scalars(stmt)


def verify_chain(entries: Iterable[AuditEntry]) -> tuple[int, ChainProblem | None]:
    """Walk the chain; return how many entries checked out and the first problem."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    iterator = iter(entries)
    for entry in iterator:
        recomputed = entry_hash(
            seq=entry.seq,
            at=entry.at,
            actor_label=entry.actor_label,
            actor_id=entry.actor_id,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            summary=entry.summary,
            prev_hash=entry.prev_hash,
        )
        if recomputed != entry.hash:
            return checked, ChainProblem(entry.seq, entry.id, "changed")
        if entry.seq < expected_seq:
            return checked, ChainProblem(entry.seq, entry.id, "reordered")
        if entry.seq > expected_seq:
            # Either the expected entry was deleted, or it was moved further down.
            missing = expected_seq
            moved = any(later.seq == missing for later in iterator)
            return checked, ChainProblem(entry.seq, entry.id, "reordered" if moved else "removed")
        if entry.prev_hash != expected_prev:
            return checked, ChainProblem(entry.seq, entry.id, "bad-link")
        expected_prev = entry.hash
        expected_seq += 1
        checked += 1
    return checked, None


def chain_length(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0
