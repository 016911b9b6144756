"""Reading paper ballots: what tellers entered, tallies, and comparing tellers' entries.

Shared by the count itself (ballots.paper.count) and closing it (ballots.paper.services).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from app.i18n import lazy
from ballots.exceptions import StageError
from ballots.models import (
    Candidate,
    PaperCount,
    PaperCountEntry,
    Round,
    RoundStatus,
)

INVALID_MARK = "（废票%(n)s）"


def invalid_marks(seats: int) -> list[str]:
    """The stored marks of an invalid paper ballot: over-marked, so cast and invalid."""
    return [INVALID_MARK % {"n": n} for n in range(1, seats + 2)]


def canonical_marks(names: Iterable[str]) -> str:
    """Sorted canonical JSON, the form every Ballot.marks is stored in."""
    return json.dumps(sorted(names), ensure_ascii=False, separators=(",", ":"))


def ballot_candidates(session: Session, round_: Round) -> list[Candidate]:
    """The names printed on the round's ballot, in ballot order."""
    return list(
        session.scalars(
            select(Candidate)
            .where(Candidate.round_id == round_.id, Candidate.withdrawn.is_(False))
            .order_by(Candidate.position)
        )
    )


def require_status(round_: Round, status: RoundStatus) -> None:
    if round_.status is status:
        return
    if status is RoundStatus.OPEN:
        raise StageError(lazy("本轮投票没有在进行，现在不能发选票或投票。"))
    raise StageError(lazy("本轮还没有开始计票（或已经计完），现在不能录入纸质选票。"))


# Readings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """One paper ballot as read out: some names, blank, or invalid."""

    marks: tuple[str, ...]
    invalid: bool

    @property
    def blank(self) -> bool:
        return not self.invalid and not self.marks

    @property
    def key(self) -> tuple[str, ...]:
        """What must agree between tellers; which names an invalid ballot named does not."""
        if self.invalid:
            return ("invalid",)
        return ("marks", *sorted(self.marks))

    def stored_marks(self, seats: int) -> list[str]:
        return invalid_marks(seats) if self.invalid else sorted(self.marks)

    @classmethod
    def of(cls, entry: PaperCountEntry) -> Reading:
        return cls(tuple(json.loads(entry.marks)), entry.invalid)


def count_entries(session: Session, count: PaperCount) -> list[PaperCountEntry]:
    return list(
        session.scalars(
            select(PaperCountEntry)
            .where(PaperCountEntry.count_id == count.id)
            .order_by(PaperCountEntry.position)
        )
    )


def round_counts(session: Session, round_: Round) -> list[PaperCount]:
    return list(
        session.scalars(
            select(PaperCount)
            .where(PaperCount.round_id == round_.id)
            .order_by(PaperCount.stack, PaperCount.id)
        )
    )


def by_stack(counts: Iterable[PaperCount]) -> dict[str, list[PaperCount]]:
    stacks: dict[str, list[PaperCount]] = defaultdict(list)
    for count in sorted(counts, key=lambda c: (c.stack, c.id)):
        stacks[count.stack].append(count)
    return dict(stacks)


@dataclass
class Tally:
    votes: dict[str, int]
    blank: int = 0
    invalid: int = 0
    total: int = 0


def tally(readings: Iterable[Reading], candidates: Sequence[str]) -> Tally:
    """The running tally a teller and the room watch: votes per name, blank, invalid."""
    result = Tally(votes=dict.fromkeys(candidates, 0))
    for reading in readings:
        result.total += 1
        if reading.invalid:
            result.invalid += 1
        elif reading.blank:
            result.blank += 1
        else:
            for name in reading.marks:
                result.votes[name] = result.votes.get(name, 0) + 1
    return result


# Comparing tellers ----------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One position of a stack where the tellers' readings differ (None: not entered)."""

    stack: str
    position: int
    counts: tuple[PaperCount, ...]
    readings: tuple[Reading | None, ...]  # aligned with `counts`

    @property
    def pending(self) -> bool:
        """Someone has not reached this ballot yet: a gap, not (yet) a disagreement."""
        return any(reading is None for reading in self.readings)


def disagreements(differences: Iterable[Difference]) -> list[Difference]:
    """The ballots every teller has entered, but read differently."""
    return [d for d in differences if not d.pending]


def compare_counts(counts: Sequence[PaperCount]) -> list[Difference]:
    """Every position, per stack, where that stack's counts do not read alike."""
    if not counts:
        return []
    session = object_session(counts[0])
    assert session is not None, "counts must be loaded in a session"
    differences: list[Difference] = []
    for stack, group in by_stack(counts).items():
        if len(group) < 2:
            continue
        readings = [[Reading.of(e) for e in count_entries(session, c)] for c in group]
        for index in range(max(len(r) for r in readings)):
            row = tuple(r[index] if index < len(r) else None for r in readings)
            if len({reading.key if reading else None for reading in row}) > 1:
                differences.append(Difference(stack, index + 1, tuple(group), row))
    return differences
