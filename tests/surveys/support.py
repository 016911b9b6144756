"""A village ready for a survey: adults with QR slips of one assembly, a minor, a cadre,
an organizer; helpers to create, open and answer surveys."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.actors import SYSTEM, Actor, actor_for
from app.permissions import Role
from app.registry.models import Person, Village
from app.settings import Settings
from slips.links import slip_token
from slips.models import Assembly
from slips.services import _make_slips, issue_slips
from surveys import services
from surveys.models import Audience, Survey, SurveyParticipation, SurveyResponse
from tests import factories
from tests.ballots import factories_elections as fe

OPENED = date(2026, 11, 1)


@dataclass
class Setting:
    village: Village
    organizer: StaffUser
    assembly: Assembly
    adults: list[Person]
    minor: Person
    cadre: Person
    tokens: dict[int, str] = field(default_factory=dict)  # person id -> slip token

    @property
    def actor(self) -> Actor:
        return actor_for(self.organizer)


def setting(db: Session, settings: Settings | None = None, *, adults: int = 3) -> Setting:
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    people = fe.adults(village, adults)
    people[0].name = "李桂英"
    cadre = fe.adults(village, 1)[0]
    cadre.is_cadre = True
    cadre.name = "王村长"
    minor = factories.PersonFactory(
        household=factories.HouseholdFactory(village_id=village.id), birth_year=2015
    )
    assembly = fe.assembly(db, village, title="年度村民大会")
    db.flush()
    s = Setting(village, organizer, assembly, people, minor, cadre)
    if settings is not None:
        everyone = [*people, cadre, minor]
        for slip in issue_slips(
            db, SYSTEM, assembly, [p.id for p in everyone if p is not minor], settings=settings
        ):
            s.tokens[slip.person_id] = slip_token(settings, slip)
        # Slips go to adults only; the minor's slip is made by hand to test the audience.
        (minor_slip,) = _make_slips(db, settings, assembly.id, [minor.id])
        s.tokens[minor.id] = slip_token(settings, minor_slip)
    return s


def new_survey(
    db: Session,
    s: Setting,
    template: str = "satisfaction",
    *,
    audience: Audience = Audience.ADULTS,
    group_id: int | None = None,
    meeting_id: int | None = None,
    year: int = 2026,
    title: str = "测试问卷",
) -> Survey:
    values = services.SurveyInput(
        title=title,
        year=year,
        audience=audience,
        group_id=group_id,
        meeting_id=meeting_id,
        assembly_id=s.assembly.id,
        template=template,
    )
    return services.create_survey(db, s.actor, s.village, values, s.organizer.id)


def open_survey(
    db: Session, s: Setting, template: str = "satisfaction", **kwargs: object
) -> Survey:
    survey = new_survey(db, s, template, **kwargs)  # type: ignore[arg-type]
    services.open_survey(db, s.actor, survey, OPENED)
    return survey


def counts(db: Session, survey: Survey) -> tuple[int, int]:
    """(participations, responses) of the survey."""
    part = db.scalar(
        select(func.count())
        .select_from(SurveyParticipation)
        .where(SurveyParticipation.survey_id == survey.id)
    )
    resp = db.scalar(
        select(func.count())
        .select_from(SurveyResponse)
        .where(SurveyResponse.survey_id == survey.id)
    )
    return int(part or 0), int(resp or 0)
