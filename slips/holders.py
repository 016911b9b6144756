"""Who gets a slip for an assembly, asked of the domains that know (slips imports none).

A slip is for someone with something to do at the assembly: a ballot in an election voted
there, a place on a meeting's list, a survey's audience, a deliberation round's groups.
Each domain appends a provider from its own views module; a provider returns the person
ids it serves at the assembly, or None when it has nothing there. Slips go to the union;
an assembly nothing points at yet gives every adult villager a slip, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy.orm import Session

from slips.models import Assembly

SlipHolderProvider = Callable[[Session, Assembly], Iterable[int] | None]

SLIP_HOLDERS: list[SlipHolderProvider] = []


def assembly_audience(session: Session, assembly: Assembly) -> set[int] | None:
    """Everyone some domain serves at this assembly; None when no domain has anything there."""
    found = [provide(session, assembly) for provide in SLIP_HOLDERS]
    served = [set(ids) for ids in found if ids is not None]
    return set().union(*served) if served else None
