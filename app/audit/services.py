"""Writing and verifying the audit chain.

Each entry's hash is SHA-256 over a canonical JSON encoding of its fields plus the
previous entry's hash, so changing, removing or reordering any entry breaks every
hash after it, and `verify_chain` names the first entry that no longer fits.

What the chain alone cannot show is an edit followed by recomputing every later hash,
or the newest entries deleted: both leave a chain that verifies. So every public notice
prints the chain's head at the moment it was made (`chain_anchor`, an anchor outside
the database), and `check_anchors` compares written-down anchors with the log.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from markupsafe import Markup
from sqlalchemy import Integer, Select, String, column, func, select, table, text
from sqlalchemy.orm import Session

from app.actors import Actor
from app.audit.models import AuditEntry
from app.db import utcnow
from app.drill import session_is_drill
from app.permissions import Principal
from app.qr import qr_svg
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
# The summary field that marks a drill's entry (app.drill).
DRILL_FIELD = "drill"
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
    """Append one entry. Call it in the same transaction as the change it describes.

    Work on a drill (app.drill.mark_session, set by the request layer) is marked
    `"drill": true` in the summary, inside the hash: the log keeps a drill's entries when
    the drill is removed, and tells them apart for good."""
    _lock_chain(session)
    session.flush()
    head = chain_anchor(session)
    seq, prev_hash = head.seq + 1, head.hash
    at = utcnow()
    if session_is_drill(session):
        summary = {**(summary or {}), DRILL_FIELD: True}
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


def entries_about(
    session: Session, action: str, object_type: str, object_id: object
) -> list[AuditEntry]:
    """The entries recording `action` on one object, oldest first."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.action == action,
                AuditEntry.object_type == object_type,
                AuditEntry.object_id == str(object_id),
            )
            .order_by(AuditEntry.seq)
        )
    )


# --- anchors: the chain's head, printed on public notices -------------------------------

# The printed (short) hash: 16 hex digits, 64 bits, read aloud in four groups of four.
# Forging a rewritten chain whose entry at the anchor's seq begins with the same 16
# digits takes about 2**64 hash attempts; fewer digits would be within reach.
SHORT_HASH_DIGITS = 16
# Millimetres per QR module: the full-hash anchor (version 5, 37 modules) is about 29 mm
# across with its quiet zone, small enough for the foot of a notice.
ANCHOR_MODULE_MM = 0.7


def group_hex(digits: str) -> str:
    """Hex digits in groups of four joined by dashes, as printed: 3f2a-9c1b-77de-0a41."""
    return "-".join(digits[i : i + 4] for i in range(0, len(digits), 4))


@dataclass(frozen=True)
class ChainAnchor:
    """The chain's newest entry at one moment, for printing on a public notice.

    Written on paper outside the database, it lets anyone check later that the log up
    to that entry was neither cut short nor rewritten (`check_anchors`).
    """

    seq: int  # 0 for an empty chain
    hash: str  # the entry's full SHA-256 (GENESIS_HASH for an empty chain)

    @property
    def short_hash(self) -> str:
        return group_hex(self.hash[:SHORT_HASH_DIGITS])

    @property
    def label(self) -> str:
        """What is printed and read aloud: #1234 · 3f2a-9c1b-77de-0a41."""
        return f"#{self.seq} · {self.short_hash}"

    @property
    def machine(self) -> str:
        """What the QR code holds and `cunyi verify-audit --anchor` takes: SEQ:HASH with
        the full hash (the printed short form is accepted there too)."""
        return f"{self.seq}:{self.hash}"

    def qr_svg(self) -> Markup:
        """The QR code of `machine` as an inline SVG (drawn as the slips' codes are)."""
        return qr_svg(self.machine, best_mask=True, module_mm=ANCHOR_MODULE_MM)


def chain_anchor(session: Session) -> ChainAnchor:
    """The chain's head now: the one place that reads it, for notices and for `record`."""
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    return ChainAnchor(last.seq, last.hash) if last else ChainAnchor(0, GENESIS_HASH)


class AnchorSyntaxError(ValueError):
    """An anchor that is not SEQ:HASH (or the printed form); the message is bilingual."""


@dataclass(frozen=True)
class AnchorClaim:
    """An anchor as someone wrote it down: a seq and the first digits of its hash."""

    seq: int
    digits: str  # lower-case hex, SHORT_HASH_DIGITS to 64 of them

    @property
    def label(self) -> str:
        """As printed (a longer hash is cut to the printed digits): #1234 · 3f2a-…-0a41."""
        more = "…" if len(self.digits) > SHORT_HASH_DIGITS else ""
        return f"#{self.seq} · {group_hex(self.digits[:SHORT_HASH_DIGITS])}{more}"

    def matches(self, entry_hash: str) -> bool:
        return entry_hash.startswith(self.digits)


# SEQ:HASH, or the printed form "#1234 · 3f2a-9c1b-77de-0a41": an optional "#", the seq,
# a colon, a middle dot or a space, then hex digits in any grouping of dashes and spaces.
_ANCHOR = re.compile(r"#?(?P<seq>\d+)\s*(?:[:·]|\s)\s*(?P<hash>[0-9A-Fa-f][0-9A-Fa-f \t-]*)")
# A comment: "#" not followed by a digit (so "#1234 · ..." stays an anchor), to line end.
_COMMENT = re.compile(r"#(?!\d).*$")


def parse_anchor(text: str) -> AnchorClaim:
    found = _ANCHOR.fullmatch(text.strip())
    if found is None:
        raise AnchorSyntaxError(
            f"锚点 {text.strip()!r} 的格式不对，应为 编号:哈希，例如 1234:3f2a9c1b77de0a41 "
            f"(anchor {text.strip()!r} is not SEQ:HASH)"
        )
    digits = re.sub(r"[\s-]", "", found["hash"]).lower()
    if not SHORT_HASH_DIGITS <= len(digits) <= 64:
        raise AnchorSyntaxError(
            f"锚点 {text.strip()!r} 的哈希应有 {SHORT_HASH_DIGITS} 到 64 位十六进制数字 "
            f"(anchor {text.strip()!r}: the hash needs {SHORT_HASH_DIGITS} to 64 hex digits, "
            f"it has {len(digits)})"
        )
    return AnchorClaim(int(found["seq"]), digits)


def parse_anchor_lines(lines: Iterable[str], source: str) -> list[AnchorClaim]:
    """One anchor per line; blank lines and comments (# ..., not #1234) are skipped."""
    claims = []
    for number, line in enumerate(lines, start=1):
        text = _COMMENT.sub("", line).strip()
        if not text:
            continue
        try:
            claims.append(parse_anchor(text))
        except AnchorSyntaxError as error:
            raise AnchorSyntaxError(f"{source}:{number}: {error}") from None
    return claims


@dataclass(frozen=True)
class AnchorProblem:
    """A written-down anchor the log no longer agrees with."""

    anchor: AnchorClaim
    entry_id: int | None  # the entry now at the anchor's seq (None when there is none)
    # machine-readable: "truncated", "removed", "rehashed", "reordered", "broken"
    reason: str
    found_hash: str = ""  # the hash now at the anchor's seq
    moved_to: int | None = None  # reordered: the seq the anchored entry now has
    last_seq: int = 0  # truncated: the last seq the log still has
    chain_problem: ChainProblem | None = None  # broken: what the walk found before it

    def describe(self) -> str:
        where = f"entry seq={self.anchor.seq}" + (f" (id={self.entry_id})" if self.entry_id else "")
        head = f"anchor {self.anchor.seq}:{self.anchor.digits}: {where}"
        if self.reason == "truncated":
            return (
                f"{head} is missing: the log now ends at seq={self.last_seq}, so it and the "
                "entries after it were deleted (truncated)"
            )
        if self.reason == "removed":
            return f"{head} is missing (removed)"
        if self.reason == "reordered":
            return f"{head} is not the anchored entry, which is now seq={self.moved_to} (reordered)"
        if self.reason == "rehashed":
            return (
                f"{head} has hash {group_hex(self.found_hash[:SHORT_HASH_DIGITS])}…, not the "
                "anchored one: the log up to it was rewritten (an entry changed and the "
                "hashes after it recomputed, or entries deleted and others written in their "
                "place) (rehashed)"
            )
        problem = self.chain_problem.describe() if self.chain_problem else ""
        return f"{head} still has the anchored hash, but the log before it is broken (broken): {problem}"


def check_anchors(
    session: Session, anchors: Iterable[AnchorClaim], chain_problem: ChainProblem | None
) -> list[tuple[AnchorClaim, AnchorProblem | None]]:
    """Each anchor with what is wrong with the log up to it (None: intact up to it).

    `chain_problem` is what `verify_chain` found: an anchor past it fails too, since the
    log before the anchor no longer verifies.
    """
    last_seq = session.scalar(select(func.max(AuditEntry.seq))) or 0
    checked: list[tuple[AnchorClaim, AnchorProblem | None]] = []
    for anchor in anchors:
        checked.append((anchor, _check_anchor(session, anchor, chain_problem, last_seq)))
    return checked


def _check_anchor(
    session: Session, anchor: AnchorClaim, chain_problem: ChainProblem | None, last_seq: int
) -> AnchorProblem | None:
    if anchor.seq == 0:  # an empty chain's anchor: nothing before it to check
        if anchor.matches(GENESIS_HASH):
            return None
        return AnchorProblem(anchor, None, "rehashed", found_hash=GENESIS_HASH)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.seq == anchor.seq))
    if entry is None:
        moved = _entry_with_hash(session, anchor)
        if moved is not None:
            return AnchorProblem(anchor, None, "reordered", moved_to=moved.seq)
        if anchor.seq > last_seq:
            return AnchorProblem(anchor, None, "truncated", last_seq=last_seq)
        return AnchorProblem(anchor, None, "removed")
    if not anchor.matches(entry.hash):
        moved = _entry_with_hash(session, anchor)
        if moved is not None:
            return AnchorProblem(anchor, entry.id, "reordered", moved_to=moved.seq)
        return AnchorProblem(anchor, entry.id, "rehashed", found_hash=entry.hash)
    if chain_problem is not None and chain_problem.seq <= anchor.seq:
        return AnchorProblem(anchor, entry.id, "broken", chain_problem=chain_problem)
    return None


def _entry_with_hash(session: Session, anchor: AnchorClaim) -> AuditEntry | None:
    return session.scalar(
        select(AuditEntry)
        .where(AuditEntry.hash.startswith(anchor.digits), AuditEntry.seq != anchor.seq)
        .limit(1)
    )


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
    drill: str = ""  # DRILL_ONLY, DRILL_NONE, or "" for both


# The log form's 演练 filter: only a drill's entries, or none of them.
DRILL_ONLY = "only"
DRILL_NONE = "none"
# A drill's entry as its canonical summary (canonical_summary) holds the mark: no key in
# JSON can hold this text except the mark itself or a nested key of the same name, and
# record() never writes a nested one; text inside a value has its quotes escaped.
_DRILL_MARK = f'%"{DRILL_FIELD}":true%'


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
    if filters.drill == DRILL_ONLY:
        stmt = stmt.where(AuditEntry.summary.like(_DRILL_MARK))
    elif filters.drill == DRILL_NONE:
        stmt = stmt.where(AuditEntry.summary.not_like(_DRILL_MARK))
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
