"""What a slip opens, asked of the domains that know: they register, slips imports none.

A slip is the villager's key to everything at an assembly, so the slip home page lists
what each domain offers this villager (ballots to cast, meetings to check in to, motions,
compact rounds, surveys), and the organizer's assembly page shows what each domain does
at that assembly (the elections voted there). Each domain appends a provider to the
registry from its own views module; a provider returns a `PageSection` (its template
partial and the values the partial reads) or None when it has nothing to show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.web import Ctx
from slips.models import Assembly
from slips.services import SlipAccess


@dataclass(frozen=True)
class PageSection:
    """One domain's part of a page: a template partial, rendered with the page's values
    (`token`, `access`, `assembly`, ...) and its own `values`, at `place` (lowest first)."""

    template: str
    place: int
    values: Mapping[str, Any] = field(default_factory=dict)
    # Whether it offers the villager something to do here (a ballot, a check-in, a
    # motion, a round, a survey); a page where none does says there is nothing.
    offers: bool = True


SlipSectionProvider = Callable[[Session, SlipAccess], PageSection | None]
AssemblySectionProvider = Callable[[Ctx, Assembly], PageSection | None]

# The villager's slip home page: what this slip opens.
SLIP_PAGE_SECTIONS: list[SlipSectionProvider] = []
# The organizer's assembly page: what each domain does at this assembly.
ASSEMBLY_PAGE_SECTIONS: list[AssemblySectionProvider] = []


def in_place(found: Iterable[PageSection | None], reserved: Iterable[str]) -> dict[str, Any]:
    """The sections in their places, as `sections`, all their values, and whether none
    offers anything to do (`nothing_to_do`), for the page.

    A value name may belong to one section only, and never to the page itself.
    """
    sections = sorted((s for s in found if s is not None), key=lambda s: s.place)
    values: dict[str, Any] = {}
    taken = set(reserved) | {"sections", "nothing_to_do"}
    for section in sections:
        clash = taken & set(section.values)
        if clash:
            raise ValueError(f"{section.template}: {', '.join(sorted(clash))} is taken")
        taken |= set(section.values)
        values.update(section.values)
    return {
        "sections": [s.template for s in sections],
        "nothing_to_do": not any(s.offers for s in sections),
        **values,
    }


def slip_sections(session: Session, access: SlipAccess, reserved: Iterable[str]) -> dict[str, Any]:
    return in_place((provide(session, access) for provide in SLIP_PAGE_SECTIONS), reserved)


def assembly_sections(ctx: Ctx, assembly: Assembly, reserved: Iterable[str]) -> dict[str, Any]:
    return in_place((provide(ctx, assembly) for provide in ASSEMBLY_PAGE_SECTIONS), reserved)
