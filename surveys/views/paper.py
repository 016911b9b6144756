"""Paper questionnaires: the organizer ticks who was handed one, then enters the returned
sheets one at a time (questions may be left blank on paper)."""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import Response
from starlette.routing import BaseRoute

from app.errors import DomainError
from app.forms import whole_number
from app.i18n import gettext_, lazy
from app.permissions import Permission
from app.registry.models import Person
from app.web import Ctx
from surveys import answering, audience, forms, rules, services
from surveys.exceptions import InvalidSurveyInput, SurveyNotFound
from surveys.models import Channel, Survey, SurveyParticipation
from surveys.paths import route
from surveys.templates_builtin import SCALE_LABELS
from surveys.views.manage import survey_of

MANAGE = Permission.SURVEY_MANAGE
SHOWN = 300  # people listed at once; a name or roll number search narrows the list


def _paper_page(ctx: Ctx, survey: Survey, status: int = 200, error: str = "") -> Response:
    query = ctx.request.query_params.get("q", "").strip()
    people = audience.audience_people(ctx.db, survey)
    if query:
        people = [p for p in people if query in p.name or query == p.roll_number]
    taken = _channels(ctx, survey)
    handed, entered = answering.paper_counts(ctx.db, survey)
    return ctx.render(
        "surveys/paper.html",
        status,
        survey=survey,
        people=people[:SHOWN],
        more=max(0, len(people) - SHOWN),
        query=query,
        taken=taken,
        handed=handed,
        entered=entered,
        error=error,
    )


def _channels(ctx: Ctx, survey: Survey) -> dict[int, Channel]:
    rows = ctx.db.execute(
        select(SurveyParticipation.person_id, SurveyParticipation.channel).where(
            SurveyParticipation.survey_id == survey.id
        )
    )
    return {person_id: channel for person_id, channel in rows}


def paper(ctx: Ctx) -> Response:
    survey, _village = survey_of(ctx)
    return _paper_page(ctx, survey)


def paper_hand(ctx: Ctx) -> Response:
    survey, _village = survey_of(ctx)
    number = whole_number(ctx.field("person_id"))
    person = ctx.db.get(Person, number) if number is not None else None
    if person is None or person.village_id != survey.village_id:
        raise SurveyNotFound(lazy("本村没有这个人，请从名单里选择。"))
    try:
        services.hand_paper(ctx.db, ctx.actor, survey, person)
    except DomainError as error:
        return _paper_page(ctx, survey, error.status_code, error.render_message())
    ctx.flash(gettext_("已记下：%(name)s 领了纸质问卷。", name=person.name))
    return ctx.redirect("surveys:paper", survey_id=survey.id)


def _sheet_page(
    ctx: Ctx,
    survey: Survey,
    *,
    chosen: dict[str, list[str]] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    handed, entered = answering.paper_counts(ctx.db, survey)
    return ctx.render(
        "surveys/paper_sheet.html",
        status,
        survey=survey,
        chosen=chosen or {},
        errors=errors or {},
        handed=handed,
        entered=entered,
        scale_labels=SCALE_LABELS,
    )


def paper_sheet(ctx: Ctx) -> Response:
    survey, _village = survey_of(ctx)
    if ctx.request.method == "GET":
        return _sheet_page(ctx, survey)
    result = rules.read_answers(answering.question_specs(survey), ctx.fields)
    chosen = forms.chosen_positions(result)
    if not result.ok:
        return _sheet_page(ctx, survey, chosen=chosen, errors=result.errors, status=422)
    try:
        count = services.enter_paper_sheet(ctx.db, ctx.actor, survey, result.values["answers"])
    except InvalidSurveyInput as error:
        return _sheet_page(ctx, survey, chosen=chosen, errors=error.errors, status=422)
    except DomainError as error:
        errors = {"__all__": error.render_message()}
        return _sheet_page(ctx, survey, chosen=chosen, errors=errors, status=error.status_code)
    ctx.flash(gettext_("已录入第 %(n)s 份纸质问卷。请录入下一份。", n=count))
    return ctx.redirect("surveys:paper_sheet", survey_id=survey.id)


PAPER = "/surveys/{survey_id:int}/paper"

routes: list[BaseRoute] = [
    route(PAPER, paper, name="surveys:paper", permission=MANAGE),
    route(
        PAPER + "/hand", paper_hand, name="surveys:paper_hand", permission=MANAGE, methods=["POST"]
    ),
    route(
        PAPER + "/sheet",
        paper_sheet,
        name="surveys:paper_sheet",
        permission=MANAGE,
        methods=["GET", "POST"],
    ),
]
