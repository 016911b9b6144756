"""The demo's sealed boxes: holders named, each sets a box password, opened at the count.

In the demo a holder's box password is their sign-in password (from the plan), so
whoever tries the demo can open a box with the accounts in data/demo-signins.txt; a real
holder chooses a separate box password on the vote's page.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.demo.plan import YearPlan
from app.sealed_box import services as sealed_box


def set_passwords(
    session: Session, plan: YearPlan, kind: str, poll_id: int, holders: Sequence[StaffUser]
) -> None:
    """Each named holder sets their box password, as on the vote's page."""
    for holder in holders:
        password = plan.passwords[holder.username]
        sealed_box.set_box_password(session, kind, poll_id, holder.id, password, password)


def openers(plan: YearPlan, holders: Sequence[StaffUser], k: int = 2) -> dict[int, str]:
    """The box passwords of the first k holders, typed at the count."""
    return {h.id: plan.passwords[h.username] for h in holders[:k]}
