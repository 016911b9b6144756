"""Organizer pages: a village's surveys, creating one, editing its questions while it is
a draft, naming the key holders of its sealed box, opening and closing it, and its
results (also printable). The key holders set their box password and, after the close,
open the box on the survey's page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.responses import Response
from starlette.routing import BaseRoute

from app.drill import not_drill
from app.forms import whole_number
from app.i18n import gettext_, lazy
from app.permissions import ROLE_LABELS, Permission
from app.registry.models import Group, Village
from app.registry.paths import VILLAGE
from app.registry.rules import today_in_china
from app.sealed_box.exceptions import BadBoxPassword, TooFewHolders, WrongBoxPassword
from app.sealed_box.forms import opening_field, opening_passwords
from app.sealed_box.services import scrub_after_commit
from app.secret_choice import shuffle_after_commit
from app.tables import percent_text
from app.web import Ctx
from meetings.models import Meeting
from slips.models import Assembly
from surveys import forms, services
from surveys.exceptions import HoldersNotReady, InvalidSurveyInput
from surveys.models import Question, Survey, SurveyResponse, SurveyStatus
from surveys.paths import QUESTION, SURVEY, route
from surveys.templates_builtin import BUILTIN, SCALE_LABELS

READ = Permission.SURVEY_READ
MANAGE = Permission.SURVEY_MANAGE
# The key holders are township administrators and auditors, and an auditor may change
# nothing else: the box routes let any signed-in user in and the service refuses (403)
# anyone who is not a key holder of that survey's box.
HOLDER = Permission.SIGNED_IN

STATUS_LABELS = {
    SurveyStatus.DRAFT: lazy("草稿（可以改题目）"),
    SurveyStatus.OPEN: lazy("正在答题"),
    SurveyStatus.CLOSED: lazy("已结束"),
}
AWAITING_LABEL = lazy("已结束，待保管人开箱")


def labels() -> dict[str, Any]:
    return {
        "status_labels": STATUS_LABELS,
        "awaiting_label": AWAITING_LABEL,
        "kind_labels": forms.KIND_LABELS,
        "audience_labels": forms.AUDIENCE_LABELS,
        "qtype_labels": forms.QTYPE_LABELS,
        "measure_labels": forms.MEASURE_LABELS,
        "scale_labels": SCALE_LABELS,
        "pct": percent_text,
    }


def survey_of(ctx: Ctx) -> tuple[Survey, Village]:
    """The survey in the path (loaded and scope-checked by the request layer), and its village."""
    survey = SURVEY.of(ctx)
    village = ctx.db.get(Village, survey.village_id)
    assert village is not None  # the foreign key
    return survey, village


# --- list and create ----------------------------------------------------------------------------


def survey_list(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    surveys = services.village_surveys(ctx.db, village.id)
    closed = [s.id for s in surveys if s.status is SurveyStatus.CLOSED]
    return ctx.render(
        "surveys/list.html",
        village=village,
        surveys=surveys,
        awaiting=services.sealed_survey_ids(ctx.db, closed),
        **labels(),
    )


def _new_context(ctx: Ctx, village: Village) -> dict[str, Any]:
    db = ctx.db
    groups = db.scalars(select(Group).where(Group.village_id == village.id).order_by(Group.id))
    meetings = db.scalars(
        # A survey is real: it is never about a drill (app.drill), nor answered at one.
        select(Meeting)
        .where(Meeting.village_id == village.id, not_drill(Meeting))
        .order_by(Meeting.starts_at.desc())
    )
    assemblies = db.scalars(
        select(Assembly)
        .where(Assembly.village_id == village.id, Assembly.drill.is_(False))
        .order_by(Assembly.id.desc())
    )
    return {
        "village": village,
        "template_options": forms.template_options(),
        "audience_options": [(a.value, label) for a, label in forms.AUDIENCE_LABELS.items()],
        "group_options": [(g.id, g.name) for g in groups],
        "meeting_options": [(m.id, m.title) for m in meetings],
        "assembly_options": [(a.id, f"{a.title}（{a.held_on.isoformat()}）") for a in assemblies],
    }


def survey_new(ctx: Ctx) -> Response:
    village = VILLAGE.of(ctx)
    context = _new_context(ctx, village)
    if ctx.request.method == "GET":
        form = {
            "template": "satisfaction",
            "year": str(today_in_china().year),
            "audience": "adults",
        }
        return ctx.render("surveys/new.html", form=form, errors={}, **context)
    fields = {name: ctx.field(name) for name in forms.SURVEY_FIELDS}
    if not fields["title"] and fields["template"] in BUILTIN:
        fields["title"] = str(BUILTIN[fields["template"]].title)
    result = forms.parse_survey(fields)
    if result.ok:
        try:
            survey = services.create_survey(
                ctx.db, ctx.actor, village, result.values["input"], ctx.require_user().id
            )
        except InvalidSurveyInput as error:
            result.errors.update(error.errors)
    if not result.ok:
        return ctx.render("surveys/new.html", 422, form=fields, errors=result.errors, **context)
    ctx.flash(gettext_("已建好问卷“%(title)s”。", title=survey.title))
    return ctx.redirect("surveys:survey", survey_id=survey.id)


# --- the survey page, questions ------------------------------------------------------------------


def _survey_page(
    ctx: Ctx,
    survey: Survey,
    village: Village,
    status: int = 200,
    error: str = "",
    errors: dict[str, str] | None = None,
    chosen: list[int] | None = None,
) -> Response:
    box = services.box_status(ctx.db, survey)
    return ctx.render(
        "surveys/survey.html",
        status,
        survey=survey,
        village=village,
        assembly=ctx.db.get(Assembly, survey.assembly_id) if survey.assembly_id else None,
        group=ctx.db.get(Group, survey.group_id) if survey.group_id else None,
        meeting=ctx.db.get(Meeting, survey.meeting_id) if survey.meeting_id else None,
        outcome=services.results(ctx.db, survey),
        box=box,
        holder_choices=services.holder_choices(ctx.db, survey)
        if survey.status is SurveyStatus.DRAFT
        else [],
        named=set(chosen) if chosen is not None else {h.holder_id for h in box.holders},
        role_labels=ROLE_LABELS,
        error=error,
        errors=errors or {},
        **labels(),
    )


def survey_page(ctx: Ctx) -> Response:
    survey, village = survey_of(ctx)
    return _survey_page(ctx, survey, village)


def _question_form(question: Question | None) -> dict[str, Any]:
    if question is None:
        return {"qtype": "single", "measure": "none", "correct": []}
    form: dict[str, Any] = {
        "text": question.text,
        "qtype": question.qtype.value,
        "measure": question.measure.value,
        "correct": [str(o.position) for o in question.options if o.correct],
    }
    for option in question.options:
        form[f"option_{option.position}"] = option.text
    return form


def _question_page(
    ctx: Ctx,
    survey: Survey,
    question: Question | None,
    form: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    return ctx.render(
        "surveys/question.html",
        status,
        survey=survey,
        question=question,
        form=form,
        errors=errors,
        rows=range(1, forms.OPTION_ROWS + 1),
        qtype_options=[(k.value, v) for k, v in forms.QTYPE_LABELS.items()],
        measure_options=[(k.value, v) for k, v in forms.MEASURE_LABELS.items()],
    )


def _save_question(ctx: Ctx, survey: Survey, question: Question | None) -> Response:
    texts = [ctx.field(f"option_{row}") for row in range(1, forms.OPTION_ROWS + 1)]
    result = forms.parse_question(
        ctx.field("text"), ctx.field("qtype"), ctx.field("measure"), texts, ctx.fields("correct")
    )
    form: dict[str, Any] = {**result.raw, "correct": ctx.fields("correct")}
    if result.ok:
        try:
            if question is None:
                services.add_question(ctx.db, ctx.actor, survey, result.values["input"])
            else:
                services.update_question(
                    ctx.db, ctx.actor, survey, question, result.values["input"]
                )
        except InvalidSurveyInput as error:
            result.errors.update(error.errors)
    if not result.ok:
        return _question_page(ctx, survey, question, form, result.errors, 422)
    ctx.flash(gettext_("题目已保存。"))
    return ctx.redirect("surveys:survey", survey_id=survey.id)


def question_new(ctx: Ctx) -> Response:
    survey, _village = survey_of(ctx)
    services.require_draft(survey)
    if ctx.request.method == "POST":
        return _save_question(ctx, survey, None)
    return _question_page(ctx, survey, None, _question_form(None), {})


def question_edit(ctx: Ctx) -> Response:
    survey, _village = survey_of(ctx)
    question = QUESTION.of(ctx)
    services.require_draft(survey)
    if ctx.request.method == "POST":
        return _save_question(ctx, survey, question)
    return _question_page(ctx, survey, question, _question_form(question), {})


def question_remove(ctx: Ctx) -> Response:
    survey, _village = survey_of(ctx)
    question = QUESTION.of(ctx)
    services.remove_question(ctx.db, ctx.actor, survey, question)
    ctx.flash(gettext_("已删除这道题。"))
    return ctx.redirect("surveys:survey", survey_id=survey.id)


# --- open, close, results --------------------------------------------------------------------------


def survey_open(ctx: Ctx) -> Response:
    survey, village = survey_of(ctx)
    try:
        services.open_survey(ctx.db, ctx.actor, survey)
    except HoldersNotReady as refusal:
        return _survey_page(ctx, survey, village, refusal.status_code, refusal.render_message())
    ctx.flash(gettext_("问卷已开始答题，题目不能再改了。"))
    return ctx.redirect("surveys:survey", survey_id=survey.id)


def survey_close(ctx: Ctx) -> Response:
    survey, _village = survey_of(ctx)
    # A survey opened before answers were sealed has no box and its sheets stored open.
    stored_open = services.box_status(ctx.db, survey).box_id is None
    services.close_survey(ctx.db, ctx.actor, survey)
    if stored_open:
        ctx.flash(gettext_("问卷已结束，不再收答案。"))
    else:
        ctx.flash(gettext_("问卷已结束，不再收答案。请开箱保管人登录后开箱，然后才能看到结果。"))
    response = ctx.redirect("surveys:survey", survey_id=survey.id)
    if stored_open:
        response.background = shuffle_after_commit(
            ctx.request.app.state.database, (SurveyResponse,)
        )
    return response


# --- the sealed box: key holders, box passwords, opening -----------------------------------------


def box_holders_post(ctx: Ctx) -> Response:
    """The organizer names the survey's key holders (township administrators, auditors)."""
    survey, village = survey_of(ctx)
    numbers = [whole_number(value) for value in ctx.fields("holder_ids")]
    chosen = [number for number in numbers if number is not None]
    try:
        if len(chosen) != len(numbers):
            raise InvalidSurveyInput(
                {"holder_ids": gettext_("请从名单里选择本乡镇的乡镇管理员或审计员。")}
            )
        services.name_holders(ctx.db, ctx.actor, survey, chosen)
    except InvalidSurveyInput as problem:
        return _survey_page(ctx, survey, village, 422, errors=problem.errors, chosen=chosen)
    ctx.flash(gettext_("已指定开箱保管人。请他们各自登录，在这个页面设开箱密码。"))
    return ctx.redirect("surveys:survey", survey_id=survey.id)


def box_password_post(ctx: Ctx) -> Response:
    """A key holder sets their box password for the survey, before answering starts."""
    survey, village = survey_of(ctx)
    try:
        services.set_box_password(
            ctx.db,
            survey,
            ctx.require_user().id,
            ctx.secret_field("box_password"),
            ctx.secret_field("box_password_confirm"),
        )
    except BadBoxPassword as problem:
        errors = {"box_password": problem.render_message()}
        return _survey_page(ctx, survey, village, 422, errors=errors)
    ctx.flash(gettext_("您的开箱密码已保存。开箱时请您本人登录后输入。"))
    return ctx.redirect("surveys:survey", survey_id=survey.id)


def open_box_post(ctx: Ctx) -> Response:
    """After the close, a key holder opens the survey's box with their box password."""
    survey, village = survey_of(ctx)
    passwords = opening_passwords(services.box_status(ctx.db, survey), ctx.secret_field)
    try:
        opened = services.open_box(ctx.db, ctx.actor, survey, ctx.require_user().id, passwords)
    except WrongBoxPassword as problem:
        field = opening_field(problem.holder_id) if problem.holder_id else "open"
        return _survey_page(ctx, survey, village, 422, errors={field: problem.render_message()})
    except TooFewHolders as problem:
        return _survey_page(ctx, survey, village, 422, problem.render_message())
    ctx.flash(gettext_("答卷已开箱：取出 %(n)s 份答卷，结果可以查看了。", n=opened))
    response = ctx.redirect("surveys:survey", survey_id=survey.id)
    # Once the opening committed: scrub the deleted sealed rows from the files.
    response.background = scrub_after_commit(ctx.request.app.state.database)
    return response


def _results(ctx: Ctx, template: str) -> Response:
    survey, village = survey_of(ctx)
    return ctx.render(
        template,
        survey=survey,
        village=village,
        outcome=services.results(ctx.db, survey),
        **labels(),
    )


def survey_results(ctx: Ctx) -> Response:
    return _results(ctx, "surveys/results.html")


def survey_results_print(ctx: Ctx) -> Response:
    return _results(ctx, "surveys/results_print.html")


SURVEY_PATH = "/surveys/{survey_id:int}"
QUESTION_PATH = SURVEY_PATH + "/questions/{question_id:int}"
GET_POST = ["GET", "POST"]

routes: list[BaseRoute] = [
    route("/villages/{village_id:int}/surveys", survey_list, name="surveys:list", permission=READ),
    route(
        "/villages/{village_id:int}/surveys/new",
        survey_new,
        name="surveys:new",
        permission=MANAGE,
        methods=GET_POST,
    ),
    route(SURVEY_PATH, survey_page, name="surveys:survey", permission=READ),
    route(
        SURVEY_PATH + "/questions/new",
        question_new,
        name="surveys:question_new",
        permission=MANAGE,
        methods=GET_POST,
    ),
    route(
        QUESTION_PATH,
        question_edit,
        name="surveys:question_edit",
        permission=MANAGE,
        methods=GET_POST,
    ),
    route(
        QUESTION_PATH + "/remove",
        question_remove,
        name="surveys:question_remove",
        permission=MANAGE,
        methods=["POST"],
    ),
    route(
        SURVEY_PATH + "/open", survey_open, name="surveys:open", permission=MANAGE, methods=["POST"]
    ),
    route(
        SURVEY_PATH + "/close",
        survey_close,
        name="surveys:close",
        permission=MANAGE,
        methods=["POST"],
    ),
    route(
        SURVEY_PATH + "/box-holders",
        box_holders_post,
        name="surveys:box_holders",
        permission=MANAGE,
        methods=["POST"],
    ),
    route(
        SURVEY_PATH + "/box-password",
        box_password_post,
        name="surveys:box_password",
        permission=HOLDER,
        methods=["POST"],
    ),
    route(
        SURVEY_PATH + "/open-box",
        open_box_post,
        name="surveys:open_box",
        permission=HOLDER,
        methods=["POST"],
    ),
    route(SURVEY_PATH + "/results", survey_results, name="surveys:results", permission=READ),
    route(
        SURVEY_PATH + "/results/print",
        survey_results_print,
        name="surveys:results_print",
        permission=READ,
    ),
]
