"""What the drill flows (test_drill_election, test_drill_meeting) share: a short drill
day, waiting on the real clock, the 演练 banner, and what a drill must leave unchanged."""

from __future__ import annotations

import time
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.actors import actor_for
from app.api import services as api_services
from app.audit.models import AuditEntry
from app.audit.services import iter_entries, verify_chain
from app.drill import Drillable, china_today, clock_of
from app.permissions import Role
from app.registry.models import Village
from app.settings import Settings
from tests import factories
from tests.functional.test_election_assembly import Staff
from tests.html import soup

DAY_SECONDS = 1
NAMES = ["王芳", "陈刚", "林霞", "周伟", "吴娟", "郑磊"]


def with_short_days(settings: Settings) -> Settings:
    """One drill day lasts a second (the setting; the create forms leave it blank)."""
    return settings.with_overrides(drill_day_seconds=DAY_SECONDS)


def village_of_six() -> Village:
    village = factories.VillageFactory(name="青山村")
    for index, name in enumerate(NAMES):
        household = factories.HouseholdFactory(village_id=village.id)
        factories.PersonFactory(household=household, name=name, birth_year=1960 + index)
    return village


def wait_for_drill_day(db: Session, thing: Drillable, day: date) -> None:
    """Sleep, on the real clock, until the drill's day `day` has begun."""
    clock = clock_of(thing)
    assert clock is not None
    time.sleep(clock.seconds_until(day) + 0.05)


def banner(html: str) -> str:
    """The 演练 banner's words; fails when the page has none."""
    found = soup(html).select_one(".drill-banner")
    assert found is not None, "no 演练 banner"
    return found.get_text(" ", strip=True)


class Outside:
    """What a drill must not change: the assessment (page and API) and the home page."""

    def __init__(self, app, db: Session, client, village: Village) -> None:
        self.client, self.village = client, village
        self.auditor = Staff(app, factories.staff(Role.AUDITOR, village))
        admin = factories.staff(Role.TOWNSHIP_ADMIN, township=village.township)
        secret = api_services.create_token(db, actor_for(admin), admin, "drill", None).secret
        self.headers = {"Authorization": f"Bearer {secret}"}

    def api(self, path: str) -> tuple[int, dict]:
        response = self.client.get(f"/api/v1{path}", headers=self.headers)
        return response.status_code, response.json()

    def figures(self, organizer: Staff) -> dict[str, object]:
        year = china_today().year
        status, body = self.api(f"/villages/{self.village.id}/assessment?year={year}")
        assert status == 200
        page = soup(self.auditor.get(f"/villages/{self.village.id}/assessment", year=str(year)))
        home = soup(organizer.get("/"))
        for flash in home.select(".flash"):
            flash.decompose()
        return {
            "api": {k: body[k] for k in body if k not in ("generated_at", "audit_head")},
            "page": page.select_one("main").get_text(" ", strip=True).split("审计")[0],
            "home": home.select_one("main").get_text(" ", strip=True),
        }


def chain_intact(db: Session) -> bool:
    checked, problem = verify_chain(iter_entries(db))
    return problem is None and checked == db.scalar(select(func.count()).select_from(AuditEntry))
