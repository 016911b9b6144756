"""The public ballot tracker, the election export, and live turnout for organizers.

The tracker lists every receipt code of a counted round and, separately and in a fixed
shuffled order (the ballots' random ids), the contents of every ballot, so that a voter
can see their ballot was counted and anyone can recount, while no receipt proves what a
ballot said (DESIGN decision 1).

The export is exactly the input of `cunyi recount` plus a `metadata` object that the
recount ignores. Its SHA-256 was recorded with the announced result, so a downloaded
export can be checked against the announcement and recounted.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from app.registry.models import Group, GroupKind, GroupMembership
from ballots.counting import RoundInput
from ballots.models import Credential, CredentialUse, Receipt, RollEntry, Round
from ballots.results import announced_outcome, round_input
from ballots.setup import profile_for

EXPORT_FORMAT = "cunyi-election-export/1"


# --- Export ------------------------------------------------------------------------------


def export_document(
    session: Session, round_: Round, data: RoundInput | None = None
) -> dict[str, Any]:
    """The recount input for this round, with metadata. Only stable facts: no status."""
    data = data or round_input(session, round_)
    election = round_.election
    document: dict[str, Any] = {
        "kind": "election",
        "rules": data.profile.name,
        "round": data.round,
        "seats": data.seats,
        "candidates": list(data.candidates),
    }
    if data.profile.quorum_members is None:
        document["registered"] = data.registered
    else:
        document["members"] = data.members
        document["present"] = data.present
        if data.households is not None and data.households_present is not None:
            document["households"] = data.households
            document["households_present"] = data.households_present
    document["issued"] = data.issued
    # Parameters the organizers changed from the profile's defaults: recount applies them too.
    overrides = json.loads(election.profile_overrides or "{}")
    if overrides:
        document["overrides"] = overrides
    document["ballots"] = [list(ballot) for ballot in data.ballots]
    document["metadata"] = {
        "format": EXPORT_FORMAT,
        "election_id": election.id,
        "title": election.title,
        "election_day": election.election_day.isoformat(),
        "round_number": round_.number,
        "round_kind": round_.kind.value,
        "profile_overrides": json.loads(election.profile_overrides or "{}"),
        "parameters": profile_for(election).parameters(),
    }
    return document


def export_bytes(document: dict[str, Any]) -> bytes:
    """The exact bytes served for download, whose SHA-256 is published."""
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1)
    return (text + "\n").encode("utf-8")


def export_filename(round_: Round) -> str:
    return f"election-{round_.election_id}-round-{round_.number}.json"


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
    data = round_input(session, round_)
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
    return export_bytes(export_document(session, round_))


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
    return sorted(found, key=lambda row: (row.group is None, row.group or ""))
