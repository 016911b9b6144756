"""代写 at the issue desk and at the mobile ballot box: the teller's step 请谁代写？.

The teller finds the person the voter names in the village registry and taps them: at
the desk the paper ballot is issued with the help recorded (one transaction), at the
mobile box the phone is handed over with the helper chosen, and the help is recorded with
the voter's ballot. A helper the rules refuse is shown with the reason in the list, and
a refused choice comes back beside the search field with nothing written.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.responses import Response

from app.forms import whole_number
from app.i18n import gettext_, lazy
from app.permissions import Permission
from app.registry.models import Person
from app.web import Ctx
from ballots.exceptions import AlreadyVoted, EntrustedAway, HelpRefused
from ballots.models import Channel, RollEntry, Round, RoundStatus
from ballots.paper import help as helping
from ballots.paper import mobile
from ballots.paper import services as paper
from ballots.paper.display import CHANNEL_LABELS, on_roll
from ballots.paper.views_mobile import open_ballot
from ballots.paths import ENTRY, ROUND, route

ROUTE_NAMES = {Channel.PAPER: "ballots:paper_help", Channel.MOBILE: "ballots:mobile_help"}


def _person(ctx: Ctx, entry: RollEntry) -> Person:
    person = ctx.db.get(Person, entry.person_id)
    assert person is not None
    return person


def _help_page(
    ctx: Ctx,
    round_: Round,
    entry: RollEntry,
    channel: Channel,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    """The step page; `q` (the helper searched for) and `back` (the issue desk's search)
    come from the link, or from the form when a choice comes back refused."""
    query = ctx.request.query_params.get("q", "").strip() or ctx.field("q")
    voted = paper.voted_channels(ctx.db, round_, [entry.id]).get(entry.id)
    return ctx.render(
        "ballots/paper_help.html",
        status_code,
        election=round_.election,
        round=round_,
        entry=entry,
        voter=_person(ctx, entry),
        channel=channel.value,
        page=ROUTE_NAMES[channel],
        query=query,
        back=ctx.request.query_params.get("back", "") or ctx.field("back"),
        search=helping.find_helpers(ctx.db, round_, entry, query),
        voted=CHANNEL_LABELS[voted] if voted else "",
        helper=helping.helper_of(ctx.db, round_, entry),
        open=round_.status is RoundStatus.OPEN,
        errors=errors or {},
        form={"q": query},
    )


NOT_CHOSEN = lazy("请在查找结果里点选选民指定的代写人。")


def _step(ctx: Ctx) -> tuple[Round, RollEntry, Person | None]:
    """The round, the voter in the path, and the helper a POST chose (None: none valid)."""
    round_ = ROUND.of(ctx)
    entry = on_roll(round_.election, ENTRY.of(ctx))
    helper_id = whole_number(ctx.field("helper_id"))
    return round_, entry, None if helper_id is None else ctx.db.get(Person, helper_id)


def _chosen(helper: Person | None) -> Person:
    if helper is None:
        raise HelpRefused(NOT_CHOSEN)
    return helper


def paper_help(ctx: Ctx) -> Response:
    """请谁代写？ at the issue desk: choosing the helper issues the paper ballot."""
    round_, entry, helper = _step(ctx)
    if ctx.request.method == "GET":
        return _help_page(ctx, round_, entry, Channel.PAPER)
    try:
        helper = _chosen(helper)
        paper.issue_paper_ballot(ctx.db, ctx.actor, round_, entry, helper=helper)
    except HelpRefused as refused:
        errors = {"q": refused.render_message()}
        return _help_page(ctx, round_, entry, Channel.PAPER, status_code=422, errors=errors)
    except AlreadyVoted:
        errors = {"__all__": gettext_("这位选民已经投过票了，不能再发纸质选票。")}
        return _help_page(ctx, round_, entry, Channel.PAPER, status_code=409, errors=errors)
    except EntrustedAway as away:
        errors = {"__all__": away.render_message()}
        return _help_page(ctx, round_, entry, Channel.PAPER, status_code=409, errors=errors)
    ctx.flash(
        gettext_(
            "已发给 %(name)s 一张纸质选票，记录了由 %(helper)s 代写。",
            name=_person(ctx, entry).name,
            helper=helper.name,
        )
    )
    back = ctx.field("back")
    return ctx.redirect(
        "ballots:paper_issue", round_id=round_.id, query=urlencode({"q": back}) if back else ""
    )


def mobile_help(ctx: Ctx) -> Response:
    """请谁代写？ at the mobile box: choosing the helper hands the phone over."""
    round_, entry, helper = _step(ctx)
    if ctx.request.method == "GET":
        return _help_page(ctx, round_, entry, Channel.MOBILE)
    mobile.mobile_voter(ctx.db, round_, entry)
    try:
        helper = _chosen(helper)
        # Checked on the teller's side, before the phone leaves their hands; recorded
        # with the ballot (ballots.paper.mobile.cast_at_mobile_box).
        helping.check_helper(ctx.db, round_, entry, helper)
    except HelpRefused as refused:
        errors = {"q": refused.render_message()}
        return _help_page(ctx, round_, entry, Channel.MOBILE, status_code=422, errors=errors)
    return open_ballot(ctx, round_, entry, helper)


_PAPER = "/rounds/{round_id:int}/paper/issue/{entry_id:int}/help"
_MOBILE = "/rounds/{round_id:int}/mobile/{entry_id:int}/help"

routes = [
    route(
        _PAPER,
        paper_help,
        name="ballots:paper_help",
        permission=Permission.ELECTION_COUNT,
        methods=["GET", "POST"],
    ),
    route(
        _MOBILE,
        mobile_help,
        name="ballots:mobile_help",
        permission=Permission.ELECTION_COUNT,
        methods=["GET", "POST"],
    ),
]
