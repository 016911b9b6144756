"""Voters' credentials: a voter's single-use right in one election.

A credential is exercised through the villager's slip (slips) or by a teller issuing a
paper ballot, never by its secret, so only the hash of a random value is stored: enough
to make each row unique and meaningless.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.i18n import lazy
from ballots.exceptions import NotOnRoll
from ballots.models import Credential, Election, RollEntry
from slips.links import sha256


def _new_credential(election_id: int, entry_id: int) -> Credential:
    return Credential(
        election_id=election_id,
        roll_entry_id=entry_id,
        secret_hash=sha256(secrets.token_urlsafe(32)),
        revoked_reason="",
    )


def ensure_credentials(session: Session, election: Election) -> int:
    """One live credential per roll entry that is not struck; returns how many were made."""
    has_live = select(Credential.roll_entry_id).where(
        Credential.election_id == election.id, Credential.revoked_at.is_(None)
    )
    entries = session.scalars(
        select(RollEntry.id).where(
            RollEntry.election_id == election.id,
            RollEntry.struck.is_(False),
            RollEntry.id.not_in(has_live),
        )
    ).all()
    session.add_all([_new_credential(election.id, entry_id) for entry_id in entries])
    session.flush()
    return len(entries)


def _live_credential(session: Session, election_id: int, entry_id: int) -> Credential | None:
    return session.scalar(
        select(Credential).where(
            Credential.election_id == election_id,
            Credential.roll_entry_id == entry_id,
            Credential.revoked_at.is_(None),
        )
    )


def credential_for(session: Session, election: Election, roll_entry: RollEntry) -> Credential:
    """The voter's live credential, made on first need if voting opened without one."""
    if roll_entry.election_id != election.id or roll_entry.struck:
        raise NotOnRoll(lazy("这位选民不在这次选举的选民名单上。"))
    found = _live_credential(session, election.id, roll_entry.id)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            credential = _new_credential(election.id, roll_entry.id)
            session.add(credential)
        return credential
    except IntegrityError:
        # Another request made it a moment ago: the unique index kept there being one.
        found = _live_credential(session, election.id, roll_entry.id)
        if found is None:
            raise
        return found
