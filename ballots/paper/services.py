"""Paper ballots: issuing them, the public count (唱票/计票), reconciliation.

How paper ballots reach the one counting function (ballots.counting.count_round):
- Issuing a paper ballot consumes the voter's credential (CredentialUse, channel
  paper) through ballots.voting.casting.use_credential; nothing says which paper it was.
- At the public count each teller enters the stack one ballot at a time into their
  own PaperCount; two tellers may enter the same stack independently. Closing the
  count refuses while their entries differ, then writes one Ballot (source paper)
  per agreed entry, in shuffled order, with no time finer than the day.
- A blank ballot is stored as `[]`: valid, no votes.
- An invalid ballot (废票) is stored as `invalid_marks(seats)`: seats + 1 distinct
  placeholder names, which count_round (and `cunyi recount`) reads as an over-marked
  ballot, i.e. cast and invalid, giving no votes. A placeholder is never a vote even
  when write-ins are allowed, because the ballot as a whole is over-marked.
- Reconciliation: paper ballots returned (counted) against issued. More returned than
  issued makes count_round void the round ("more_returned_than_issued"), since its
  `issued` is every credential use of the round and online ballots match their uses.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.actors import Actor
from app.audit.services import record
from app.db import utcnow
from app.drill import today_of
from app.i18n import gettext_, join_list, lazy
from app.registry.models import Person
from ballots.exceptions import CountClosed, CountsDiffer, EntrustedAway, NotOnRoll, StageError
from ballots.models import (
    Ballot,
    BallotSource,
    Channel,
    Credential,
    CredentialUse,
    Entrustment,
    PaperCount,
    PaperCountEntry,
    RollEntry,
    Round,
    RoundStatus,
)
from ballots.paper.help import add_help, check_helper
from ballots.paper.reading import (
    Difference,
    Reading,
    by_stack,
    canonical_marks,
    compare_counts,
    count_entries,
    disagreements,
    require_status,
    round_counts,
)
from ballots.setup.credentials import credential_for
from ballots.voting.casting import use_credential

# Shown in the refusal when tellers' entries differ; the comparison page lists them all.
DIFFERENCES_IN_MESSAGE = 10


# Issuing --------------------------------------------------------------------------------


def issue_paper_ballot(
    session: Session,
    actor: Actor,
    round_: Round,
    roll_entry: RollEntry,
    *,
    today: date | None = None,
    helper: Person | None = None,
) -> CredentialUse:
    """Hand a voter a paper ballot: their credential is used now (channel paper).

    `actor` (the teller) is deliberately not recorded anywhere: see below.

    `helper`: the voter asked this person to write the ballot (代写, ballots.paper.help);
    recorded with the issue. A helper the rules refuse raises HelpRefused before anything
    is written: the ballot is not issued either, and the teller may choose another.

    A second issue, or an issue to someone who already voted any other way, raises
    AlreadyVoted (from casting.use_credential) and writes nothing.
    """
    require_status(round_, RoundStatus.OPEN)
    if roll_entry.election_id != round_.election_id or roll_entry.struck:
        raise NotOnRoll(lazy("这个人不在本次选举的选民名单上，不能发选票。"))
    refuse_if_entrusted(session, roll_entry)
    if helper is not None:
        check_helper(session, round_, roll_entry, helper)
    credential = credential_for(session, round_.election, roll_entry)
    day = today or today_of(round_.election)
    # No audit entry, on purpose (as for casting online): an entry's timestamp beside
    # the order of credential uses would tell when each voter voted. The CredentialUse
    # row, which the database refuses to change or delete, is the record. The same
    # holds for the help: its row, with the day only, is its record.
    use = use_credential(session, round_, credential, Channel.PAPER, day)
    if helper is not None:
        add_help(session, round_, roll_entry, helper, Channel.PAPER, today=day)
    return use


def refuse_if_entrusted(session: Session, roll_entry: RollEntry) -> None:
    """A voter who entrusted a proxy does not vote in person until it is revoked."""
    proxy = session.scalar(
        select(Person.name)
        .join(RollEntry, RollEntry.person_id == Person.id)
        .join(Entrustment, Entrustment.proxy_entry_id == RollEntry.id)
        .where(Entrustment.voter_entry_id == roll_entry.id, Entrustment.revoked_at.is_(None))
    )
    if proxy is not None:
        raise EntrustedAway(
            lazy(
                "这位选民已委托 %(proxy)s 代为投票，这一票由 %(proxy)s 代投（投票开始后委托不能撤销）。"
            ),
            proxy=proxy,
        )


def paper_issued(session: Session, round_: Round) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(CredentialUse)
            .where(CredentialUse.round_id == round_.id, CredentialUse.channel == Channel.PAPER)
        )
        or 0
    )


def voted_channels(session: Session, round_: Round, entry_ids: Sequence[int]) -> dict[int, Channel]:
    """How each of these roll entries voted in the round (only that it did, never how)."""
    if not entry_ids:
        return {}
    rows = session.execute(
        select(Credential.roll_entry_id, CredentialUse.channel)
        .join(CredentialUse, CredentialUse.credential_id == Credential.id)
        .where(CredentialUse.round_id == round_.id, Credential.roll_entry_id.in_(entry_ids))
    )
    return {entry_id: channel for entry_id, channel in rows}


# Reconciliation -------------------------------------------------------------------------


def paper_counting_done(session: Session, round_: Round) -> bool:
    """Whether results may be counted: paper closed, or there was no paper at all."""
    counts = round_counts(session, round_)
    if counts:
        return all(count.closed_at is not None for count in counts)
    return paper_issued(session, round_) == 0


def _entries_per_count(session: Session, counts: Sequence[PaperCount]) -> dict[int, int]:
    if not counts:
        return {}
    rows = session.execute(
        select(PaperCountEntry.count_id, func.count())
        .where(PaperCountEntry.count_id.in_([c.id for c in counts]))
        .group_by(PaperCountEntry.count_id)
    )
    return {count_id: int(n) for count_id, n in rows}


@dataclass(frozen=True)
class Reconciliation:
    issued: int
    returned: int
    closed: bool

    @property
    def excess(self) -> int:
        """Returned beyond issued: any at all makes the round void."""
        return max(0, self.returned - self.issued)

    @property
    def missing(self) -> int:
        """Issued but not returned (taken away, or kept spoiled): allowed."""
        return max(0, self.issued - self.returned)


def reconcile(session: Session, round_: Round) -> Reconciliation:
    """Paper ballots issued against returned (entered so far, or stored once closed)."""
    issued = paper_issued(session, round_)
    counts = round_counts(session, round_)
    closed = any(count.closed_at is not None for count in counts)
    if closed:
        returned = int(
            session.scalar(
                select(func.count())
                .select_from(Ballot)
                .where(Ballot.round_id == round_.id, Ballot.source == BallotSource.PAPER)
            )
            or 0
        )
    else:
        # While open, a stack holds as many ballots as its furthest teller has entered.
        entered = _entries_per_count(session, counts)
        returned = sum(
            max(entered.get(c.id, 0) for c in group) for group in by_stack(counts).values()
        )
    return Reconciliation(issued=issued, returned=returned, closed=closed)


# Closing the count ----------------------------------------------------------------------


def describe_places(differences: Sequence[Difference], limit: int = DIFFERENCES_IN_MESSAGE) -> str:
    shown = [
        gettext_("“%(stack)s”第 %(n)s 张", stack=d.stack, n=d.position) for d in differences[:limit]
    ]
    return join_list(shown) + ("……" if len(differences) > limit else "")


def close_paper_counting(
    session: Session, actor: Actor, round_: Round, *, today: date | None = None
) -> int:
    """Store the agreed paper ballots of the round as Ballot rows; return how many.

    Refused while any stack's tellers disagree, or one is still behind another.
    """
    require_status(round_, RoundStatus.COUNTING)
    counts = round_counts(session, round_)
    if any(count.closed_at is not None for count in counts):
        raise CountClosed(lazy("本轮的纸质选票已经结束计票，不能再结束一次。"))
    if not counts:
        if paper_issued(session, round_):
            raise StageError(
                lazy(
                    "发出了纸质选票，但还没有人录入。请先开始计票；如果一张也没有收回，开始计票后直接结束即可。"
                )
            )
        return 0
    differences = compare_counts(counts)
    differing = disagreements(differences)
    if differing:
        raise CountsDiffer(
            lazy(
                "这些选票各位计票人录入得不一样：%(places)s。请一起核对这几张选票，改正后再结束计票。"
            ),
            places=describe_places(differing),
        )
    if differences:
        raise CountsDiffer(
            lazy("第%(stacks)s叠还有计票人没有录完。请每位计票人都录完，再结束计票。"),
            stacks=join_list(dict.fromkeys(f"“{d.stack}”" for d in differences)),
        )
    readings = [
        Reading.of(entry)
        for group in by_stack(counts).values()
        for entry in count_entries(session, group[0])
    ]
    # The stack's order says nothing about voters, but shuffling costs nothing.
    secrets.SystemRandom().shuffle(readings)
    day = today or today_of(round_.election)
    session.add_all(
        Ballot(
            id=secrets.token_hex(16),
            round_id=round_.id,
            source=BallotSource.PAPER,
            marks=canonical_marks(reading.stored_marks(round_.seats)),
            cast_on=day,
        )
        for reading in readings
    )
    now = utcnow()
    for count in counts:
        count.closed_at = now
    record(
        session,
        actor,
        "paper_count.close",
        "election_round",
        round_.id,
        {
            "ballots": len(readings),
            "blank": sum(1 for r in readings if r.blank),
            "invalid": sum(1 for r in readings if r.invalid),
            "issued": paper_issued(session, round_),
            "stacks": len(by_stack(counts)),
        },
        village_id=round_.election.village_id,
    )
    return len(readings)
