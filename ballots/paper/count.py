"""The public count of paper ballots (唱票/计票): each teller's entries, tallies, comparison.

Each teller enters the stack one ballot at a time into their own PaperCount; two
tellers may enter the same stack independently, and `compare_counts` finds every
position where they read it differently. ballots.paper.services closes the count.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.actors import actor_for
from app.audit.services import record
from app.i18n import lazy
from app.permissions import Principal
from ballots.exceptions import CountClosed, NotYourCount, PaperEntryRefused
from ballots.models import PaperCount, PaperCountEntry, Round, RoundStatus, RoundTeller
from ballots.paper.reading import (
    Reading,
    ballot_candidates,
    canonical_marks,
    count_entries,
    require_status,
    round_counts,
)
from ballots.setup import profile_for

NAME_MAX_LENGTH = 50  # as Candidate.name


# A teller's own count -------------------------------------------------------------------


def _require_open(session: Session, count: PaperCount) -> Round:
    round_ = session.get(Round, count.round_id)
    assert round_ is not None
    if count.closed_at is not None:
        raise CountClosed(lazy("本轮的纸质选票已经结束计票，不能再修改。"))
    require_status(round_, RoundStatus.COUNTING)
    return round_


def _check_teller(session: Session, teller: Principal, round_: Round) -> None:
    named = set(
        session.scalars(select(RoundTeller.teller_id).where(RoundTeller.round_id == round_.id))
    )
    # Before tellers are named any teller of the village may count; after, only they.
    if named and teller.id not in named:
        raise NotYourCount(lazy("只有本轮指定的监计票人才能录入纸质选票。"))


def start_count(session: Session, teller: Principal, round_: Round, stack: str) -> PaperCount:
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
        actor_for(teller),
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


def _read(
    session: Session, round_: Round, marks: Sequence[str], blank: bool, invalid: bool
) -> Reading:
    names = [c.name for c in ballot_candidates(session, round_)]
    write_ins = profile_for(round_.election).write_ins_allowed
    return _reading(round_, names, write_ins, marks, blank, invalid)


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
    reading = _read(session, round_, marks, blank, invalid)
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


def correct_entry(
    session: Session,
    count: PaperCount,
    position: int,
    *,
    marks: Sequence[str] = (),
    blank: bool = False,
    invalid: bool = False,
) -> PaperCountEntry:
    """Re-enter one ballot of an open count after the tellers checked it together.

    A difference found at ballot 20 of 500 is mended at 20, not by undoing 480.
    """
    round_ = _require_open(session, count)
    _lock(session, count)
    entry = session.scalar(
        select(PaperCountEntry).where(
            PaperCountEntry.count_id == count.id, PaperCountEntry.position == position
        )
    )
    if entry is None:
        raise PaperEntryRefused(lazy("您还没有录入第 %(n)s 张，不能改正它。"), n=position)
    reading = _read(session, round_, marks, blank, invalid)
    before = Reading.of(entry)
    entry.marks = canonical_marks(reading.marks)
    entry.invalid = reading.invalid
    session.flush()
    _audit_entry(
        session,
        count,
        round_,
        "paper_count.correct",
        entry,
        was={"marks": list(before.marks), "invalid": before.invalid},
    )
    return entry


def _audit_entry(
    session: Session,
    count: PaperCount,
    round_: Round,
    action: str,
    entry: PaperCountEntry,
    **extra: object,
) -> None:
    teller = session.get(StaffUser, count.teller_id)
    assert teller is not None
    record(
        session,
        actor_for(teller),
        action,
        "paper_count",
        count.id,
        {
            "position": entry.position,
            "marks": json.loads(entry.marks),
            "invalid": entry.invalid,
            **extra,
        },
        village_id=round_.election.village_id,
    )
