"""Sealed boxes for tests: key holders with known box passwords, sealing and opening.

A holder's key is derived from their password by argon2id (about 0.1 s); the salt and
public key of each test password are derived once per test process and reused, which
is exactly what `set_box_password` would store for that password and salt.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.db import utcnow
from app.permissions import Role
from app.registry.models import Village
from app.sealed_box import services as sealed_box
from app.sealed_box.models import BoxHolder
from tests import factories

BOX_PASSWORDS = ("开箱-甲-passw0rd", "开箱-乙-passw0rd", "开箱-丙-passw0rd", "开箱-丁-passw0rd")


@functools.cache
def _derived(password: str) -> tuple[bytes, bytes]:
    salt = secrets.token_bytes(16)
    key = sealed_box._holder_key(password, salt, sealed_box.KDF_OPSLIMIT, sealed_box.KDF_MEMLIMIT)
    return salt, bytes(key.public_key)


def password_of(index: int) -> str:
    return BOX_PASSWORDS[index % len(BOX_PASSWORDS)]


def make_ready(db: Session, box_id: int, holders: Sequence[StaffUser]) -> None:
    """Give each holder (in order) a box password from BOX_PASSWORDS, as if they set it."""
    rows = {
        row.holder_id: row
        for row in db.scalars(select(BoxHolder).where(BoxHolder.box_id == box_id))
    }
    for index, holder in enumerate(holders):
        row = rows.get(holder.id)
        if row is None:
            row = BoxHolder(box_id=box_id, holder_id=holder.id)
            db.add(row)
        row.salt, row.public_key = _derived(password_of(index))
        row.opslimit, row.memlimit = sealed_box.KDF_OPSLIMIT, sealed_box.KDF_MEMLIMIT
        row.ready_at = utcnow()
    db.flush()


def holders_for(
    db: Session, kind: str, poll_id: int, village: Village | None, role: Role, count: int = 3
) -> list[StaffUser]:
    """`count` new staff users of `role` named as the box's holders, passwords set."""
    holders = [factories.staff(role, village) for _ in range(count)]
    box = sealed_box.name_holders(db, kind, poll_id, [h.id for h in holders])
    make_ready(db, box.id, holders)
    return holders


def seal_new_box(
    db: Session,
    kind: str,
    poll_id: int,
    village: Village | None,
    role: Role = Role.TELLER,
    count: int = 3,
) -> list[StaffUser]:
    """A box for the vote with `count` ready holders, sealed as opening voting does."""
    holders = holders_for(db, kind, poll_id, village, role, count)
    sealed_box.seal(db, kind, poll_id)
    return holders


def open_with(
    db: Session, kind: str, poll_id: int, holders: Sequence[StaffUser], count: int = 2
) -> sealed_box.OpenedBox:
    """Open the box with the passwords of the first `count` holders."""
    passwords = {h.id: password_of(i) for i, h in enumerate(holders[:count])}
    return sealed_box.open_box(db, kind, poll_id, passwords)


def box_holders(db: Session, kind: str, poll_id: int) -> list[StaffUser]:
    """The box's holders in the order make_ready gave them passwords (by holder row id)."""
    box = sealed_box.find_box(db, kind, poll_id)
    assert box is not None
    return list(
        db.scalars(
            select(StaffUser)
            .join(BoxHolder, BoxHolder.holder_id == StaffUser.id)
            .where(BoxHolder.box_id == box.id)
            .order_by(BoxHolder.id)
        )
    )


def open_existing(db: Session, kind: str, poll_id: int) -> sealed_box.OpenedBox:
    """Open a box sealed by seal_new_box (its holders are found again)."""
    return open_with(db, kind, poll_id, box_holders(db, kind, poll_id))
