"""Results area staff pages: the round page (turnout, tellers, attendance, closing,
announcing, certifying, further rounds, annulment). The public results, tracker and export
are in views_public; `routes` here carries both."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from app.accounts.models import StaffUser
from app.accounts.views import password_problem
from app.errors import NotFound
from app.forms import FormResult
from app.i18n import gettext_, lazy
from app.permissions import Permission
from app.sealed_box.exceptions import BadBoxPassword, TooFewHolders, WrongBoxPassword
from app.sealed_box.forms import opening_field, opening_passwords
from app.sealed_box.services import scrub_after_commit
from app.web import Confirmation, Ctx, confirm_page
from ballots.exceptions import AttendanceRefused, WrongPassword
from ballots.models import Election, Round, RoundStatus, Stage
from ballots.paper.display import CHANNEL_LABELS
from ballots.paper.help import helped_count
from ballots.paths import ROUND, route
from ballots.results import certification as results_certify
from ballots.results import forms, tracker
from ballots.results import services as results
from ballots.results.views_public import STATUS_LABELS, kind_label
from ballots.results.views_public import routes as public_routes
from ballots.setup.rules import PROFILE_LABELS
from ballots.setup.speech import speech_engine
from ballots.setup.views import ELECTION_PAGE_LINKS


def _round_page(
    ctx: Ctx,
    round_: Round,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    election = round_.election
    outcome = results.latest_outcome(ctx.db, round_)
    announced = results.announced_outcome(ctx.db, round_)
    confirmed = results_certify.certifications(ctx.db, announced) if announced else []
    named = results_certify.named_tellers(ctx.db, round_)
    confirmed_ids = {c.teller_id for c in confirmed}
    is_latest = results.is_latest(ctx.db, round_)
    context: dict[str, Any] = {
        "election": election,
        "round": round_,
        "status_label": STATUS_LABELS[round_.status],
        "kind_label": kind_label(round_),
        "candidates": results.candidate_names(ctx.db, round_),
        "named": named,
        "confirmed_ids": confirmed_ids,
        "choices": results_certify.teller_choices(ctx.db, election),
        "needs_attendance": results.needs_attendance(election),
        "group_roll": results.group_roll(ctx.db, election)
        if results.needs_attendance(election)
        else None,
        "quorum": results.quorum_verdict(round_),
        "channels": results.channel_counts(ctx.db, round_),
        "helped": helped_count(ctx.db, round_),
        "channel_labels": CHANNEL_LABELS,
        "editable": round_.status in (RoundStatus.PENDING, RoundStatus.OPEN, RoundStatus.COUNTING),
        "outcome": outcome,
        "result": results.result_of(announced) if announced else None,
        "can_confirm": outcome is not None
        and outcome.kind == results.ANNOUNCED
        and round_.status is RoundStatus.ANNOUNCED
        and is_latest
        and ctx.user is not None
        and ctx.user.id in {t.id for t in named} - confirmed_ids,
        "can_further": is_latest
        and election.stage is Stage.ANNOUNCED
        and announced is not None
        and (round_.status is RoundStatus.VOID or _has_open_seats(announced)),
        "can_annul": outcome is not None and outcome.kind == results.CERTIFIED,
        "turnout": tracker.turnout_by_group(ctx.db, round_)
        if round_.status is RoundStatus.OPEN
        else [],
        "void_labels": results.VOID_REASONS,
        "rule_labels": PROFILE_LABELS,
        "box": results.box_status(ctx.db, round_),
        "errors": errors or {},
        "form": form or {},
    }
    return ctx.render("ballots/results_round.html", status_code, **context)


def _has_open_seats(outcome: Any) -> bool:
    result = results.result_of(outcome)
    return bool(result.get("tie")) or int(result.get("unfilled", 0)) > 0


def round_page(ctx: Ctx) -> Response:
    return _round_page(ctx, ROUND.of(ctx))


def turnout_page(ctx: Ctx) -> Response:
    round_ = ROUND.of(ctx)
    rows = tracker.turnout_by_group(ctx.db, round_)
    return ctx.render(
        "ballots/results_turnout.html",
        election=round_.election,
        round=round_,
        rows=rows,
        registered=sum(r.registered for r in rows),
        voted=sum(r.voted for r in rows),
        channels=results.channel_counts(ctx.db, round_),
        helped=helped_count(ctx.db, round_),
        channel_labels=CHANNEL_LABELS,
        live=round_.status is RoundStatus.OPEN,
    )


def _rejected(ctx: Ctx, round_: Round, result: FormResult) -> Response:
    return _round_page(ctx, round_, status_code=422, errors=result.errors, form=result.raw)


def tellers_post(ctx: Ctx) -> Response:
    round_ = ROUND.of(ctx)
    allowed = {user.id for user in results_certify.teller_choices(ctx.db, round_.election)}
    result = forms.parse_tellers(ctx.fields("tellers"), allowed)
    if not result.ok:
        return _rejected(ctx, round_, result)
    results_certify.set_tellers(ctx.db, ctx.actor, round_, result.values["tellers"])
    ctx.flash(gettext_("已指定本轮的监计票人。"))
    return ctx.redirect("ballots:round", round_id=round_.id)


def attendance_post(ctx: Ctx) -> Response:
    round_ = ROUND.of(ctx)
    result = forms.parse_attendance(
        present=ctx.field("present"), households_present=ctx.field("households_present")
    )
    if result.ok:
        try:
            results.record_attendance(ctx.db, ctx.actor, round_, **result.values)
        except AttendanceRefused as refused:
            result.error(refused.field, refused.render_message())
    if not result.ok:
        return _rejected(ctx, round_, result)
    ctx.flash(gettext_("已保存小组会议的到会人数。"))
    return ctx.redirect("ballots:round", round_id=round_.id)


def close_post(ctx: Ctx) -> Response:
    round_ = ROUND.of(ctx)
    if ctx.request.method == "GET":
        voted = sum(results.channel_counts(ctx.db, round_).values())
        return confirm_page(
            ctx,
            Confirmation(
                title=gettext_("结束投票：%(title)s", title=round_.election.title),
                happens=[
                    gettext_(
                        "扫码、纸质选票和流动票箱都不能再投票；现在已有 %(n)s 人投票。", n=voted
                    ),
                    gettext_("选票留在票箱里，由监计票人开箱，再和纸质选票一起计票。"),
                ],
                final=gettext_("投票结束以后不能重新打开，没投的人不能再投。"),
                button=gettext_("确认结束投票"),
                back=ctx.url("ballots:round", round_id=round_.id),
            ),
        )
    results.close_voting(ctx.db, ctx.actor, round_)
    ctx.flash(gettext_("投票已结束。请监计票人开箱，然后计票。"))
    return ctx.redirect("ballots:round", round_id=round_.id)


def box_password_post(ctx: Ctx) -> Response:
    """A named teller sets their box password for the round, before voting opens."""
    round_ = ROUND.of(ctx)
    try:
        results.set_box_password(
            ctx.db,
            round_,
            ctx.require_user().id,
            ctx.secret_field("box_password"),
            ctx.secret_field("box_password_confirm"),
        )
    except BadBoxPassword as problem:
        return _round_page(
            ctx, round_, status_code=422, errors={"box_password": problem.render_message()}
        )
    ctx.flash(gettext_("您的开箱密码已保存。开箱时请您本人输入。"))
    return ctx.redirect("ballots:round", round_id=round_.id)


def open_box_post(ctx: Ctx) -> Response:
    """k tellers open the round's sealed box together, each typing their box password."""
    round_ = ROUND.of(ctx)
    box = results.box_status(ctx.db, round_)
    passwords = opening_passwords(box, ctx.secret_field)
    try:
        opened = results.open_ballot_box(ctx.db, ctx.actor, round_, passwords)
    except WrongBoxPassword as problem:
        field = opening_field(problem.holder_id) if problem.holder_id else "open"
        return _round_page(ctx, round_, status_code=422, errors={field: problem.render_message()})
    except TooFewHolders as problem:
        return _round_page(ctx, round_, status_code=422, errors={"open": problem.render_message()})
    ctx.flash(gettext_("票箱已打开：取出 %(n)s 张网上选票。现在可以计票了。", n=opened))
    response = ctx.redirect("ballots:round", round_id=round_.id)
    # Once the opening committed: scrub the deleted sealed rows from the files.
    response.background = scrub_after_commit(ctx.request.app.state.database)
    return response


def announce_post(ctx: Ctx) -> Response:
    round_ = ROUND.of(ctx)
    if ctx.request.method == "GET":
        return confirm_page(
            ctx,
            Confirmation(
                title=gettext_("计票并当场公布结果：%(title)s", title=round_.election.title),
                happens=[
                    gettext_("按票箱里的选票和录入的纸质选票计票。"),
                    gettext_("结果立即显示在公开的选举结果页上，并记入审计日志。"),
                ],
                final=gettext_("公布以后不能撤回或重算；有错只能依法宣布结果无效。"),
                button=gettext_("确认计票并公布"),
                back=ctx.url("ballots:round", round_id=round_.id),
            ),
        )
    results.announce(ctx.db, ctx.actor, round_)
    if round_.status is RoundStatus.VOID:
        ctx.flash(gettext_("结果已公布：本轮无效。请组织者安排重新投票。"))
    else:
        ctx.flash(gettext_("结果已公布。请监计票人逐一确认。"))
    return ctx.redirect("ballots:round", round_id=round_.id)


def certify_post(ctx: Ctx) -> Response:
    round_ = ROUND.of(ctx)
    # The account itself, not just its role and scope: certifying checks its password.
    teller = ctx.db.get(StaffUser, ctx.require_user().id)
    assert teller is not None
    result = forms.parse_certify(ctx.secret_field("password"))
    outcome = results.latest_outcome(ctx.db, round_)
    if outcome is None:
        raise NotFound(lazy("这一轮的结果还没有公布，不能确认。"))
    if result.ok:
        problem = password_problem(
            ctx,
            teller,
            result.values["password"],
            gettext_("密码不对，结果没有确认。请输入您登录时用的密码。"),
        )
        if problem:
            result.error("password", problem)
    if not result.ok:
        return _round_page(ctx, round_, status_code=422, errors=result.errors)
    try:
        certified = results_certify.certify(ctx.db, teller, outcome, result.values["password"])
    except WrongPassword as error:
        result.error("password", error.render_message())
        return _round_page(ctx, round_, status_code=422, errors=result.errors)
    if certified is None:
        ctx.flash(gettext_("您已确认结果，还要等其他监计票人确认。"))
    else:
        ctx.flash(gettext_("全部监计票人都已确认，选举结果已经生效。"))
    return ctx.redirect("ballots:round", round_id=round_.id)


def further_post(ctx: Ctx) -> Response:
    round_ = ROUND.of(ctx)
    outcome = results.latest_outcome(ctx.db, round_)
    if outcome is None:
        raise NotFound(lazy("这一轮的结果还没有公布。"))
    new = results.further_round(
        ctx.db,
        ctx.actor,
        round_.election,
        results.result_of(outcome),
        speech=speech_engine(ctx.settings),
    )
    ctx.flash(gettext_("已安排新一轮投票，候选人已列出。"))
    return ctx.redirect("ballots:round", round_id=new.id)


def annul_post(ctx: Ctx) -> Response:
    round_ = ROUND.of(ctx)
    result = forms.parse_annul(ctx.field("reason"))
    if not result.ok:
        return _rejected(ctx, round_, result)
    outcome = results.latest_outcome(ctx.db, round_)
    if outcome is None:
        raise NotFound(lazy("这一轮的结果还没有公布。"))
    results_certify.annul(ctx.db, ctx.actor, outcome, result.values["reason"])
    ctx.flash(gettext_("已记录：本轮结果无效，理由已公开。"))
    return ctx.redirect("ballots:round", round_id=round_.id)


def _election_links(ctx: Ctx, election: Election) -> list[tuple[str, str]]:
    """Links on the election page (views_setup): each round's page and the public results."""
    links = [
        (
            gettext_("第 %(n)s 轮：投票、计票与结果", n=round_.number),
            ctx.url("ballots:round", round_id=round_.id),
        )
        for round_ in election.rounds
    ]
    if election.rounds:
        links.append(
            (gettext_("公开的选举结果"), ctx.url("ballots:results", election_id=election.id))
        )
    return links


ELECTION_PAGE_LINKS.append(_election_links)

_ROUND = "/rounds/{round_id:int}"

routes = [
    route(_ROUND, round_page, name="ballots:round", permission=Permission.ELECTION_READ),
    route(
        _ROUND + "/turnout",
        turnout_page,
        name="ballots:turnout",
        permission=Permission.ELECTION_READ,
    ),
    route(
        _ROUND + "/tellers",
        tellers_post,
        name="ballots:round_tellers",
        permission=Permission.ELECTION_MANAGE,
        methods=["POST"],
    ),
    route(
        _ROUND + "/attendance",
        attendance_post,
        name="ballots:round_attendance",
        permission=Permission.ELECTION_MANAGE,
        methods=["POST"],
    ),
    route(
        _ROUND + "/close",
        close_post,
        name="ballots:close_voting",
        permission=Permission.ELECTION_MANAGE,
        methods=["GET", "POST"],
    ),
    route(
        _ROUND + "/box-password",
        box_password_post,
        name="ballots:box_password",
        permission=Permission.ELECTION_CERTIFY,
        methods=["POST"],
    ),
    route(
        _ROUND + "/open-box",
        open_box_post,
        name="ballots:open_box",
        permission=Permission.ELECTION_COUNT,
        methods=["POST"],
    ),
    route(
        _ROUND + "/announce",
        announce_post,
        name="ballots:announce",
        permission=Permission.ELECTION_COUNT,
        methods=["GET", "POST"],
    ),
    route(
        _ROUND + "/certify",
        certify_post,
        name="ballots:certify",
        permission=Permission.ELECTION_CERTIFY,
        methods=["POST"],
    ),
    route(
        _ROUND + "/further",
        further_post,
        name="ballots:further_round",
        permission=Permission.ELECTION_MANAGE,
        methods=["POST"],
    ),
    # Art 21: the one change an auditor may make; listed in the route-permission test.
    route(
        _ROUND + "/annul",
        annul_post,
        name="ballots:annul",
        permission=Permission.ELECTION_ANNUL,
        methods=["POST"],
    ),
    *public_routes,
]
