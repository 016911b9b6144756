"""Organizer pages for objections, nominations and candidates, and the villager's
nomination page opened from their QR slip."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.responses import Response

from app.drill import today_of
from app.forms import whole_number
from app.i18n import LazyText, gettext_, lazy
from app.permissions import Permission
from app.registry.models import Person
from app.web import Ctx
from ballots.exceptions import (
    AlreadyNominated,
    CandidatesRefused,
    InvalidElectionInput,
    NominationRefused,
    TieAtCut,
)
from ballots.models import Candidate, Election, Stage
from ballots.paths import CANDIDATE, OBJECTION, SETUP_ELECTION
from ballots.paths import setup_route as route
from ballots.setup import forms as forms_setup
from ballots.setup import rules as setup_rules
from ballots.setup.candidates import (
    add_nomination,
    nominations_of,
    publish_candidates,
    replacement_choices,
    tally_nominations,
    withdraw_candidate,
)
from ballots.setup.display import describe
from ballots.setup.photos import photo_problem, photo_shas
from ballots.setup.roll import decide_objection, file_objection, objection_asks_removal, pick_person
from ballots.setup.roll import objections as election_objections
from ballots.setup.speech import speech_engine
from ballots.setup.stages import latest_round, profile_for, round_candidates
from ballots.setup.views_speech import speech_context

NOMINATOR_LABELS: dict[str, LazyText] = {
    "party": lazy("村党组织"),
    "paper": lazy("纸质提名表"),
    "roll": lazy("选民扫码提名"),
}


def nominator_label(key: str) -> str:
    kind, _, value = key.partition(":")
    label = str(NOMINATOR_LABELS.get(kind, kind))
    return f"{label} {value}" if kind == "paper" else label


# --- objections -------------------------------------------------------------------------


def objections(ctx: Ctx) -> Response:
    found = SETUP_ELECTION.of(ctx)
    profile = profile_for(found)
    today = today_of(found)
    names = dict(
        ctx.db.execute(
            select(Person.id, Person.name).where(
                Person.id.in_(
                    [o.person_id for o in election_objections(ctx.db, found) if o.person_id]
                )
            )
        ).all()
    )
    rows = [
        {
            "objection": o,
            "name": names.get(o.person_id, "") if o.person_id else "",
            "removal": o.decided_on is None and objection_asks_removal(ctx.db, found, o),
            "due": setup_rules.objection_decision_due(o.filed_on, profile),
        }
        for o in election_objections(ctx.db, found)
    ]
    problem = setup_rules.objection_filing_problem(
        found.stage, found.roll_published_on, today, profile
    )
    return ctx.render(
        "ballots/setup_objections.html",
        **describe(ctx, found),
        rows=rows,
        today=today,
        decision_days=profile.objection_decision_days,
        filing_problem=problem,
        last_day=(
            setup_rules.objection_last_day(found.roll_published_on, profile)
            if found.roll_published_on
            else None
        ),
    )


def objection_new(ctx: Ctx) -> Response:
    found = SETUP_ELECTION.of(ctx)
    today = today_of(found)
    problem = setup_rules.objection_filing_problem(
        found.stage, found.roll_published_on, today, profile_for(found)
    )
    context: dict[str, Any] = {**describe(ctx, found), "problem": problem, "choices": []}
    if ctx.request.method == "GET" or problem:
        status = 200 if ctx.request.method == "GET" else 409
        return ctx.render(
            "ballots/setup_objection_form.html", status, form={}, errors={}, **context
        )
    form = {name: ctx.field(name) for name in ("filed_by", "person_name", "person_id", "text")}
    result = forms_setup.parse_objection(form["filed_by"], form["text"])
    person_id = None
    if form["person_name"]:
        chosen = whole_number(form["person_id"]) if form["person_id"] else None
        person_id, context["choices"], message = pick_person(
            ctx.db, found, form["person_name"], chosen, on_roll=False
        )
        if message:
            result.error("person_name", message)
    if result.ok:
        try:
            file_objection(
                ctx.db,
                ctx.actor,
                found,
                person_id=person_id,
                filed_by=result.values["filed_by"],
                text=result.values["text"],
                today=today,
            )
        except InvalidElectionInput as error:
            result.errors.update(error.errors)
    if not result.ok:
        return ctx.render(
            "ballots/setup_objection_form.html", 422, form=form, errors=result.errors, **context
        )
    ctx.flash(
        gettext_(
            "异议已登记。请在 %(n)s 天内作出决定并写明理由。",
            n=profile_for(found).objection_decision_days,
        )
    )
    return ctx.redirect("ballots:objections", election_id=found.id)


def objection_decide(ctx: Ctx) -> Response:
    found = SETUP_ELECTION.of(ctx)
    objection = OBJECTION.of(ctx)
    person = ctx.db.get(Person, objection.person_id) if objection.person_id else None
    context: dict[str, Any] = {
        **describe(ctx, found),
        "objection": objection,
        "person": person,
        "removal": objection_asks_removal(ctx.db, found, objection),
        "decision_options": [("yes", lazy("异议成立")), ("no", lazy("异议不成立"))],
    }
    if ctx.request.method == "GET":
        return ctx.render("ballots/setup_objection_decide.html", form={}, errors={}, **context)
    form = {"upheld": ctx.field("upheld"), "reason": ctx.field("reason")}
    result = forms_setup.parse_decision(form["upheld"], form["reason"])
    if result.ok:
        try:
            decide_objection(
                ctx.db,
                ctx.actor,
                objection,
                upheld=result.values["upheld"],
                reason=result.values["reason"],
                today=today_of(found),
            )
        except InvalidElectionInput as error:
            result.errors.update(error.errors)
    if not result.ok:
        return ctx.render(
            "ballots/setup_objection_decide.html", 422, form=form, errors=result.errors, **context
        )
    ctx.flash(gettext_("已答复异议，决定会在公示页上公布。"))
    return ctx.redirect("ballots:objections", election_id=found.id)


# --- nominations ------------------------------------------------------------------------


def nominations(ctx: Ctx) -> Response:
    found = SETUP_ELECTION.of(ctx)
    return ctx.render(
        "ballots/setup_nominations.html",
        **describe(ctx, found),
        tally=tally_nominations(ctx.db, found),
        entries=nominations_of(ctx.db, found),
        nominator_label=nominator_label,
    )


def nomination_new(ctx: Ctx) -> Response:
    found = SETUP_ELECTION.of(ctx)
    context: dict[str, Any] = {**describe(ctx, found), "choices": []}
    if ctx.request.method == "GET":
        return ctx.render(
            "ballots/setup_nomination_form.html", form={"nominator": "paper"}, errors={}, **context
        )
    names = ("nominee_name", "nominee_person_id", "nominator", "paper_number")
    form = {name: ctx.field(name) for name in names}
    result = forms_setup.parse_paper_nomination(form["nominator"], form["paper_number"])
    person_id = None
    if not form["nominee_name"]:
        result.error("nominee_name", gettext_("请填写被提名人的姓名。"))
    else:
        chosen = whole_number(form["nominee_person_id"] or "x")
        person_id, context["choices"], message = pick_person(
            ctx.db, found, form["nominee_name"], chosen, on_roll=True
        )
        if message:
            result.error("nominee_name", message)
    if result.ok:
        try:
            add_nomination(
                ctx.db,
                ctx.actor,
                found,
                nominee_person_id=person_id,
                nominator_key=result.values["nominator_key"],
            )
        except (NominationRefused, AlreadyNominated) as error:
            result.error("__all__", error.render_message())
    if not result.ok:
        return ctx.render(
            "ballots/setup_nomination_form.html", 422, form=form, errors=result.errors, **context
        )
    ctx.flash(gettext_("已录入提名：%(name)s。", name=form["nominee_name"]))
    return ctx.redirect("ballots:nomination_new", election_id=found.id)


# --- candidates -------------------------------------------------------------------------


def candidates_page(ctx: Ctx, found: Election, status: int = 200, **extra: Any) -> Response:
    round_ = latest_round(ctx.db, found)
    listed = round_candidates(ctx.db, round_, live_only=False) if round_ else []
    live = [c for c in listed if not c.withdrawn]
    context: dict[str, Any] = {
        "tally": tally_nominations(ctx.db, found),
        "form": {"count": str(found.seats + 1)},
        "errors": {},
        "tied": [],
        "round": round_,
        "listed": listed,
        "can_publish": found.stage is Stage.NOMINATIONS,
        "can_withdraw": found.stage is Stage.CANDIDATES_PUBLISHED,
        # The number each candidate has on the ballot, and their photo (ballots.setup.photos).
        "numbers": {c.id: n for n, c in enumerate(live, start=1)},
        "photos": photo_shas(ctx.db, found.id, [c.name for c in live]),
        "can_photo": bool(live) and photo_problem(ctx.db, found, live[0]) is None,
        **speech_context(ctx, found, round_),
    }
    context.update(extra)
    return ctx.render("ballots/setup_candidates.html", status, **describe(ctx, found), **context)


def candidates(ctx: Ctx) -> Response:
    return candidates_page(ctx, SETUP_ELECTION.of(ctx))


def candidates_publish(ctx: Ctx) -> Response:
    found = SETUP_ELECTION.of(ctx)
    form = {"count": ctx.field("count")}
    result = forms_setup.parse_candidate_count(form["count"], ctx.fields("picked"))
    tied: list[str] = []
    if result.ok:
        try:
            publish_candidates(
                ctx.db,
                ctx.actor,
                found,
                today_of(found),
                result.values["count"],
                picked_at_cut=result.values["picked"],
                speech=speech_engine(ctx.settings),
            )
        except TieAtCut as error:
            tied = error.tied_keys
            result.error("count", error.render_message())
        except CandidatesRefused as error:
            result.error("count", error.render_message())
    if not result.ok:
        return candidates_page(ctx, found, 422, form=form, errors=result.errors, tied=tied)
    ctx.flash(gettext_("候选人名单已公布。请把公示页打印张贴。"))
    return ctx.redirect("ballots:candidates", election_id=found.id)


def candidate_withdraw(ctx: Ctx) -> Response:
    found = SETUP_ELECTION.of(ctx)
    candidate = CANDIDATE.of(ctx)
    options = replacement_choices(ctx.db, found, candidate.round_id)
    context: dict[str, Any] = {
        **describe(ctx, found),
        "candidate": candidate,
        "options": options,
    }
    if ctx.request.method == "GET":
        return ctx.render("ballots/setup_withdraw.html", form={}, errors={}, **context)
    form = {"reason": ctx.field("reason"), "replacement": ctx.field("replacement")}
    result = forms_setup.parse_withdrawal(form["reason"], form["replacement"])
    added: Candidate | None = None
    if result.ok:
        try:
            added = withdraw_candidate(
                ctx.db,
                ctx.actor,
                candidate,
                result.values["reason"],
                replacement_key=result.values["replacement"],
                speech=speech_engine(ctx.settings),
            )
        except TieAtCut as error:
            result.error("replacement", error.render_message())
        except CandidatesRefused as error:
            result.error("__all__", error.render_message())
    if not result.ok:
        return ctx.render(
            "ballots/setup_withdraw.html", 422, form=form, errors=result.errors, **context
        )
    if added is not None:
        ctx.flash(gettext_("%(old)s 已退出，由 %(new)s 接替。", old=candidate.name, new=added.name))
    else:
        ctx.flash(gettext_("%(old)s 已退出。没有其他被提名人可以接替。", old=candidate.name))
    return ctx.redirect("ballots:candidates", election_id=found.id)


def _routes() -> list[Any]:
    read, manage = Permission.ELECTION_READ, Permission.ELECTION_MANAGE
    get_post = ["GET", "POST"]
    base = "/elections/{election_id:int}"
    return [
        route(f"{base}/objections", objections, name="ballots:objections", permission=read),
        route(f"{base}/objections/new", objection_new, name="ballots:objection_new",
              permission=manage, methods=get_post),
        route(f"{base}/objections/{{objection_id:int}}/decide", objection_decide,
              name="ballots:objection_decide", permission=manage, methods=get_post),
        route(f"{base}/nominations", nominations, name="ballots:nominations", permission=read),
        route(f"{base}/nominations/new", nomination_new, name="ballots:nomination_new",
              permission=manage, methods=get_post),
        route(f"{base}/candidates", candidates, name="ballots:candidates", permission=read),
        route(f"{base}/candidates/publish", candidates_publish,
              name="ballots:candidates_publish", permission=manage, methods=["POST"]),
        route(f"{base}/candidates/{{candidate_id:int}}/withdraw", candidate_withdraw,
              name="ballots:candidate_withdraw", permission=manage, methods=get_post),
    ]  # fmt: skip


routes = _routes()
