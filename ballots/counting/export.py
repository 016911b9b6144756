"""The election export: exactly the input of `cunyi recount` plus a `metadata` object
that the recount ignores. Its SHA-256 is recorded with the announced result, so a
downloaded export can be checked against the announcement and recounted."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from ballots.counting.count import RoundInput
from ballots.models import Round
from ballots.setup.stages import profile_for

EXPORT_FORMAT = "cunyi-election-export/1"


def export_document(session: Session, round_: Round, data: RoundInput) -> dict[str, Any]:
    """The recount input for this round (`data`, as ballots.results.services.round_input reads
    it), with metadata. Only stable facts: no status."""
    election = round_.election
    document: dict[str, Any] = {
        "kind": "election",
        "rules": data.profile.name,
        "round": data.round,
        "seats": data.seats,
        "candidates": list(data.candidates),
    }
    if data.profile.quorum_members is None or data.channels is not None:
        document["registered"] = data.registered
    if data.profile.quorum_members is not None:
        document["members"] = data.members
        document["present"] = data.present
        if data.households is not None and data.households_present is not None:
            document["households"] = data.households
            document["households_present"] = data.households_present
    document["issued"] = data.issued
    if data.channels is not None:
        # Who took part by channel; `cunyi recount` checks they add up to `issued`.
        document["channels"] = dict(data.channels)
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
    if election.is_drill:
        # A drill's export (app.drill) says so: its figures are a rehearsal's.
        document["metadata"]["drill"] = True
    return document


def export_bytes(document: dict[str, Any]) -> bytes:
    """The exact bytes served for download, whose SHA-256 is published."""
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1)
    return (text + "\n").encode("utf-8")


def export_filename(round_: Round) -> str:
    prefix = "drill-" if round_.election.is_drill else ""
    return f"{prefix}election-{round_.election_id}-round-{round_.number}.json"
