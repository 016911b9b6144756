"""委托投票: a voter away on election day entrusts another voter in writing (Art 18).

Rules (profile parameters in brackets): the proxy is on the roll; nobody entrusts
themselves; a voter holds one live entrustment; a proxy accepts at most
`max_entrustments_per_proxy` (3); a candidate may not be a proxy
(`candidates_may_be_proxies`, off); someone who entrusted their own vote is away and
cannot act for others, and a proxy cannot entrust in turn. An entrustment can be
revoked until voting first opens; from then on it is part of the election's record, so
the published list stays as it was through the count and certification. The names of those who entrust and those
entrusted are published (public list). The proxy's QR slip opens the entrusted
ballots (ballots.setup.credentials.voter_ballots reads the live Entrustment rows) and
casts them with channel proxy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from app.actors import Actor
from app.audit.services import record
from app.db import utcnow
from app.i18n import LazyText, lazy
from app.registry.models import Person
from ballots.exceptions import EntrustmentRefused
from ballots.models import (
    Candidate,
    Credential,
    CredentialUse,
    Election,
    Entrustment,
    RollEntry,
    Round,
    RoundStatus,
    Stage,
)
from ballots.setup import profile_for

RELATION_MAX_LENGTH = 50
# Entrustments are recorded once the roll is published (who may entrust whom is
# settled) and until voting ends; after that they could change nothing.
OPEN_STAGES = frozenset(
    {
        Stage.ROLL_PUBLISHED,
        Stage.OBJECTIONS_CLOSED,
        Stage.NOMINATIONS,
        Stage.CANDIDATES_PUBLISHED,
        Stage.VOTING_OPEN,
    }
)


def _refuse(field: str, message: LazyText, **variables: object) -> EntrustmentRefused:
    error = EntrustmentRefused(message)
    error.variables = variables
    error.field = field
    return error


def _person(session: Session, entry: RollEntry) -> Person:
    person = session.get(Person, entry.person_id)
    assert person is not None
    return person


def _live(session: Session, election: Election) -> list[Entrustment]:
    return list(
        session.scalars(
            select(Entrustment).where(
                Entrustment.election_id == election.id, Entrustment.revoked_at.is_(None)
            )
        )
    )


def has_voted(session: Session, entry: RollEntry) -> bool:
    """Whether this voter's vote was cast in any round of the election (by anyone)."""
    used = session.scalar(
        select(func.count())
        .select_from(CredentialUse)
        .join(Credential, Credential.id == CredentialUse.credential_id)
        .where(Credential.roll_entry_id == entry.id)
    )
    return bool(used)


def is_candidate(session: Session, election: Election, person_id: int) -> bool:
    found = session.scalar(
        select(func.count())
        .select_from(Candidate)
        .join(Round, Round.id == Candidate.round_id)
        .where(
            Round.election_id == election.id,
            Candidate.person_id == person_id,
            Candidate.withdrawn.is_(False),
        )
    )
    return bool(found)


def _check_entries(election: Election, voter: RollEntry, proxy: RollEntry) -> None:
    for field, entry in (("voter", voter), ("proxy", proxy)):
        if entry.election_id != election.id or entry.struck:
            raise _refuse(field, lazy("这个人不在本次选举的选民名单上。"))
    if voter.id == proxy.id:
        raise _refuse("proxy", lazy("不能委托自己。请填写另一位选民作为受托人。"))


def _check_voter(session: Session, election: Election, voter: RollEntry) -> None:
    live = _live(session, election)
    name = _person(session, voter).name
    if any(e.voter_entry_id == voter.id for e in live):
        raise _refuse(
            "voter",
            lazy("%(name)s 已经委托过别人了。要改托他人，请先撤销原来的委托。"),
            name=name,
        )
    if any(e.proxy_entry_id == voter.id for e in live):
        raise _refuse(
            "voter",
            lazy("%(name)s 正在替别人投票，不能再委托他人。请先撤销别人对他的委托。"),
            name=name,
        )
    if has_voted(session, voter):
        raise _refuse("voter", lazy("%(name)s 已经投过票了，不能再委托。"), name=name)


def _check_proxy(session: Session, election: Election, proxy: RollEntry) -> None:
    profile = profile_for(election)
    person = _person(session, proxy)
    if not profile.candidates_may_be_proxies and is_candidate(session, election, person.id):
        raise _refuse(
            "proxy",
            lazy("%(name)s 是本次选举的候选人，候选人不能接受委托。请另找一位选民。"),
            name=person.name,
        )
    live = _live(session, election)
    if any(e.voter_entry_id == proxy.id for e in live):
        raise _refuse(
            "proxy",
            lazy("%(name)s 自己已经委托别人投票，不能再替别人投票。请另找一位选民。"),
            name=person.name,
        )
    accepted = sum(1 for e in live if e.proxy_entry_id == proxy.id)
    limit = profile.max_entrustments_per_proxy
    if accepted >= limit:
        raise _refuse(
            "proxy",
            lazy(
                "%(name)s 已经接受了 %(n)s 人的委托。每人最多接受 %(max)s 人的委托，请另找一位选民。"
            ),
            name=person.name,
            n=accepted,
            max=limit,
        )


def _lock(session: Session, *entries: RollEntry) -> None:
    """Serialize entrustments touching these voters (PostgreSQL; SQLite has one writer).

    Two clerks registering a fourth entrustment for one proxy at the same moment would
    otherwise both see three. Locked in id order, so two such requests never deadlock.
    """
    ids = sorted(entry.id for entry in entries)
    session.execute(
        select(RollEntry.id).where(RollEntry.id.in_(ids)).order_by(RollEntry.id).with_for_update()
    )


def add_entrustment(
    session: Session,
    actor: Actor,
    election: Election,
    voter_entry: RollEntry,
    proxy_entry: RollEntry,
    written_on: date,
    relation: str,
) -> Entrustment:
    """Record a written entrustment, or raise EntrustmentRefused saying what to change."""
    if election.stage is Stage.DRAFT:
        raise _refuse("__all__", lazy("选民名单公示以后，才能登记委托。"))
    if election.stage not in OPEN_STAGES:
        raise _refuse("__all__", lazy("投票已经结束，不能再登记委托。"))
    relation = relation.strip()
    if not relation or len(relation) > RELATION_MAX_LENGTH:
        raise _refuse(
            "relation", lazy("请填写两人的关系（最多 %(max)s 个字）。"), max=RELATION_MAX_LENGTH
        )
    if written_on > election.election_day:
        raise _refuse("written_on", lazy("委托书的日期不能晚于选举日。"))
    _check_entries(election, voter_entry, proxy_entry)
    _lock(session, voter_entry, proxy_entry)
    _check_voter(session, election, voter_entry)
    _check_proxy(session, election, proxy_entry)
    entrustment = Entrustment(
        election_id=election.id,
        voter_entry_id=voter_entry.id,
        proxy_entry_id=proxy_entry.id,
        written_on=written_on,
        relation=relation,
    )
    session.add(entrustment)
    session.flush()
    record(
        session,
        actor,
        "entrustment.add",
        "entrustment",
        entrustment.id,
        {
            "election_id": election.id,
            "voter": _person(session, voter_entry).name,
            "proxy": _person(session, proxy_entry).name,
            "written_on": written_on.isoformat(),
            "relation": relation,
        },
        village_id=election.village_id,
    )
    return entrustment


def voting_has_opened(session: Session, election: Election) -> bool:
    """Whether any round of the election has opened voting (a further round waiting to
    open still counts: the first one opened)."""
    opened = session.scalar(
        select(func.count())
        .select_from(Round)
        .where(Round.election_id == election.id, Round.status != RoundStatus.PENDING)
    )
    return bool(opened)


def can_revoke(session: Session, election: Election) -> bool:
    return not voting_has_opened(session, election)


def revoke_entrustment(
    session: Session, actor: Actor, entrustment: Entrustment, reason: str
) -> None:
    """Withdraw an entrustment, before voting opens."""
    if entrustment.revoked_at is not None:
        raise _refuse("__all__", lazy("这份委托已经撤销过了。"))
    voter = session.get(RollEntry, entrustment.voter_entry_id)
    assert voter is not None
    election = session.get(Election, entrustment.election_id)
    assert election is not None
    if not can_revoke(session, election):
        raise _refuse(
            "__all__",
            lazy("投票已经开始，委托已经记入选举档案并公布，不能再撤销：这一票由受托人代投。"),
        )
    reason = reason.strip()
    if not reason:
        raise _refuse("reason", lazy("请写明撤销委托的原因。"))
    entrustment.revoked_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "entrustment.revoke",
        "entrustment",
        entrustment.id,
        {"election_id": election.id, "voter": _person(session, voter).name, "reason": reason},
        village_id=election.village_id,
    )


@dataclass(frozen=True)
class EntrustmentRow:
    entrustment: Entrustment
    voter: Person
    proxy: Person
    voted: bool


def entrustment_rows(
    session: Session, election: Election, *, include_revoked: bool = False
) -> list[EntrustmentRow]:
    """The election's entrustments with both names, newest last."""
    voter_entry, proxy_entry = aliased(RollEntry), aliased(RollEntry)
    voter, proxy = aliased(Person), aliased(Person)
    stmt = (
        select(Entrustment, voter, proxy, voter_entry)
        .join(voter_entry, voter_entry.id == Entrustment.voter_entry_id)
        .join(voter, voter.id == voter_entry.person_id)
        .join(proxy_entry, proxy_entry.id == Entrustment.proxy_entry_id)
        .join(proxy, proxy.id == proxy_entry.person_id)
        .where(Entrustment.election_id == election.id)
        .order_by(proxy.roll_number, voter.roll_number, Entrustment.id)
    )
    if not include_revoked:
        stmt = stmt.where(Entrustment.revoked_at.is_(None))
    return [
        EntrustmentRow(e, v, p, has_voted(session, entry))
        for e, v, p, entry in session.execute(stmt)
    ]


def entrusted_to(session: Session, proxy_entry: RollEntry) -> list[Entrustment]:
    """The live entrustments a proxy holds: the ballots their slip also opens."""
    return list(
        session.scalars(
            select(Entrustment)
            .where(Entrustment.proxy_entry_id == proxy_entry.id, Entrustment.revoked_at.is_(None))
            .order_by(Entrustment.id)
        )
    )
