"""The public ballot tracker, the published export, and live turnout for organizers.

The tracker lists every receipt code of a counted round and, separately and in a fixed
shuffled order (the ballots' random ids), the contents of every ballot, so that a voter
can see their ballot was counted and anyone can recount, while no receipt proves what a
ballot said (DESIGN decision 1).

The export (ballots.counting.export) is what the tracker offers for download and checks
against the SHA-256 recorded with the announced result.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from app.ordering import counting_key
from app.registry.models import Group, GroupKind, GroupMembership
from ballots.counting.export import export_bytes, export_document
from ballots.models import Credential, CredentialUse, Receipt, RollEntry, Round
from ballots.results.services import announced_input, announced_outcome

# --- Tracker ----------------------------------------------------------------------------


def normalize_code(code: str) -> str:
    """Receipt codes match whatever the voter typed: case, spaces and dashes aside."""
    return re.sub(r"[^0-9A-Za-z]", "", code).upper()


@dataclass(frozen=True)
class Tracker:
    published: bool
    receipts: list[str]
    ballots: list[list[str]]
    export_sha256: str
    export_matches: bool
    found: bool | None  # the searched code is listed (None: nothing searched)


def tracker(session: Session, round_: Round, search: str = "") -> Tracker:
    """What the public tracker shows; nothing before the round's result is announced.

    Before then a list of receipts or ballots would leak a running tally or the moment
    each voter voted.
    """
    announced = announced_outcome(session, round_)
    if announced is None:
        return Tracker(False, [], [], "", False, None)
    receipts = list(
        session.scalars(
            select(Receipt.code).where(Receipt.round_id == round_.id).order_by(Receipt.code)
        )
    )
    data = announced_input(session, round_)
    current = hashlib.sha256(export_bytes(export_document(session, round_, data))).hexdigest()
    wanted = normalize_code(search)
    found = None if not wanted else any(normalize_code(code) == wanted for code in receipts)
    return Tracker(
        published=True,
        receipts=receipts,
        ballots=[list(ballot) for ballot in data.ballots],
        export_sha256=announced.sha256,
        export_matches=current == announced.sha256,
        found=found,
    )


def published_export(session: Session, round_: Round) -> bytes | None:
    """The export file, once the round's result is announced."""
    if announced_outcome(session, round_) is None:
        return None
    return export_bytes(export_document(session, round_, announced_input(session, round_)))


# --- Live turnout -----------------------------------------------------------------------


@dataclass(frozen=True)
class GroupTurnout:
    group: str | None  # None: on the roll but in no villagers' group
    registered: int
    voted: int


def turnout_by_group(session: Session, round_: Round) -> list[GroupTurnout]:
    """Registered voters and how many of them have voted, per villagers' group.

    Counts only: who voted is never shown, and how anyone voted is not even known here.
    """
    voted_entry = case((CredentialUse.id.is_not(None), RollEntry.id))
    rows = session.execute(
        select(
            Group.name,
            func.count(func.distinct(RollEntry.id)),
            func.count(func.distinct(voted_entry)),
        )
        .select_from(RollEntry)
        .outerjoin(
            GroupMembership,
            and_(
                GroupMembership.person_id == RollEntry.person_id,
                GroupMembership.kind == GroupKind.VILLAGERS,
            ),
        )
        .outerjoin(Group, Group.id == GroupMembership.group_id)
        .outerjoin(Credential, Credential.roll_entry_id == RollEntry.id)
        .outerjoin(
            CredentialUse,
            and_(CredentialUse.credential_id == Credential.id, CredentialUse.round_id == round_.id),
        )
        .where(RollEntry.election_id == round_.election_id, RollEntry.struck.is_(False))
        .group_by(Group.id, Group.name)
    )
    found = [GroupTurnout(name, int(registered), int(voted)) for name, registered, voted in rows]
    return sorted(found, key=lambda row: (row.group is None, counting_key(row.group or "")))
