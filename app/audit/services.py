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
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Integer, Select, String, column, func, select, table, text
from sqlalchemy.orm import Session

from app.actors import Actor
from app.audit.models import AuditEntry
from app.db import utcnow
from app.permissions import Principal
from app.templating import CHINA_TIME

# The registry's village table, read by name: the registry records its changes here, so
# this module cannot import the registry's models.
_VILLAGE = table(
    "village",
    column("id", Integer),
    column("township_id", Integer),
    column("name", String),
    column("code", String),
)

GENESIS_HASH = "0" * 64
# Any constant works; it only has to be the same for every writer of the chain.
_POSTGRES_CHAIN_LOCK = 0x43554E5949  # "CUNYI"


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
    village_id = village_id if village_id is not None else actor.village_id
    if township_id is None and village_id is not None:
        # Auditors see their township's log: a village's entry must carry its township
        # even when the actor (the system, a villager's QR link) has none.
        township_id = session.scalar(
            select(_VILLAGE.c.township_id).where(_VILLAGE.c.id == village_id)
        )
    entry = AuditEntry(
        **fields,
        hash=entry_hash(**fields),
        township_id=township_id if township_id is not None else actor.township_id,
        village_id=village_id,
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainProblem:
    """The first entry of the chain (in seq order) that is not what was written."""

    seq: int
    entry_id: int | None  # None when the entry is gone
    # machine-readable: "changed", "rehashed", "removed", "reordered", "bad-link"
    reason: str

    def describe(self) -> str:
        where = f"entry seq={self.seq}" + (f" (id={self.entry_id})" if self.entry_id else "")
        reasons = {
            "changed": "its contents no longer match its hash (changed)",
            "rehashed": "it was changed and its hash recomputed: the next entry recorded "
            "a different hash (changed)",
            "removed": "it is missing (removed)",
            "reordered": "it is not in its place in the log (reordered)",
            "bad-link": "it does not point at the previous entry's hash",
        }
        return f"{where}: {reasons[self.reason]}"


def iter_entries(session: Session, batch: int = 5000) -> Iterator[AuditEntry]:
    """Entries in storage order (by id): reordering shows up as a seq out of place."""
    stmt = select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=batch)
    yield from session.scalars(stmt)


def verify_chain(entries: Iterable[AuditEntry]) -> tuple[int, ChainProblem | None]:
    """Walk the chain; return how many entries checked out and the first problem.

    The problem names the first seq that is not intact: a changed entry, the entry
    a removal left missing, or the first entry found out of its place.
    """
    expected_prev = GENESIS_HASH
    previous: AuditEntry | None = None
    checked = 0
    iterator = iter(entries)
    for entry in iterator:
        expected_seq = checked + 1
        if _recompute(entry) != entry.hash:
            return checked, ChainProblem(entry.seq, entry.id, "changed")
        if entry.seq != expected_seq:
            # The expected entry was deleted, or it sits further down (moved).
            moved = next((later for later in iterator if later.seq == expected_seq), None)
            if moved is None:
                return checked, ChainProblem(expected_seq, None, "removed")
            return checked, ChainProblem(expected_seq, moved.id, "reordered")
        if entry.prev_hash != expected_prev:
            if previous is None:
                return checked, ChainProblem(entry.seq, entry.id, "bad-link")
            # This entry is intact, so it still records the previous entry's original
            # hash: the previous entry was changed and given a fresh hash.
            return checked - 1, ChainProblem(previous.seq, previous.id, "rehashed")
        expected_prev = entry.hash
        previous = entry
        checked += 1
    return checked, None


def _recompute(entry: AuditEntry) -> str:
    return entry_hash(
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


def chain_length(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


# --- reading the log ---------------------------------------------------------------------

LOG_PAGE_SIZE = 50


@dataclass(frozen=True)
class LogFilters:
    """What the auditor filters the log by; empty or None means no filter."""

    action: str = ""
    actor: str = ""
    object: str = ""
    village_id: int | None = None
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class LogPage:
    entries: list[AuditEntry]
    total: int
    pages: int


def _scoped(reader: Principal, stmt: Select[Any]) -> Select[Any]:
    """Village-bound readers see their village's entries; the others their township's."""
    if reader.village_id is not None:
        return stmt.where(AuditEntry.village_id == reader.village_id)
    return stmt.where(AuditEntry.township_id == reader.township_id)


def search_log(session: Session, reader: Principal, filters: LogFilters, page: int) -> LogPage:
    """One page of the entries the reader may see, newest first."""
    stmt = _scoped(reader, select(AuditEntry))
    if filters.action:
        stmt = stmt.where(AuditEntry.action.startswith(filters.action, autoescape=True))
    if filters.actor:
        stmt = stmt.where(AuditEntry.actor_label.icontains(filters.actor, autoescape=True))
    if filters.object:
        kind, _sep, ident = filters.object.partition(":")
        stmt = stmt.where(AuditEntry.object_type == kind)
        if ident:
            stmt = stmt.where(AuditEntry.object_id == ident)
    if filters.village_id is not None:
        stmt = stmt.where(AuditEntry.village_id == filters.village_id)
    if filters.since:
        stmt = stmt.where(AuditEntry.at >= datetime.combine(filters.since, time(), CHINA_TIME))
    if filters.until:
        stmt = stmt.where(
            AuditEntry.at < datetime.combine(filters.until + timedelta(days=1), time(), CHINA_TIME)
        )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    entries = list(
        session.scalars(
            stmt.order_by(AuditEntry.seq.desc())
            .offset((page - 1) * LOG_PAGE_SIZE)
            .limit(LOG_PAGE_SIZE)
        )
    )
    return LogPage(entries, total, max(1, (total + LOG_PAGE_SIZE - 1) // LOG_PAGE_SIZE))


@dataclass(frozen=True)
class VillageChoice:
    id: int
    name: str


def villages_in_scope(session: Session, reader: Principal) -> list[VillageChoice]:
    """The villages the reader may filter the log by, in code order."""
    stmt = select(_VILLAGE.c.id, _VILLAGE.c.name).where(
        _VILLAGE.c.township_id == reader.township_id
    )
    if reader.village_id is not None:
        stmt = stmt.where(_VILLAGE.c.id == reader.village_id)
    rows = session.execute(stmt.order_by(_VILLAGE.c.code))
    return [VillageChoice(row.id, row.name) for row in rows]


def actions_in_scope(session: Session, reader: Principal) -> list[str]:
    return sorted(session.scalars(_scoped(reader, select(AuditEntry.action).distinct())))
