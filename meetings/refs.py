"""What an agenda item's compact version reference (AgendaItem.compact_version_ref, e.g.
"compact_version:3") means in words, asked of the package that knows: compacts registers
a resolver here, meetings imports no compacts. People never see the reference itself:
agenda, item page, the villager's ballot and the minutes show "《title》第 3 版".

A reference nothing resolves (a version named in free text by the organizer) is shown
as typed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from meetings.models import AgendaItem, Motion


@dataclass(frozen=True)
class VersionName:
    """A reference in words, and the public page where anyone reads that version's text
    (a route name and its path parameters for url_for)."""

    words: str
    route: str = ""
    params: dict[str, Any] = field(default_factory=dict)


VersionResolver = Callable[[Session, str], VersionName | None]

# compacts.adoption registers one; the first that knows the reference answers.
VERSION_NAMES: list[VersionResolver] = []


def version_name(session: Session, ref: str) -> VersionName | None:
    ref = ref.strip()
    if not ref:
        return None
    for resolve in VERSION_NAMES:
        found = resolve(session, ref)
        if found is not None:
            return found
    return None


def version_words(session: Session, ref: str) -> str:
    """The reference in words; as typed when nothing resolves it."""
    found = version_name(session, ref)
    return found.words if found is not None else ref.strip()


def item_words(session: Session, refs: Iterable[str]) -> dict[str, str]:
    """Each non-empty reference in words, for a page listing several items."""
    return {ref: version_words(session, ref) for ref in {r.strip() for r in refs} if ref}


def shown_text(text: str, ref: str, name: VersionName | None) -> str:
    """A motion's text as people read it: a reference it carries in brackets is dropped
    (the text already names the version in words), any other mention put in words."""
    ref = ref.strip()
    if name is None or not ref:
        return text
    return text.replace(f"（{ref}）", "").replace(ref, name.words)


def motion_words(session: Session, motion: Motion) -> str:
    """A motion's text in words wherever staff or the projector show it: an adoption motion
    made before versions were named in words still carries "（compact_version:N）"."""
    item = session.get(AgendaItem, motion.item_id)
    ref = item.compact_version_ref if item is not None else ""
    return shown_text(motion.text, ref, version_name(session, ref))
