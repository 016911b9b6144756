"""The mobile ballot box (流动票箱): a teller brings the ballot to homebound voters.

The organizer marks who is homebound (RollEntry.homebound). During voting, a teller's
page lists them; the teller opens a ballot for one of them on the teller's own
device, hands it over, and the villager votes privately. The ballot is cast through
ballots.voting.casting.cast_online with channel mobile, in the same transaction as the use
of the voter's credential, and nothing links the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.actors import Actor
from app.audit.services import record
from app.i18n import lazy
from app.registry.models import Person
from ballots.exceptions import NotHomebound, NotOnRoll, StageError
from ballots.models import Channel, Election, Entrustment, RollEntry, Round, RoundStatus, Stage
from ballots.paper.help import add_help, check_helper
from ballots.paper.reading import require_status
from ballots.paper.services import refuse_if_entrusted, voted_channels
from ballots.setup.credentials import credential_for
from ballots.voting.casting import cast_online

# The organizer prepares the list until voting ends.
MARKING_CLOSED = frozenset({Stage.COUNTING, Stage.ANNOUNCED, Stage.CERTIFIED})


def set_homebound(session: Session, actor: Actor, roll_entry: RollEntry, homebound: bool) -> None:
    """Put a voter on (or take them off) the mobile ballot box's list."""
    election = session.get(Election, roll_entry.election_id)
    assert election is not None
    if election.stage in MARKING_CLOSED:
        raise StageError(lazy("投票已经结束，不能再修改流动票箱名单。"))
    if roll_entry.struck:
        raise NotOnRoll(lazy("这个人不在本次选举的选民名单上。"))
    if roll_entry.homebound == homebound:
        return
    roll_entry.homebound = homebound
    session.flush()
    person = session.get(Person, roll_entry.person_id)
    assert person is not None
    record(
        session,
        actor,
        "mobile_box.mark" if homebound else "mobile_box.unmark",
        "roll_entry",
        roll_entry.id,
        {"election_id": election.id, "name": person.name},
        village_id=election.village_id,
    )


def can_mark(election: Election) -> bool:
    """Whether the organizer may still change the homebound list."""
    return election.stage not in MARKING_CLOSED


def entrusted_proxies(session: Session, election: Election) -> dict[int, str]:
    """Roll entry → the name of the proxy it entrusted, for every live entrustment.

    The mobile box never opens a ballot for these voters: their proxy votes for them.
    """
    proxy_entry, proxy = aliased(RollEntry), aliased(Person)
    rows = session.execute(
        select(Entrustment.voter_entry_id, proxy.name)
        .join(proxy_entry, proxy_entry.id == Entrustment.proxy_entry_id)
        .join(proxy, proxy.id == proxy_entry.person_id)
        .where(Entrustment.election_id == election.id, Entrustment.revoked_at.is_(None))
    )
    return {entry_id: name for entry_id, name in rows}


@dataclass(frozen=True)
class MobileVoter:
    entry: RollEntry
    person: Person
    voted: Channel | None  # that (and how) the voter voted in the round, never for whom
    entrusted_to: str | None  # the proxy who votes for them: no ballot at the mobile box


def homebound_rows(session: Session, election: Election) -> list[tuple[RollEntry, Person]]:
    stmt = (
        select(RollEntry, Person)
        .join(Person, Person.id == RollEntry.person_id)
        .where(
            RollEntry.election_id == election.id,
            RollEntry.homebound.is_(True),
            RollEntry.struck.is_(False),
        )
        .order_by(Person.roll_number)
    )
    return [(entry, person) for entry, person in session.execute(stmt)]


def homebound_voters(session: Session, round_: Round) -> list[MobileVoter]:
    """The round's mobile-box list, each with whether the voter has voted yet."""
    rows = homebound_rows(session, round_.election)
    voted = voted_channels(session, round_, [entry.id for entry, _ in rows])
    entrusted = entrusted_proxies(session, round_.election)
    return [
        MobileVoter(entry, person, voted.get(entry.id), entrusted.get(entry.id))
        for entry, person in rows
    ]


def mobile_voter(session: Session, round_: Round, roll_entry: RollEntry) -> None:
    """Refuse unless the round is open, this voter is on its mobile-box list and has not
    entrusted a proxy: refused before any ballot is shown."""
    require_status(round_, RoundStatus.OPEN)
    if roll_entry.election_id != round_.election_id or roll_entry.struck:
        raise NotOnRoll(lazy("这个人不在本次选举的选民名单上。"))
    if not roll_entry.homebound:
        raise NotHomebound(
            lazy("这位选民不在流动票箱名单上。请组织者先把他加入名单，或请他到会场投票。")
        )
    refuse_if_entrusted(session, roll_entry)


def cast_at_mobile_box(
    session: Session,
    round_: Round,
    roll_entry: RollEntry,
    marks: Sequence[str],
    *,
    helper: Person | None = None,
) -> str:
    """Cast a homebound voter's ballot (channel mobile); returns the receipt code.

    `helper`: whom the voter asked to write the ballot (代写), chosen with the teller
    before the phone was handed over; recorded with the ballot, so a voter who hands the
    phone back without voting leaves no record of help. Checked again here (HelpRefused,
    nothing stored).

    A voter who has already voted any other way gets AlreadyVoted and nothing is stored.
    """
    mobile_voter(session, round_, roll_entry)
    if helper is not None:
        check_helper(session, round_, roll_entry, helper)
    credential = credential_for(session, round_.election, roll_entry)
    # No audit entry, on purpose (as for casting online): its timestamp beside the
    # order of credential uses would tell when this voter voted; nor for the help, for
    # the same reason (its row holds the day only).
    receipt = cast_online(session, round_, credential, list(marks), Channel.MOBILE)
    if helper is not None:
        add_help(session, round_, roll_entry, helper, Channel.MOBILE)
    return receipt
