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

from sqlalchemy import ColumnElement, Exists, Integer, Select, and_, bindparam, or_, select
from sqlalchemy.orm import QueryableAttribute, Session, aliased

from app import secret_choice
from app.drill import today_of
from app.i18n import lazy
from app.registry.models import Person
from app.sealed_box import services as sealed_box
from app.sealed_box.models import SealedBox
from app.web import MAX_ID
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
from ballots.setup import credentials
from ballots.setup.photos import BallotFace, ballot_faces
from ballots.setup.rules import resolve_profile
from slips.exceptions import LinkRevoked
from slips.services import SlipAccess

__all__ = [
    "AlreadyVoted",
    "VoterBallot",
    "ballot_candidates",
    "ballot_faces_of",
    "ballot_names",
    "cast_ballot",
    "cast_online",
    "normalize_marks",
    "store_opened_ballots",
    "use_credential",
    "voter_ballot",
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


def _already_voted() -> AlreadyVoted:
    return AlreadyVoted(
        lazy(
            "您在这一轮已经投过票了（或已经领过纸质选票），第一次投的票已经收好。"
            "每人只能投一次，不用再投。"
        )
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
    return secret_choice.use_once(
        session,
        CredentialUse(
            credential_id=credential.id, round_id=round_.id, channel=channel, used_on=today
        ),
        _already_voted(),
        prior_use=select(CredentialUse.id).where(
            CredentialUse.credential_id == credential.id, CredentialUse.round_id == round_.id
        ),
    )


def _marks_for(
    election: Election, round_: Round, candidates: Sequence[str], marks: Iterable[str]
) -> list[str]:
    """The ballot's names as stored, under the election's rules (normalize_marks)."""
    profile = resolve_profile(election.profile_name, election.profile_overrides)
    return normalize_marks(
        marks,
        candidates=candidates,
        seats=round_.seats,
        write_ins_allowed=profile.write_ins_allowed,
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
    chosen = _marks_for(election, round_, ballot_names(session, round_), marks)
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


def cast_ballot(
    session: Session, ballot: VoterBallot, marks: Iterable[str], *, today: date | None = None
) -> str:
    """Cast the ballot a slip opened (the voter's own, or as proxy); returns the receipt code.

    A ballot read by `voter_ballot(..., lock=True)` carries the round's lock, the live
    credential and the open box, so the cast is two INSERTs: the credential's single use
    (ON CONFLICT DO NOTHING on its unique constraint, which decides a race) and the
    sealed choice. Otherwise it goes the long way, `cast_online`, which reads them.
    """
    round_ = ballot.round
    if round_ is None:
        raise VotingNotOpen(lazy("这一轮投票已经结束，或者还没有开始。请回到您的二维码页面看看。"))
    if ballot.credential_id is None or ballot.box is None:
        credential = credentials.credential_for(session, ballot.election, ballot.entry)
        return cast_online(session, round_, credential, marks, ballot.channel, today=today)
    election = ballot.election
    chosen = _marks_for(election, round_, ballot_candidates(session, ballot), marks)
    day = today or today_of(election)
    secret_choice.insert_once(
        session,
        CredentialUse,
        {
            "credential_id": ballot.credential_id,
            "round_id": round_.id,
            "channel": ballot.channel,
            "used_on": day,
        },
        ("credential_id", "round_id"),
        _already_voted(),
    )
    code = _receipt_code()
    box_id, box_key = ballot.box
    sealed_box.seal_into(
        session, box_id, box_key, {"marks": chosen, "receipt": code, "day": day.isoformat()}
    )
    return code


# {(round id, box public key): the ballot's candidates with their numbers and photos}.
# A round's list and its photos cannot change once voting opened through its box
# (ballots.setup.candidates and ballots.setup.photos refuse it), and every box has a key
# of its own, so an entry never names another round's list, even where SQLite reuses a
# rolled-back id. Bounded: a process sees a few open rounds at a time.
_SEALED_FACES: dict[tuple[int, bytes], tuple[BallotFace, ...]] = {}
_SEALED_FACES_KEPT = 512


def ballot_faces_of(session: Session, ballot: VoterBallot) -> list[BallotFace]:
    """`ballot_faces` of the ballot's round; read once per process for a round whose box
    is sealed (every voter's page and vote asks for the same list)."""
    round_ = ballot.round
    assert round_ is not None
    if ballot.box is None:
        return ballot_faces(session, round_)
    key = (round_.id, ballot.box[1])
    faces = _SEALED_FACES.get(key)
    if faces is None:
        faces = tuple(ballot_faces(session, round_))
        if len(_SEALED_FACES) >= _SEALED_FACES_KEPT:
            _SEALED_FACES.clear()
        _SEALED_FACES[key] = faces
    return list(faces)


def ballot_candidates(session: Session, ballot: VoterBallot) -> list[str]:
    """The names on the ballot's round, in ballot order (cached as `ballot_faces_of`)."""
    return [face.name for face in ballot_faces_of(session, ballot)]


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
    # Read with the ballot by `voter_ballot` (else None, and casting reads them itself):
    # the voter's live credential and the round's open box (id, public key).
    credential_id: int | None = None
    box: tuple[int, bytes] | None = None

    @property
    def channel(self) -> Channel:
        return Channel.PROXY if self.proxy else Channel.ONLINE

    @property
    def can_vote(self) -> bool:
        return self.round is not None and not self.voted and self.entrusted_to is None


def _cast_in(entry_id: QueryableAttribute[int], in_rounds: ColumnElement[bool]) -> Exists:
    """EXISTS: the roll entry's credential was used in a round `in_rounds` names."""
    return (
        select(CredentialUse.id)
        .join(Credential, Credential.id == CredentialUse.credential_id)
        .where(Credential.roll_entry_id == entry_id, in_rounds)
        .exists()
    )


# The slip holder's own roll entries at the assembly, each with its election, the
# election's open round (none, or one row per open round), whether it was cast there, and
# whether any live entrustment names it (as proxy or as voter): most villagers have none,
# and then the entrustments are not read at all.
_OWN_BALLOTS = (
    select(
        RollEntry,
        Election,
        Round,
        _cast_in(RollEntry.id, CredentialUse.round_id == Round.id),
        select(Entrustment.id)
        .where(
            or_(
                Entrustment.proxy_entry_id == RollEntry.id,
                Entrustment.voter_entry_id == RollEntry.id,
            ),
            Entrustment.revoked_at.is_(None),
        )
        .exists(),
    )
    .join(
        Election,
        and_(Election.id == RollEntry.election_id, Election.assembly_id == bindparam("assembly")),
    )
    .outerjoin(Round, and_(Round.election_id == Election.id, Round.status == RoundStatus.OPEN))
    .where(RollEntry.person_id == bindparam("me", type_=Integer), RollEntry.struck.is_(False))
    .order_by(Election.id, Round.number)
)

_VOTER_ENTRY = aliased(RollEntry)
_PROXY_ENTRY = aliased(RollEntry)
# Votes entrusted to the holder's entries (`own`), each with the entrusting voter's entry
# and person and whether it was cast in one of the open rounds (`rounds`).
_ENTRUSTED_TO_ME = (
    select(
        Entrustment,
        _VOTER_ENTRY,
        Person,
        _cast_in(_VOTER_ENTRY.id, CredentialUse.round_id.in_(bindparam("rounds", expanding=True))),
    )
    .join(_VOTER_ENTRY, _VOTER_ENTRY.id == Entrustment.voter_entry_id)
    .join(Person, Person.id == _VOTER_ENTRY.person_id)
    .where(
        Entrustment.proxy_entry_id.in_(bindparam("own", expanding=True)),
        Entrustment.revoked_at.is_(None),
    )
    .order_by(Entrustment.id)
)
# The holder's own votes entrusted away, with the proxy's person.
_ENTRUSTED_AWAY = (
    select(Entrustment.voter_entry_id, Person)
    .join(_PROXY_ENTRY, _PROXY_ENTRY.id == Entrustment.proxy_entry_id)
    .join(Person, Person.id == _PROXY_ENTRY.person_id)
    .where(
        Entrustment.voter_entry_id.in_(bindparam("own", expanding=True)),
        Entrustment.revoked_at.is_(None),
    )
    .order_by(Entrustment.id)
)


def voter_ballots(session: Session, access: SlipAccess) -> list[VoterBallot]:
    """Every ballot the slip opens at its assembly, own first, then entrusted ones.

    One statement for most villagers, three at most: the holder's own entries (with
    election, open round, whether cast and whether any entrustment names them), and only
    then the votes entrusted to them and those they entrusted away.
    """
    own: dict[int, tuple[RollEntry, Election, Round | None, bool]] = {}
    entrusted = False
    for entry, election, round_, used, named in session.execute(
        _OWN_BALLOTS, {"assembly": access.assembly.id, "me": access.person.id}
    ):
        entrusted = entrusted or bool(named)
        # Ordered by round number: the last open round is the one that counts.
        if round_ is not None or entry.id not in own:
            own[entry.id] = (entry, election, round_, bool(used))
    if not own:  # most villagers at most assemblies hold no ballot: one statement
        return []
    own_ids = list(own)
    elections = {election.id: election for _e, election, _r, _u in own.values()}
    rounds = {r.election_id: r for _e, _el, r, _u in own.values() if r is not None}
    round_ids = [r.id for r in rounds.values()]
    entrusting: Sequence[Any] = []
    away: dict[int, Person] = {}
    if entrusted:
        entrusting = session.execute(_ENTRUSTED_TO_ME, {"own": own_ids, "rounds": round_ids}).all()
        away = {v: proxy for v, proxy in session.execute(_ENTRUSTED_AWAY, {"own": own_ids})}
    found = [
        VoterBallot(
            election=election,
            entry=entry,
            voter=access.person,
            round=round_,
            proxy=False,
            voted=used if round_ is not None else False,
            entrusted_to=away.get(entry.id),
        )
        for entry, election, round_, used in own.values()
    ]
    for trust, entry, voter, used in entrusting:
        if entry.struck or trust.election_id != entry.election_id:
            continue
        if entry.election_id not in elections:
            continue
        found.append(
            VoterBallot(
                election=elections[entry.election_id],
                entry=entry,
                voter=voter,
                round=rounds.get(entry.election_id),
                proxy=True,
                voted=bool(used),
            )
        )
    found.sort(key=lambda b: (b.proxy, b.election.id, b.voter.name))
    return found


def voter_ballot(
    session: Session, access: SlipAccess, round_id: int, entry_id: int, *, lock: bool = False
) -> VoterBallot:
    """The one ballot a link names: what `find_ballot(voter_ballots(...))` gives, read in
    one statement when it is an open round's ballot this slip opens (the vote path).

    With `lock`, that statement also holds the round open until the transaction ends
    (FOR SHARE on PostgreSQL; SQLite's write transaction already excludes the close),
    as app.secret_choice.lock_open does. Anything else (a closed round, another
    election, a ballot entrusted away) goes through the full reading, which says why.
    """
    if not (0 <= round_id <= MAX_ID and 0 <= entry_id <= MAX_ID):
        return find_ballot([], round_id, entry_id)  # no row has it: not this slip's ballot
    found = _named_ballot(session, access, round_id, entry_id, lock)
    if found is not None:
        return found
    return find_ballot(voter_ballots(session, access), round_id, entry_id)


def _named_ballot_statement(lock: bool) -> Select[Any]:
    """The statement of `_named_ballot`, built once (it is on every vote's path): the
    roll entry with its election, voter and open round, whether this slip's holder may
    cast it (their own, or entrusted to them), whether it was cast, the live credential
    and the round's open box. Parameters: me, assembly_id, round_id, entry_id."""
    proxy_entry = aliased(RollEntry)
    me = bindparam("me", type_=Integer)
    entrusted_to_me = (
        select(Entrustment.id)
        .join(proxy_entry, proxy_entry.id == Entrustment.proxy_entry_id)
        .where(
            Entrustment.voter_entry_id == RollEntry.id,
            Entrustment.election_id == RollEntry.election_id,
            Entrustment.revoked_at.is_(None),
            proxy_entry.person_id == me,
            proxy_entry.election_id == RollEntry.election_id,
            proxy_entry.struck.is_(False),
        )
        .exists()
    )
    entrusted_away = (
        select(Entrustment.id)
        .where(Entrustment.voter_entry_id == RollEntry.id, Entrustment.revoked_at.is_(None))
        .exists()
    )
    credential = (
        select(Credential.id)
        .where(
            Credential.election_id == RollEntry.election_id,
            Credential.roll_entry_id == RollEntry.id,
            Credential.revoked_at.is_(None),
        )
        .scalar_subquery()
    )
    stmt = (
        select(
            RollEntry,
            Election,
            Person,
            Round,
            RollEntry.person_id == me,
            entrusted_to_me,
            entrusted_away,
            _cast_in(RollEntry.id, CredentialUse.round_id == Round.id),
            credential,
            SealedBox.id,
            SealedBox.public_key,
        )
        .join(
            Election,
            and_(
                Election.id == RollEntry.election_id,
                Election.assembly_id == bindparam("assembly_id"),
            ),
        )
        .join(Person, Person.id == RollEntry.person_id)
        .join(
            Round,
            and_(
                Round.id == bindparam("round_id"),
                Round.election_id == RollEntry.election_id,
                Round.status == RoundStatus.OPEN,
            ),
        )
        .outerjoin(SealedBox, sealed_box.open_box_clause(sealed_box.ELECTION_ROUND, Round.id))
        .where(RollEntry.id == bindparam("entry_id"), RollEntry.struck.is_(False))
    )
    return stmt.with_for_update(read=True, of=Round) if lock else stmt


_NAMED_BALLOT = {lock: _named_ballot_statement(lock) for lock in (False, True)}


def _named_ballot(
    session: Session, access: SlipAccess, round_id: int, entry_id: int, lock: bool
) -> VoterBallot | None:
    params = {
        "me": access.person.id,
        "assembly_id": access.assembly.id,
        "round_id": round_id,
        "entry_id": entry_id,
    }
    row = session.execute(_NAMED_BALLOT[lock], params).first()
    if row is None:
        return None
    entry, election, voter, round_, own, to_me, away, used, credential_id, box_id, box_key = row
    if (own and away) or not (own or to_me):
        return None  # entrusted away (the full reading names to whom), or not this slip's
    return VoterBallot(
        election=election,
        entry=entry,
        voter=voter,
        round=round_,
        proxy=not own,
        voted=bool(used),
        credential_id=credential_id,
        box=(box_id, box_key) if box_id is not None and box_key is not None else None,
    )


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
