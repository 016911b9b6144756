"""Finding a voter on an election's roll by what a clerk types: 村民编号 or name."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from app.i18n import gettext_
from app.registry.models import Person
from ballots.models import RollEntry

SEARCH_LIMIT = 20


@dataclass(frozen=True)
class RollRow:
    entry: RollEntry
    person: Person


def _rows(session: Session, election_id: int, *conditions: ColumnElement[bool]) -> list[RollRow]:
    stmt = (
        select(RollEntry, Person)
        .join(Person, Person.id == RollEntry.person_id)
        .where(RollEntry.election_id == election_id, RollEntry.struck.is_(False), *conditions)
        .order_by(Person.roll_number)
    )
    return [RollRow(entry, person) for entry, person in session.execute(stmt)]


def search_roll(
    session: Session, election_id: int, query: str, limit: int = SEARCH_LIMIT
) -> list[RollRow]:
    """Live roll entries whose name contains `query` or whose 村民编号 is `query`."""
    query = query.strip()
    if not query:
        return []
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    found = _rows(
        session,
        election_id,
        or_(Person.roll_number == query, Person.name.like(f"%{escaped}%", escape="\\")),
    )
    return found[:limit]


def roll_row(session: Session, election_id: int, entry_id: int) -> RollRow | None:
    rows = _rows(session, election_id, RollEntry.id == entry_id)
    return rows[0] if rows else None


def pick_one(session: Session, election_id: int, text: str) -> tuple[RollRow | None, str]:
    """The one voter `text` names (编号 first, then exact name), or a message saying why not."""
    text = text.strip()
    if not text:
        return None, gettext_("请填写姓名或村民编号。")
    by_number = _rows(session, election_id, Person.roll_number == text)
    if by_number:
        return by_number[0], ""
    by_name = _rows(session, election_id, Person.name == text)
    if len(by_name) == 1:
        return by_name[0], ""
    if by_name:
        return None, gettext_(
            "选民名单上有 %(n)s 位叫“%(name)s”的，请改填村民编号。", n=len(by_name), name=text
        )
    return None, gettext_(
        "选民名单上没有“%(text)s”。请核对姓名或村民编号（见选民名单）。", text=text
    )
