"""The villager's survey pages under the QR slip link: the questionnaire, a confirmation
step in plain words, and a thank-you page. No script, no account; a second answer is
refused with "已答过" and writes nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.responses import Response
from starlette.routing import BaseRoute

from app.i18n import lazy
from app.permissions import Permission
from app.web import Ctx
from slips import SLIP_HOLDERS, SLIP_PAGE_SECTIONS, PageSection
from slips.models import Assembly
from slips.services import SlipAccess, resolve_slip
from slips.views import villager_page
from surveys import answering, audience, forms, rules
from surveys.exceptions import InvalidSurveyInput, NotInAudience, SurveyNotFound, SurveyStateError
from surveys.models import Survey, SurveyStatus
from surveys.paths import slip_route
from surveys.rules import Answers
from surveys.services import open_surveys_for
from surveys.templates_builtin import SCALE_LABELS


def _open(ctx: Ctx) -> tuple[SlipAccess, Survey]:
    access = resolve_slip(ctx.db, ctx.settings, ctx.path["token"])
    survey = ctx.db.get(Survey, ctx.path["survey_id"])
    if survey is None or survey.assembly_id != access.assembly.id:
        raise SurveyNotFound(lazy("您的二维码不能打开这份问卷。请找村里的工作人员帮忙。"))
    if survey.status is not SurveyStatus.OPEN:
        raise SurveyStateError(lazy("这份问卷现在不收答案了。如有疑问，请找村里的工作人员。"))
    if not audience.in_audience(ctx.db, survey, access.person):
        raise NotInAudience(lazy("这份问卷不是给您答的。如有疑问，请找村里的工作人员。"))
    return access, survey


def _common(ctx: Ctx, access: SlipAccess, survey: Survey) -> dict[str, Any]:
    return {
        "access": access,
        "survey": survey,
        "token": ctx.path["token"],
        "scale_labels": SCALE_LABELS,
    }


def _form_page(
    ctx: Ctx,
    access: SlipAccess,
    survey: Survey,
    *,
    chosen: dict[str, list[str]] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return ctx.render(
        "surveys/answer.html",
        status,
        chosen=chosen or {},
        errors=errors or {},
        **_common(ctx, access, survey),
    )


def _done(ctx: Ctx, access: SlipAccess, survey: Survey) -> Response:
    return ctx.render("surveys/answered.html", **_common(ctx, access, survey))


def _read(ctx: Ctx, survey: Survey) -> tuple[Answers, dict[str, list[str]], dict[str, str]]:
    """The answers on the form, what to tick again, and what is wrong (every question
    must be answered through the QR slip)."""
    specs = answering.question_specs(survey)
    result = rules.read_answers(specs, ctx.fields)
    answers: Answers = result.values.get("answers", {})
    errors = dict(result.errors)
    if result.ok:
        try:
            answering.check_answers(specs, answers, required=True)
        except InvalidSurveyInput as error:
            errors = error.errors
    return answers, forms.chosen_positions(result), errors


@villager_page
def answer(ctx: Ctx) -> Response:
    access, survey = _open(ctx)
    if answering.participation_of(ctx.db, survey, access.person) is not None:
        return _done(ctx, access, survey)
    return _form_page(ctx, access, survey)


@villager_page
def confirm(ctx: Ctx) -> Response:
    access, survey = _open(ctx)
    if answering.participation_of(ctx.db, survey, access.person) is not None:
        return _done(ctx, access, survey)
    answers, chosen, errors = _read(ctx, survey)
    if errors:
        return _form_page(ctx, access, survey, chosen=chosen, errors=errors, status=422)
    return ctx.render(
        "surveys/confirm.html", answers=answers, chosen=chosen, **_common(ctx, access, survey)
    )


@villager_page
def submit(ctx: Ctx) -> Response:
    access, survey = _open(ctx)
    answers, chosen, errors = _read(ctx, survey)
    if ctx.field("action") == "edit" or errors:
        status = 422 if errors else 200
        return _form_page(ctx, access, survey, chosen=chosen, errors=errors, status=status)
    try:
        answering.answer_by_qr(ctx.db, survey, access.person, answers)
    except InvalidSurveyInput as error:
        return _form_page(ctx, access, survey, chosen=chosen, errors=error.errors, status=422)
    return ctx.render("surveys/thanks.html", **_common(ctx, access, survey))


ANSWER = "/s/{token}/surveys/{survey_id:int}"
PUBLIC = Permission.PUBLIC


def _slip_section(session: Session, access: SlipAccess) -> PageSection:
    """On the villager's slip page: open surveys this slip's holder may answer."""
    found = open_surveys_for(session, access.assembly.id, access.person)
    return PageSection(
        "surveys/slip_links.html", place=50, values={"surveys": found}, offers=bool(found)
    )


def _slip_holders(session: Session, assembly: Assembly) -> list[int] | None:
    return audience.audience_at(session, assembly.id)


SLIP_PAGE_SECTIONS.append(_slip_section)
SLIP_HOLDERS.append(_slip_holders)


routes: list[BaseRoute] = [
    slip_route(ANSWER, answer, name="surveys:answer", permission=PUBLIC),
    slip_route(
        ANSWER + "/confirm", confirm, name="surveys:confirm", permission=PUBLIC, methods=["POST"]
    ),
    slip_route(
        ANSWER + "/submit", submit, name="surveys:submit", permission=PUBLIC, methods=["POST"]
    ),
]
