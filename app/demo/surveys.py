"""The demo year's surveys: the satisfaction survey and the awareness quizzes.

Built from the built-in templates, opened for the autumn assembly's QR slips; most
villagers answer through their slip, a few fill in a paper questionnaire that staff
enter afterwards (a paper sheet may leave a question blank). Every answer is sealed
into the survey's box, whose key holders are the township's administrator and auditor;
each survey closes and the auditor opens its box with their box password.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.actors import actor_for
from app.demo import boxes
from app.demo.plan import SurveyPlan, YearPlan
from app.registry.models import Person, Village
from app.registry.rules import ADULT_AGE
from app.sealed_box import services as sealed_box
from app.settings import Settings
from app.templating import CHINA_TIME
from slips.links import slip_token
from slips.models import Slip
from slips.services import create_assembly, issue_slips, resolve_slip
from surveys import answering, services
from surveys.models import Audience, QuestionType, Survey
from surveys.templates_builtin import BUILTIN, TemplateQuestion

# (template, share of the audience answering by QR, paper sheets, chance of a right answer)
SPECS = (("satisfaction", 0.3, 8, 0.0), ("awareness_villager", 0.25, 6, 0.8))
CADRE_QUIZ = "awareness_cadre"


def _answer(rng: random.Random, question: TemplateQuestion, right: float) -> object:
    if question.qtype is QuestionType.SCALE:
        return rng.choice([2, 3, 4, 4, 4, 5, 5])
    positions = list(range(1, len(question.options) + 1))
    correct = [p for p, (_text, ok) in zip(positions, question.options, strict=True) if ok]
    if rng.random() < right:
        return correct
    wrong = [p for p in positions if p not in correct]
    if question.qtype is QuestionType.MULTIPLE and len(correct) > 1:
        return correct[:-1]  # one right option missed
    return [rng.choice(wrong)] if wrong else correct


def _sheet(rng: random.Random, key: str, right: float) -> dict[str, object]:
    questions = BUILTIN[key].questions
    return {str(n): _answer(rng, q, right) for n, q in enumerate(questions, start=1)}


def plan_surveys(
    rng: random.Random, people: list[Person], plan: YearPlan
) -> tuple[SurveyPlan, ...]:
    today = plan.today
    adults = [p.id for p in people if p.age_on(today.year, today.month) >= ADULT_AGE]
    plans = []
    for key, share, paper_count, right in SPECS:
        chosen = rng.sample(adults, round(len(adults) * share) + paper_count)
        qr = tuple((pid, _sheet(rng, key, right)) for pid in sorted(chosen[paper_count:]))
        paper = [(pid, _sheet(rng, key, right)) for pid in sorted(chosen[:paper_count])]
        # The first paper sheet comes back with its last question left blank.
        first_pid, first_sheet = paper[0]
        last = str(len(BUILTIN[key].questions))
        paper[0] = (first_pid, {k: v for k, v in first_sheet.items() if k != last})
        plans.append(SurveyPlan(key, tuple(sorted(adults)), qr, tuple(paper)))
    cadres = sorted(p.id for p in people if p.is_cadre)
    if cadres:
        qr = tuple((pid, _sheet(rng, CADRE_QUIZ, 0.9)) for pid in cadres)
        plans.append(SurveyPlan(CADRE_QUIZ, tuple(cadres), qr, ()))
    return tuple(plans)


def run_surveys(
    session: Session,
    settings: Settings,
    village: Village,
    plan: YearPlan,
    staff: dict[str, StaffUser],
) -> list[Survey]:
    if not plan.surveys:
        return []
    organizer = staff["organizer"]
    actor = actor_for(organizer)
    today = plan.today
    assembly = create_assembly(
        session,
        actor,
        village_id=village.id,
        title=f"{plan.year}年村民满意度和知晓率调查",
        held_on=today,
        place="各村民小组",
        links_expire_at=datetime.combine(today + timedelta(days=30), time(23, 59), CHINA_TIME),
    )
    respondents = sorted({pid for s in plan.surveys for pid, _answers in s.qr})
    issue_slips(session, actor, assembly, respondents, settings=settings)
    tokens = {
        slip.person_id: slip_token(settings, slip)
        for slip in session.scalars(select(Slip).where(Slip.assembly_id == assembly.id))
    }
    made = []
    for spec in plan.surveys:
        template = BUILTIN[spec.key]
        values = services.SurveyInput(
            title=f"{plan.year}年{template.title.message}",
            year=plan.year,
            audience=Audience.CADRES if spec.key == CADRE_QUIZ else Audience.ADULTS,
            group_id=None,
            meeting_id=None,
            assembly_id=assembly.id,
            template=spec.key,
        )
        survey = services.create_survey(session, actor, village, values, organizer.id)
        # The township's administrator and auditor hold the survey's sealed box.
        holders = [staff["admin"], staff["auditor"]]
        services.name_holders(session, actor, survey, [h.id for h in holders])
        boxes.set_passwords(session, plan, sealed_box.SURVEY, survey.id, holders)
        services.open_survey(session, actor, survey, today)
        for person_id, answers in spec.qr:
            # What the villager's phone does: the slip opens the surveys meant for them.
            access = resolve_slip(session, settings, tokens[person_id])
            assert survey in services.open_surveys_for(session, assembly.id, access.person)
            answering.answer_by_qr(session, survey, access.person, answers)
        for person_id, _answers in spec.paper:
            person = session.get(Person, person_id)
            assert person is not None
            answering.hand_paper(session, actor, survey, person)
        for _person_id, answers in spec.paper:
            answering.enter_paper_sheet(session, actor, survey, answers)
        services.close_survey(session, actor, survey, today)
        opener = staff["auditor"]  # one holder's box password opens it (k = 1)
        passwords = boxes.openers(plan, [opener], k=1)
        services.open_box(session, actor_for(opener), survey, opener.id, passwords)
        made.append(survey)
    return made
