"""Carrying a demo year's plan out through each package's services, as the staff and
villagers would through the pages (see app.demo.planning for the plan)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.accounts.services import create_user
from app.actors import SYSTEM
from app.demo.ballots import run_election
from app.demo.meetings import run_meetings_and_compact
from app.demo.plan import YEAR_TELLERS, YearPlan
from app.demo.surveys import run_surveys
from app.permissions import Role
from app.registry.models import Village
from app.settings import Settings


def run_year(
    session: Session, settings: Settings, village: Village, year: int, plan: YearPlan
) -> None:
    """Carry the plan out through the services, in the caller's transaction."""
    if plan.village_id != village.id or plan.year != year:
        raise ValueError("the plan is for another village or year")
    staff = _staff(session, village, plan)
    run_election(session, settings, village, plan, staff)
    run_meetings_and_compact(session, settings, village, plan, staff)
    run_surveys(session, settings, village, plan, staff)


def _staff(session: Session, village: Village, plan: YearPlan) -> dict[str, StaffUser]:
    """The demo's accounts by username, with the second teller a count needs."""
    users = {
        u.username: u
        for u in session.scalars(
            select(StaffUser).where(
                StaffUser.township_id == village.township_id,
                StaffUser.username.in_(
                    ["admin", "auditor", "organizer", "leader", "teller", "recorder", *YEAR_TELLERS]
                ),
            )
        )
    }
    for username, display_name in zip(YEAR_TELLERS, ("钱计票", "孙监票"), strict=True):
        if username not in users:
            users[username] = create_user(
                session,
                SYSTEM,
                username=username,
                display_name=display_name,
                password=plan.passwords[username],
                role=Role.TELLER,
                township_id=village.township_id,
                village_id=village.id,
            )
    return users
