"""The public count of paper ballots (唱票/计票): each teller's entries, tallies, comparison.

Each teller enters the stack one ballot at a time into their own PaperCount; two
tellers may enter the same stack independently, and `compare_counts` finds every
position where they read it differently. ballots.paper closes the count.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from app.accounts.models import StaffUser
from app.audit.services import Actor, record
from app.i18n import lazy
from ballots.exceptions import CountClosed, NotYourCount, PaperEntryRefused, StageError
from ballots.models import (
    Candidate,
    PaperCount,
    PaperCountEntry,
    Round,
    RoundStatus,
    RoundTeller,
)
from ballots.setup import profile_for

NAME_MAX_LENGTH = 50  # as Candidate.name
INVALID_MARK = "（废票%(n)s）"


def invalid_marks(seats: int) -> list[str]:
    """The stored marks of an invalid paper ballot: over-marked, so cast and invalid."""
    return [INVALID_MARK % {"n": n} for n in range(1, seats + 2)]


def canonical_marks(names: Iterable[str]) -> str:
    """Sorted canonical JSON, the form every Ballot.marks is stored in."""
    return json.dumps(sorted(names), ensure_ascii=False, separators=(",", ":"))


def staff_actor(user: StaffUser) -> Actor:
    """The same label the request layer gives a signed-in user."""
    return Actor(
        label=f"{user.display_name} ({user.username})",
        user_id=user.id,
        township_id=user.township_id,
        village_id=user.village_id,
    )


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


# A teller's own count -------------------------------------------------------------------


def _require_open(session: Session, count: PaperCount) -> Round:
    round_ = session.get(Round, count.round_id)
    assert round_ is not None
    if count.closed_at is not None:
        raise CountClosed(lazy("本轮的纸质选票已经结束计票，不能再修改。"))
    require_status(round_, RoundStatus.COUNTING)
    return round_


def _check_teller(session: Session, teller: StaffUser, round_: Round) -> None:
    named = set(
        session.scalars(select(RoundTeller.teller_id).where(RoundTeller.round_id == round_.id))
    )
    # Before tellers are named any teller of the village may count; after, only they.
    if named and teller.id not in named:
        raise NotYourCount(lazy("只有本轮指定的监计票人才能录入纸质选票。"))


def start_count(session: Session, teller: StaffUser, round_: Round, stack: str) -> PaperCount:
    """The teller's count of one stack: their open one if they have it, else a new one."""
    require_status(round_, RoundStatus.COUNTING)
    _check_teller(session, teller, round_)
    mine = session.scalar(
        select(PaperCount).where(
            PaperCount.round_id == round_.id,
            PaperCount.teller_id == teller.id,
            PaperCount.stack == stack,
        )
    )
    if mine is not None:
        if mine.closed_at is not None:
            raise CountClosed(lazy("本轮的纸质选票已经结束计票，不能再开始新的计票。"))
        return mine
    if any(c.closed_at is not None for c in round_counts(session, round_)):
        raise CountClosed(lazy("本轮的纸质选票已经结束计票，不能再开始新的计票。"))
    count = PaperCount(round_id=round_.id, teller_id=teller.id, stack=stack)
    session.add(count)
    session.flush()
    record(
        session,
        staff_actor(teller),
        "paper_count.start",
        "paper_count",
        count.id,
        {"round_id": round_.id, "stack": stack},
        village_id=round_.election.village_id,
    )
    return count


def _reading(
    round_: Round,
    candidates: Sequence[str],
    write_ins: bool,
    marks: Sequence[str],
    blank: bool,
    invalid: bool,
) -> Reading:
    names = list(dict.fromkeys(name.strip() for name in marks if name.strip()))
    if blank + invalid + bool(names) != 1:
        raise PaperEntryRefused(lazy("每张选票只能录入一种：选了谁、空白票或废票。请重新点一次。"))
    if blank or invalid:
        return Reading((), invalid)
    for name in names:
        if len(name) > NAME_MAX_LENGTH:
            raise PaperEntryRefused(
                lazy("名字最多 %(max)s 个字，请核对后重新录入。"), max=NAME_MAX_LENGTH
            )
        if name not in candidates and not write_ins:
            raise PaperEntryRefused(
                lazy("本次选举不能另选他人。写了候选人以外名字的选票，请按“废票”录入。")
            )
    # Marking more people than seats spoils the whole ballot (RULES.md): it is a 废票.
    return Reading(tuple(names), invalid=len(names) > round_.seats)


def next_position(session: Session, count: PaperCount) -> int:
    last = session.scalar(
        select(func.max(PaperCountEntry.position)).where(PaperCountEntry.count_id == count.id)
    )
    return int(last or 0) + 1


def _lock(session: Session, count: PaperCount) -> None:
    # Two taps at once on PostgreSQL would both take the same next position.
    session.execute(select(PaperCount.id).where(PaperCount.id == count.id).with_for_update())


def add_entry(
    session: Session,
    count: PaperCount,
    *,
    marks: Sequence[str] = (),
    blank: bool = False,
    invalid: bool = False,
    expected_position: int | None = None,
) -> PaperCountEntry:
    """Record the next paper ballot of the stack as read out.

    `expected_position` is the number the teller's screen showed for this ballot: if
    it was already taken (a double tap, a resent form) nothing is recorded.
    """
    round_ = _require_open(session, count)
    _lock(session, count)
    position = next_position(session, count)
    if expected_position is not None and expected_position != position:
        raise PaperEntryRefused(
            lazy("第 %(n)s 张已经录入过了，这次没有重复录入。请看屏幕上的最新记录，再录入下一张。"),
            n=expected_position,
        )
    names = [c.name for c in ballot_candidates(session, round_)]
    write_ins = profile_for(round_.election).write_ins_allowed
    reading = _reading(round_, names, write_ins, marks, blank, invalid)
    entry = PaperCountEntry(
        count_id=count.id,
        position=position,
        marks=canonical_marks(reading.marks),
        invalid=reading.invalid,
    )
    session.add(entry)
    session.flush()
    _audit_entry(session, count, round_, "paper_count.entry", entry)
    return entry


def undo_last(
    session: Session, count: PaperCount, *, expected_position: int | None = None
) -> Reading | None:
    """Take back the last entry of an open count (a mis-tap); None when it is empty."""
    round_ = _require_open(session, count)
    _lock(session, count)
    entries = count_entries(session, count)
    if not entries:
        return None
    last = entries[-1]
    if expected_position is not None and expected_position != last.position:
        raise PaperEntryRefused(
            lazy("第 %(n)s 张已经撤销过了，这次没有再撤销。请看屏幕上的最新记录。"),
            n=expected_position,
        )
    reading = Reading.of(last)
    _audit_entry(session, count, round_, "paper_count.undo", last)
    session.delete(last)
    session.flush()
    return reading


def _audit_entry(
    session: Session, count: PaperCount, round_: Round, action: str, entry: PaperCountEntry
) -> None:
    teller = session.get(StaffUser, count.teller_id)
    assert teller is not None
    record(
        session,
        staff_actor(teller),
        action,
        "paper_count",
        count.id,
        {
            "position": entry.position,
            "marks": json.loads(entry.marks),
            "invalid": entry.invalid,
        },
        village_id=round_.election.village_id,
    )
