"""Printable QR slips: the QR image and the rows of an A4 slip sheet.

QR codes are drawn by segno as inline SVG paths (no image files, nothing to fetch).
segno was measured faster than `qrcode` and its SVG is a quarter of the size. Choosing
the best of the eight QR masks is most of the cost, so the sheet uses one fixed mask:
the link ends in a random token, and random data looks alike under every mask, so the
evaluation buys little there; a single reprinted slip still gets the best mask.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import segno
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.registry.models import Group, GroupKind, GroupMembership, Household, Person
from app.settings import Settings
from slips.links import slip_short_code, slip_token
from slips.models import Assembly, Slip

# Millimetres per QR module: about 3 cm across for a link of this length.
MODULE_MM = 0.75
SHEET_MASK = 4
BORDER = 2  # quiet zone, in modules; scanners want some white around the code
_DARK_RUN = re.compile(rb"[^\x00]+")


def _path(matrix: Sequence[bytearray]) -> str:
    """SVG path data drawing each run of dark modules as one stroke of width 1.

    Relative moves keep it short; a row's strokes run along its middle (y + .5).
    """
    out: list[str] = []
    pen_x, pen_y = 0, -1
    for y, row in enumerate(matrix, start=BORDER):
        # Runs of dark (non-zero) modules found by the regex engine: a quarter of the
        # sheet's time went to walking the modules one by one in Python.
        for run in _DARK_RUN.finditer(row):
            x, length = BORDER + run.start(), run.end() - run.start()
            if pen_y < 0:
                out.append(f"M{x} {y}.5h{length}")
            else:
                out.append(f"m{x - pen_x} {y - pen_y}h{length}")
            pen_x, pen_y = x + length, y
    return "".join(out)


def qr_svg(data: str, *, best_mask: bool = False) -> Markup:
    """The QR code of `data` as an inline SVG about 3 cm across."""
    code = segno.make_qr(data, error="m", mask=None if best_mask else SHEET_MASK)
    size = code.symbol_size(scale=1, border=BORDER)[0]
    width = f"{size * MODULE_MM:g}mm"
    # Drawn here rather than by segno's SVG writer: the same picture in a third of the time.
    return Markup(  # noqa: S704 (numbers and path commands only: nothing from `data`)
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{width}" '
        f'viewBox="0 0 {size} {size}" class="qr"><path stroke="#000" '
        f'd="{_path(code.matrix)}"/></svg>'
    )


@dataclass(frozen=True)
class SheetRow:
    slip: Slip
    name: str
    group: str
    household: str
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
    rows.sort(key=lambda r: (r[2] == "", r[2], r[3], r[1].roll_number))
    return rows


def sheet_rows(
    session: Session,
    settings: Settings,
    assembly: Assembly,
    link_for: Callable[[str], str],
    group_id: int | None = None,
) -> list[SheetRow]:
    """Everything printed on the slips: name, group, QR of the link, short code."""
    found = []
    for slip, person, group, household in live_slips(session, assembly, group_id):
        url = link_for(slip_token(settings, slip))
        found.append(
            SheetRow(
                slip=slip,
                name=person.name,
                group=group,
                household=household,
                code=slip_short_code(settings, slip),
                url=url,
                qr=qr_svg(url),
            )
        )
    return found


def slip_groups(session: Session, assembly: Assembly) -> list[tuple[int, str]]:
    """The villagers' groups of the assembly's village, to print one group at a time."""
    stmt = (
        select(Group.id, Group.name)
        .where(Group.village_id == assembly.village_id, Group.kind == GroupKind.VILLAGERS)
        .order_by(Group.name)
    )
    return [(gid, name) for gid, name in session.execute(stmt)]
