"""A village ready for a survey: adults with QR slips of one assembly, a minor, a cadre,
an organizer, and the township's administrator and auditor who hold the surveys'
sealed boxes; helpers to create, open (the box sealed), close and open the box."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.actors import SYSTEM, Actor, actor_for
from app.permissions import Role
from app.registry.models import Person, Village
from app.sealed_box.models import SealedBox, SealedChoice
from app.settings import Settings
from slips.links import slip_token
from slips.models import Assembly
from slips.services import _make_slips, issue_slips
from surveys import box, services
from surveys.models import Audience, Survey, SurveyParticipation, SurveyResponse
from tests import factories
from tests.ballots import factories_elections as fe
from tests.sealed_box_support import make_ready, password_of

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
    # The township administrator and the auditor: the key holders of the surveys' boxes.
    holders: list[StaffUser] = field(default_factory=list)

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
    holders = [
        factories.staff(Role.TOWNSHIP_ADMIN, village, display_name="乡镇管理员老周"),
        factories.staff(Role.AUDITOR, township=village.township, display_name="审计员小吴"),
    ]
    s = Setting(village, organizer, assembly, people, minor, cadre, holders=holders)
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


def ready_holders(db: Session, s: Setting, survey: Survey) -> None:
    """Name the setting's two key holders for the survey, each with their box password
    set (password_of(0), password_of(1)), as they would on the survey's page."""
    services.name_holders(db, s.actor, survey, [h.id for h in s.holders])
    box_id = services.box_status(db, survey).box_id
    assert box_id is not None
    make_ready(db, box_id, s.holders)


def open_survey(
    db: Session, s: Setting, template: str = "satisfaction", **kwargs: object
) -> Survey:
    """A new survey, its key holders ready, opened for answers (its box sealed)."""
    survey = new_survey(db, s, template, **kwargs)  # type: ignore[arg-type]
    ready_holders(db, s, survey)
    services.open_survey(db, s.actor, survey, OPENED)
    return survey


def open_box(db: Session, s: Setting, survey: Survey, holder: int = 0) -> int:
    """A key holder opens the closed survey's box with their password; the sheet count."""
    opener = s.holders[holder]
    return box.open_box(db, actor_for(opener), survey, opener.id, {opener.id: password_of(holder)})


def close_and_open(db: Session, s: Setting, survey: Survey) -> int:
    """Close the survey as the organizer does, then open its box as a key holder does."""
    services.close_survey(db, s.actor, survey, OPENED)
    return open_box(db, s, survey)


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


def sealed_sheets(db: Session, survey: Survey) -> int:
    """How many answer sheets are in the survey's sealed box (0 once it is opened)."""
    found = db.scalar(
        select(func.count())
        .select_from(SealedChoice)
        .join(SealedBox, SealedBox.id == SealedChoice.box_id)
        .where(SealedBox.poll_kind == box.KIND, SealedBox.poll_id == survey.id)
    )
    return int(found or 0)
