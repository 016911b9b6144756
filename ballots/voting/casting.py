"""Casting a ballot: single use of a credential, and the ballot sealed into the round's box.

Secrecy (DESIGN decision 1). The credential is marked used in the same transaction that
seals the ballot into the round's sealed box (app.sealed_box): the choice and the
receipt code are ciphertext under the round's public key, which nobody can read until
k of the round's tellers open the box at the count. Only then are the ballot and
receipt rows written, all at once, in a random order (ballots.results.opening), so
neither their storage order nor their transaction id says anything about when each was
cast. Casting writes no audit entry on purpose: an entry's timestamp next to the order
of credential uses would tell when each voter voted.

The steps (lock the round open, use the credential once) are app.secret_choice's,
shared with meetings and surveys.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app import secret_choice
from app.drill import today_of
from app.i18n import lazy
from app.registry.models import Person
from app.sealed_box import services as sealed_box
from ballots.exceptions import AlreadyVoted, InvalidMarks, LinkOtherElection, VotingNotOpen
from ballots.models import (
    Ballot,
    BallotSource,
    Candidate,
    Channel,
    Credential,
    CredentialUse,
    Election,
    Entrustment,
    Receipt,
    RollEntry,
    Round,
    RoundStatus,
)
from ballots.rules import write_in_problem
from ballots.setup.rules import resolve_profile
from slips.exceptions import LinkRevoked
from slips.services import SlipAccess

__all__ = [
    "AlreadyVoted",
    "VoterBallot",
    "ballot_names",
    "cast_online",
    "normalize_marks",
    "store_opened_ballots",
    "use_credential",
    "voter_ballots",
]

RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
ONLINE_CHANNELS = frozenset({Channel.ONLINE, Channel.MOBILE, Channel.PROXY})


# --- marks ---------------------------------------------------------------------------


def ballot_names(session: Session, round_: Round) -> list[str]:
    """The candidates printed on the round's ballot, in ballot order."""
    stmt = (
        select(Candidate.name)
        .where(Candidate.round_id == round_.id, Candidate.withdrawn.is_(False))
        .order_by(Candidate.position)
    )
    return list(session.scalars(stmt))


def _clean_name(raw: str, candidates: Sequence[str]) -> str:
    """A name as marked or written: a candidate's name as it stands; a written-in one must
    be what a person's name can be (ballots.rules.write_in_problem)."""
    name = " ".join(raw.split())
    if not name or name in candidates:
        return name
    problem = write_in_problem(name)
    if problem is not None:
        raise InvalidMarks(problem)
    return name


def normalize_marks(
    marks: Iterable[str], *, candidates: Sequence[str], seats: int, write_ins_allowed: bool
) -> list[str]:
    """The names on a ballot, cleaned and sorted; refuses what the server must not store.

    Blank entries are dropped and a name given twice counts once (a write-in that repeats
    a candidate is that candidate). An empty result is a valid blank ballot.
    """
    chosen: list[str] = []
    for raw in marks:
        name = _clean_name(raw, candidates)
        if not name or name in chosen:
            continue
        if name not in candidates and not write_ins_allowed:
            raise InvalidMarks(lazy("这次选举只能从候选人中选，不能另选他人。"))
        chosen.append(name)
    if len(chosen) > seats:
        raise InvalidMarks(
            lazy("最多只能选 %(seats)s 人，您选了 %(count)s 人。请去掉 %(extra)s 人再提交。"),
            seats=seats,
            count=len(chosen),
            extra=len(chosen) - seats,
        )
    return sorted(chosen)


def _canonical(names: Sequence[str]) -> str:
    return json.dumps(sorted(names), ensure_ascii=False, separators=(",", ":"))


def _receipt_code() -> str:
    chars = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(12))
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


# --- single use ----------------------------------------------------------------------


def _lock_open(session: Session, round_: Round) -> None:
    """Refuse unless the round is open, holding it open until this transaction ends
    (app.secret_choice.lock_open: closing the round waits for every vote in flight)."""
    secret_choice.lock_open(
        session,
        round_,
        Round.status,
        is_open=lambda row: row.status is RoundStatus.OPEN,
        refused=VotingNotOpen(
            lazy("这一轮投票还没有开始，或者已经结束了。如有疑问，请找工作人员。")
        ),
    )


def use_credential(
    session: Session, round_: Round, credential: Credential, channel: Channel, today: date
) -> CredentialUse:
    """Mark the credential used in the round; a second use raises AlreadyVoted.

    The unique constraint on (credential, round) is what refuses it, so two requests
    racing each other cannot both pass. Writes nothing else.
    """
    if credential.election_id != round_.election_id:
        raise LinkOtherElection(lazy("这张选票不是这次选举的，请回到您的二维码页面重新选择。"))
    if credential.revoked_at is not None:
        raise LinkRevoked(lazy("您在这次选举的投票资格已被撤销。如有疑问，请找工作人员。"))
    _lock_open(session, round_)
    already_voted = AlreadyVoted(
        lazy("您在这一轮已经投过票了（或已经领过纸质选票），每人只能投一次。这次提交没有保存。")
    )
    return secret_choice.use_once(
        session,
        CredentialUse(
            credential_id=credential.id, round_id=round_.id, channel=channel, used_on=today
        ),
        already_voted,
        prior_use=select(CredentialUse.id).where(
            CredentialUse.credential_id == credential.id, CredentialUse.round_id == round_.id
        ),
    )


def cast_online(
    session: Session,
    round_: Round,
    credential: Credential,
    marks: Iterable[str],
    channel: Channel,
    *,
    today: date | None = None,
) -> str:
    """Store one ballot through a link (voter, proxy or mobile box); returns the receipt code.

    All in the caller's transaction: the credential use, the ballot and the receipt are
    written together or not at all.
    """
    if channel not in ONLINE_CHANNELS:
        raise ValueError(f"paper ballots are entered at the count, not cast online: {channel}")
    election = session.get(Election, round_.election_id)
    assert election is not None
    profile = resolve_profile(election.profile_name, election.profile_overrides)
    chosen = normalize_marks(
        marks,
        candidates=ballot_names(session, round_),
        seats=round_.seats,
        write_ins_allowed=profile.write_ins_allowed,
    )
    day = today or today_of(election)
    use_credential(session, round_, credential, channel, day)
    code = _receipt_code()
    sealed_box.seal_choice(
        session,
        sealed_box.ELECTION_ROUND,
        round_.id,
        {"marks": chosen, "receipt": code, "day": day.isoformat()},
    )
    return code


def store_opened_ballots(
    session: Session, round_: Round, choices: Sequence[Mapping[str, Any]]
) -> None:
    """Write the ballots and receipts the opened box gave back, in the order given (random).

    Receipts are added in an order of their own, so neither table's order matches the
    other's.
    """
    session.add_all(
        Ballot(
            id=secret_choice.new_key(),
            round_id=round_.id,
            source=BallotSource.ONLINE,
            marks=_canonical(choice["marks"]),
            cast_on=date.fromisoformat(choice["day"]),
        )
        for choice in choices
    )
    codes = [str(choice["receipt"]) for choice in choices]
    secrets.SystemRandom().shuffle(codes)
    session.add_all(Receipt(code=code, round_id=round_.id) for code in codes)
    session.flush()


# --- what a slip opens ---------------------------------------------------------------


@dataclass(frozen=True)
class VoterBallot:
    """One ballot a slip holder may cast: their own, or an entrusting voter's (委托)."""

    election: Election
    entry: RollEntry  # whose vote it is
    voter: Person
    round: Round | None  # the open round; None while voting is not open
    proxy: bool
    voted: bool
    entrusted_to: Person | None = None  # own vote entrusted to a proxy

    @property
    def channel(self) -> Channel:
        return Channel.PROXY if self.proxy else Channel.ONLINE

    @property
    def can_vote(self) -> bool:
        return self.round is not None and not self.voted and self.entrusted_to is None


def _open_rounds(session: Session, election_ids: Sequence[int]) -> dict[int, Round]:
    stmt = (
        select(Round)
        .where(Round.election_id.in_(election_ids), Round.status == RoundStatus.OPEN)
        .order_by(Round.number)
    )
    return {r.election_id: r for r in session.scalars(stmt)}


def _voted(session: Session, entry_ids: Sequence[int], round_ids: Sequence[int]) -> set[int]:
    """Which of these roll entries used their credential in these rounds."""
    if not entry_ids or not round_ids:
        return set()
    stmt = (
        select(Credential.roll_entry_id)
        .join(CredentialUse, CredentialUse.credential_id == Credential.id)
        .where(Credential.roll_entry_id.in_(entry_ids), CredentialUse.round_id.in_(round_ids))
    )
    return set(session.scalars(stmt))


def _entrustments(
    session: Session, column: InstrumentedAttribute[int], entry_ids: Sequence[int]
) -> list[Entrustment]:
    stmt = select(Entrustment).where(column.in_(entry_ids), Entrustment.revoked_at.is_(None))
    return list(session.scalars(stmt))


def _entries_with_people(
    session: Session, entry_ids: Iterable[int]
) -> dict[int, tuple[RollEntry, Person]]:
    ids = list(entry_ids)
    if not ids:  # nobody entrusted: no query (most villagers, on every vote)
        return {}
    stmt = (
        select(RollEntry, Person)
        .join(Person, Person.id == RollEntry.person_id)
        .where(RollEntry.id.in_(ids))
    )
    return {entry.id: (entry, person) for entry, person in session.execute(stmt)}


def voter_ballots(session: Session, access: SlipAccess) -> list[VoterBallot]:
    """Every ballot the slip opens at its assembly, own first, then entrusted ones."""
    elections = {
        e.id: e
        for e in session.scalars(
            select(Election).where(Election.assembly_id == access.assembly.id).order_by(Election.id)
        )
    }
    own = list(
        session.scalars(
            select(RollEntry).where(
                RollEntry.election_id.in_(list(elections)),
                RollEntry.person_id == access.person.id,
                RollEntry.struck.is_(False),
            )
        )
    )
    own_ids = [e.id for e in own]
    entrusting = _entrustments(session, Entrustment.proxy_entry_id, own_ids)
    away = {
        t.voter_entry_id: t for t in _entrustments(session, Entrustment.voter_entry_id, own_ids)
    }
    people = _entries_with_people(
        session,
        [t.voter_entry_id for t in entrusting] + [t.proxy_entry_id for t in away.values()],
    )
    rounds = _open_rounds(session, list(elections))
    all_ids = own_ids + [t.voter_entry_id for t in entrusting]
    voted = _voted(session, all_ids, [r.id for r in rounds.values()])

    def item(entry: RollEntry, voter: Person, proxy: bool) -> VoterBallot:
        trust = away.get(entry.id)
        return VoterBallot(
            election=elections[entry.election_id],
            entry=entry,
            voter=voter,
            round=rounds.get(entry.election_id),
            proxy=proxy,
            voted=entry.id in voted,
            entrusted_to=people[trust.proxy_entry_id][1] if trust else None,
        )

    found = [item(entry, access.person, False) for entry in own]
    for trust in entrusting:
        entry, voter = people[trust.voter_entry_id]
        if not entry.struck and trust.election_id == entry.election_id:
            found.append(item(entry, voter, True))
    found.sort(key=lambda b: (b.proxy, b.election.id, b.voter.name))
    return found


def find_ballot(ballots: Sequence[VoterBallot], round_id: int, entry_id: int) -> VoterBallot:
    """The one ballot a link names, or LinkOtherElection when this slip does not open it."""
    for ballot in ballots:
        if ballot.entry.id != entry_id:
            continue
        if ballot.round is not None and ballot.round.id == round_id:
            return ballot
        # This slip's ballot, but a round that is not (or no longer) open.
        raise VotingNotOpen(lazy("这一轮投票已经结束，或者还没有开始。请回到您的二维码页面看看。"))
    raise LinkOtherElection(
        lazy("这张选票不在您这张二维码能投的范围里。请回到您的二维码页面，从列表里选择。")
    )
