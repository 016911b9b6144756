"""Printable QR slips: the rows of an A4 slip sheet (the QR codes are app.qr's)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.ordering import counting_key
from app.qr import qr_svg
from app.registry.models import Group, GroupKind, GroupMembership, Household, Person
from app.settings import Settings
from slips.links import slip_short_code, slip_token
from slips.models import Assembly, Slip


@dataclass(frozen=True)
class SheetRow:
    slip: Slip
    name: str
    group: str
    household: str
    roll_number: str
    birth_year: int
    namesake: bool  # someone of the same name in the household also has a slip
    code: str
    url: str
    qr: Markup


def live_slips(
    session: Session, assembly: Assembly, group_id: int | None = None
) -> list[tuple[Slip, Person, str, str]]:
    """Live slips with holder, villagers' group name and household number, in print order:
    by group, then household, then the person's number on the roll."""
    membership = aliased(GroupMembership)
    stmt = (
        select(Slip, Person, Group.name, Household.number)
        .join(Person, Person.id == Slip.person_id)
        .join(Household, Household.id == Person.household_id)
        .outerjoin(
            membership,
            (membership.person_id == Person.id) & (membership.kind == GroupKind.VILLAGERS),
        )
        .outerjoin(Group, Group.id == membership.group_id)
        .where(Slip.assembly_id == assembly.id, Slip.revoked_at.is_(None))
    )
    if group_id is not None:
        stmt = stmt.where(Group.id == group_id)
    rows = [
        (slip, person, group or "", number) for slip, person, group, number in session.execute(stmt)
    ]
    # People outside any villagers' group come last; names sort by code point, which is
    # stable and good enough for a print order.
    rows.sort(key=lambda r: (r[2] == "", counting_key(r[2]), r[3], r[1].roll_number))
    return rows


def sheet_rows(
    session: Session,
    settings: Settings,
    assembly: Assembly,
    link_for: Callable[[str], str],
    group_id: int | None = None,
) -> list[SheetRow]:
    """Everything printed on the slips: name, group, household, roll number (and birth year
    beside a namesake of the same household), QR of the link, short code."""
    found = []
    rows = live_slips(session, assembly, group_id)
    names = Counter((person.household_id, person.name) for _slip, person, _g, _h in rows)
    for slip, person, group, household in rows:
        url = link_for(slip_token(settings, slip))
        found.append(
            SheetRow(
                slip=slip,
                name=person.name,
                group=group,
                household=household,
                roll_number=person.roll_number,
                birth_year=person.birth_year,
                namesake=names[(person.household_id, person.name)] > 1,
                code=slip_short_code(settings, slip),
                url=url,
                qr=qr_svg(url),
            )
        )
    return found


def slip_groups(session: Session, assembly: Assembly) -> list[tuple[int, str]]:
    """The villagers' groups of the assembly's village, to print one group at a time."""
    stmt = select(Group.id, Group.name).where(
        Group.village_id == assembly.village_id, Group.kind == GroupKind.VILLAGERS
    )
    rows = [(gid, name) for gid, name in session.execute(stmt)]
    return sorted(rows, key=lambda row: counting_key(row[1]))
