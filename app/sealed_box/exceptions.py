"""What the sealed box refuses, each with a message in Chinese that says what to do."""

from __future__ import annotations

from app.errors import DomainError


class SealedBoxError(DomainError):
    """Base of the box's refusals."""


class BoxNotReady(SealedBoxError):
    """Too few key holders have set their box password for voting to open."""


class NotBoxHolder(SealedBoxError):
    """The signed-in user is not a key holder of this box."""


class BadBoxPassword(SealedBoxError):
    """A box password that is too short, or whose two entries differ."""


class WrongBoxPassword(SealedBoxError):
    """A box password that does not open its holder's share (`holder_id`)."""

    holder_id: int | None = None


class TooFewHolders(SealedBoxError):
    """Fewer than k holders gave their password: the box stays sealed."""


class BoxAlreadySealed(SealedBoxError):
    """Voting opened: the key holders and their passwords are fixed."""


class BoxNotSealed(SealedBoxError):
    """Nothing to open: voting never opened with this box, or it was opened already."""
