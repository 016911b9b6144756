"""The annual assessment: township settings, a village's standards, the township overview.

Services take a session and never commit. A settings change writes one audit entry per
standard with the old and new values. The counting itself lives in
assessment.survey_figures (surveys), assessment.participation (participation figures)
and assessment.ranking (rankings and trends, plain functions).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.actors import Actor
from app.audit.services import record
from app.db import utcnow
from app.drill import not_drill
from app.i18n import gettext_, lazy
from app.registry.models import Township, Village
from app.templating import CHINA_TIME
from assessment import ranking, survey_figures
from assessment.exceptions import VillageNotFound
from assessment.forms import SettingInput
from assessment.models import StandardSetting
from assessment.participation import Evidence, ParticipationFigure, participation
from assessment.results import Setting, StandardResult, VillageAssessment
from assessment.standards import BY_CODE, DEFAULTS, STANDARDS, passes
from assessment.survey_figures import SurveyFigure
from ballots.models import Election
from compacts.models import Compact, DeliberationRound
from meetings.models import Meeting
from surveys.models import Survey

# The surveys package's result page: the evidence behind a survey standard.
SURVEY_RESULTS_ROUTE = "surveys:results"


# --- settings --------------------------------------------------------------------------


def township_settings(session: Session, township_id: int) -> dict[str, Setting]:
    """Every standard's setting, defaults for those the township never changed."""
    rows = {
        row.code: row
        for row in session.scalars(
            select(StandardSetting).where(StandardSetting.township_id == township_id)
        )
    }
    result: dict[str, Setting] = {}
    for standard in STANDARDS:
        row = rows.get(standard.code)
        if row is None:
            result[standard.code] = Setting(standard.code, True, DEFAULTS[standard.code], False)
        else:
            result[standard.code] = Setting(standard.code, row.applies, row.threshold_percent, True)
    return result


def change_settings(
    session: Session,
    actor: Actor,
    user: StaffUser,
    township_id: int,
    wanted: Mapping[str, SettingInput],
) -> list[str]:
    """Store the township's settings; return the codes that changed (audited each)."""
    current = township_settings(session, township_id)
    rows = {
        row.code: row
        for row in session.scalars(
            select(StandardSetting).where(StandardSetting.township_id == township_id)
        )
    }
    changed: list[str] = []
    for code, new in wanted.items():
        if code not in BY_CODE:
            continue
        old = current[code]
        if (old.applies, old.threshold_percent) == (new.applies, new.threshold_percent):
            continue
        row = rows.get(code)
        if row is None:
            row = StandardSetting(township_id=township_id, code=code)
            session.add(row)
        row.applies = new.applies
        row.threshold_percent = new.threshold_percent
        row.updated_by_id = user.id
        row.updated_at = utcnow()
        session.flush()
        record(
            session,
            actor,
            "assessment.setting",
            "assessment_standard",
            row.id,
            {
                "code": code,
                "applies": [old.applies, new.applies],
                "threshold_percent": [old.threshold_percent, new.threshold_percent],
            },
            township_id=township_id,
        )
        changed.append(code)
    return changed


# --- one village -----------------------------------------------------------------------


def _result(
    code: str,
    setting: Setting,
    numerator: int,
    denominator: int,
    sample: int,
    evidence: list[Evidence],
    respondents: int | None = None,
    definition: str | None = None,
) -> StandardResult:
    standard = BY_CODE[code]
    value = Fraction(numerator, denominator) if denominator else None
    passed = passes(value, setting.threshold_percent) if setting.applies else None
    return StandardResult(
        code=code,
        title=str(standard.title),
        definition=definition or str(standard.definition),
        value=value,
        threshold_percent=setting.threshold_percent,
        applies=setting.applies,
        passed=passed,
        sample=sample,
        evidence=evidence,
        numerator=numerator,
        denominator=denominator,
        respondents=respondents,
    )


def _survey_result(figure: SurveyFigure, setting: Setting) -> StandardResult:
    evidence = [
        Evidence(label=ref.title, route=SURVEY_RESULTS_ROUTE, params={"survey_id": ref.id})
        for ref in figure.surveys
    ]
    # Closed, but its answers are still sealed: named, and said not to count yet.
    evidence.extend(
        Evidence(
            label=gettext_("%(title)s（待保管人开箱，未计入）", title=ref.title),
            route=SURVEY_RESULTS_ROUTE,
            params={"survey_id": ref.id},
        )
        for ref in figure.awaiting
    )
    return _result(
        figure.code,
        setting,
        figure.numerator,
        figure.denominator,
        figure.sample,
        evidence,
        figure.respondents,
    )


def assess(
    village: Village,
    year: int,
    settings: Mapping[str, Setting],
    surveys: Mapping[str, SurveyFigure],
    figures: list[ParticipationFigure],
) -> VillageAssessment:
    """Every standard, in the standards' order, from already computed figures."""
    by_code = {f.code: f for f in figures}
    results: list[StandardResult] = []
    for standard in STANDARDS:
        setting = settings[standard.code]
        if standard.code in surveys:
            results.append(_survey_result(surveys[standard.code], setting))
        elif standard.code in by_code:
            figure = by_code[standard.code]
            ratio = figure.overall
            results.append(
                _result(
                    standard.code,
                    setting,
                    ratio.numerator,
                    ratio.denominator,
                    ratio.denominator,
                    list(figure.evidence),
                    definition=figure.definition,
                )
            )
        else:
            results.append(_result(standard.code, setting, 0, 0, 0, []))
    return VillageAssessment(village, year, results, figures)


def village_assessment(session: Session, village_id: int, year: int) -> VillageAssessment:
    village = session.get(Village, village_id)
    if village is None:
        raise VillageNotFound(lazy("没有这个村。"))
    return assess(
        village,
        year,
        township_settings(session, village.township_id),
        survey_figures.figures_for(session, village_id, year),
        participation(session, village_id, year),
    )


# --- the township ----------------------------------------------------------------------


def _local_year(value: datetime | date) -> int:
    if isinstance(value, datetime):
        return value.astimezone(CHINA_TIME).year
    return value.year


def candidate_years(session: Session, village_ids: Collection[int]) -> set[int]:
    """Years in which the villages did anything a standard counts."""
    ids = list(village_ids)
    years: set[int] = set(
        session.scalars(select(Survey.year).where(Survey.village_id.in_(ids)).distinct())
    )
    dates: list[datetime | date] = [
        *session.scalars(
            select(Election.election_day).where(Election.village_id.in_(ids), not_drill(Election))
        ),
        *session.scalars(
            select(Meeting.starts_at).where(Meeting.village_id.in_(ids), not_drill(Meeting))
        ),
        *session.scalars(
            select(DeliberationRound.deadline)
            .join(Compact, Compact.id == DeliberationRound.compact_id)
            .where(Compact.village_id.in_(ids))
        ),
    ]
    years.update(_local_year(d) for d in dates)
    return years


def township_overview(
    session: Session,
    township_id: int,
    year: int,
    village_ids: Collection[int] | None = None,
) -> ranking.TownshipOverview:
    """The township's villages (or only `village_ids`) ranked per standard, with trends
    over every year up to `year` that has data."""
    township = session.get(Township, township_id)
    if township is None:
        raise VillageNotFound(lazy("没有这个乡镇。"))
    stmt = select(Village).where(Village.township_id == township_id)
    if village_ids is not None:
        stmt = stmt.where(Village.id.in_(list(village_ids)))
    villages = list(session.scalars(stmt.order_by(Village.code, Village.id)))
    settings = township_settings(session, township_id)
    ids = [v.id for v in villages]
    by_survey = survey_figures.figures_by_village_year(session, ids)
    years = sorted(y for y in candidate_years(session, ids) | {year} if y <= year)
    history: dict[int, list[VillageAssessment]] = {}
    for each_year in years:
        history[each_year] = [
            assess(
                village,
                each_year,
                settings,
                by_survey.get((village.id, each_year)) or survey_figures.figures([]),
                participation(session, village.id, each_year),
            )
            for village in villages
        ]
    return ranking.overview(township, year, villages, settings, history)
