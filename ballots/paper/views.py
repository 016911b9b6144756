"""Paper ballots: the round's paper page, printing, issuing, the public count screen,
the comparison of tellers' entries and closing the count. The mobile-box and proxy
pages live in views_mobile and views_proxies; `routes` here carries all three."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from starlette.responses import Response

from app.accounts.models import StaffUser
from app.forms import whole_number
from app.i18n import gettext_, lazy
from app.permissions import Permission
from app.registry.models import Person
from app.web import Ctx
from ballots.exceptions import (
    AlreadyVoted,
    CountsDiffer,
    DomainError,
    EntrustedAway,
    NotYourCount,
)
from ballots.models import PaperCount, RollEntry, Round, RoundStatus
from ballots.paper import forms
from ballots.paper import services as paper
from ballots.paper.count import add_entry, correct_entry, start_count, undo_last
from ballots.paper.display import CHANNEL_LABELS, describe, entry_in
from ballots.paper.help import helpers_of
from ballots.paper.reading import (
    Reading,
    ballot_candidates,
    by_stack,
    compare_counts,
    count_entries,
    disagreements,
    round_counts,
    tally,
)
from ballots.paper.roll_lookup import search_roll
from ballots.paper.views_help import routes as help_routes
from ballots.paper.views_mobile import routes as mobile_routes
from ballots.paper.views_proxies import routes as proxy_routes
from ballots.paths import COUNT, ROUND, route
from ballots.setup import profile_for
from ballots.setup.photos import ballot_faces

RECENT_ENTRIES = 5


def _names(ctx: Ctx, round_: Round) -> list[str]:
    return [c.name for c in ballot_candidates(ctx.db, round_)]


def _tellers(ctx: Ctx, counts: list[PaperCount]) -> dict[int, StaffUser]:
    ids = {c.teller_id for c in counts}
    if not ids:
        return {}
    return {
        user.id: user for user in ctx.db.scalars(select(StaffUser).where(StaffUser.id.in_(ids)))
    }


# The round's paper page -------------------------------------------------------------------


def paper_round(ctx: Ctx) -> Response:
    round_ = ROUND.of(ctx)
    return _paper_page(ctx, round_)


def _paper_page(
    ctx: Ctx, round_: Round, *, status_code: int = 200, error: str = "", stack: str = "1"
) -> Response:
    counts = round_counts(ctx.db, round_)
    sizes = {c.id: len(count_entries(ctx.db, c)) for c in counts}
    differences = compare_counts(counts)
    return ctx.render(
        "ballots/paper_round.html",
        status_code,
        pending=sum(1 for d in differences if d.pending),
        election=round_.election,
        round=round_,
        reconciliation=paper.reconcile(ctx.db, round_),
        counts=counts,
        sizes=sizes,
        tellers=_tellers(ctx, counts),
        differences=len(disagreements(differences)),
        counting=round_.status is RoundStatus.COUNTING,
        voting=round_.status is RoundStatus.OPEN,
        error=error,
        form={"stack": stack},
        errors={"stack": error} if error else {},
    )


def paper_ballot(ctx: Ctx) -> Response:
    round_ = ROUND.of(ctx)
    return ctx.render(
        "ballots/paper_ballot.html",
        election=round_.election,
        round=round_,
        faces=ballot_faces(ctx.db, round_),
        write_ins=profile_for(round_.election).write_ins_allowed,
    )


# Issuing ------------------------------------------------------------------------------------


def paper_issue(ctx: Ctx) -> Response:
    round_ = ROUND.of(ctx)
    query = ctx.request.query_params.get("q", "").strip()
    if ctx.request.method == "GET":
        return _issue_page(ctx, round_, query)
    entry = entry_in(ctx, round_.election, whole_number(ctx.field("entry_id")))
    query = ctx.field("q")
    try:
        paper.issue_paper_ballot(ctx.db, ctx.actor, round_, entry)
    except AlreadyVoted:
        error = gettext_("这位选民已经投过票了，不能再发纸质选票。")
        return _issue_page(ctx, round_, query, status_code=409, error=error)
    except EntrustedAway as away:
        return _issue_page(ctx, round_, query, status_code=409, error=away.render_message())
    ctx.flash(gettext_("已发给 %(name)s 一张纸质选票。", name=_person_name(ctx, entry)))
    return ctx.redirect("ballots:paper_issue", round_id=round_.id, query=_q(query))


def _q(query: str) -> str:
    return urlencode({"q": query}) if query else ""


def _person_name(ctx: Ctx, entry: RollEntry) -> str:
    person = ctx.db.get(Person, entry.person_id)
    return person.name if person else ""


def _issue_page(
    ctx: Ctx, round_: Round, query: str, *, status_code: int = 200, error: str = ""
) -> Response:
    rows = search_roll(ctx.db, round_.election_id, query)
    entry_ids = [row.entry.id for row in rows]
    return ctx.render(
        "ballots/paper_issue.html",
        status_code,
        election=round_.election,
        round=round_,
        query=query,
        rows=rows,
        voted=paper.voted_channels(ctx.db, round_, entry_ids),
        helpers=helpers_of(ctx.db, round_, entry_ids),
        channel_labels=CHANNEL_LABELS,
        issued=paper.paper_issued(ctx.db, round_),
        open=round_.status is RoundStatus.OPEN,
        error=error,
    )


# Counting -----------------------------------------------------------------------------------


def count_start(ctx: Ctx) -> Response:
    round_ = ROUND.of(ctx)
    result = forms.parse_stack(ctx.field("stack"))
    if not result.ok:
        return _paper_page(ctx, round_, status_code=422, error=result.errors["stack"])
    count = start_count(ctx.db, ctx.require_user(), round_, result.values["stack"])
    return ctx.redirect("ballots:paper_count", count_id=count.id)


def _own_count(ctx: Ctx) -> tuple[PaperCount, Round]:
    count = COUNT.of(ctx)
    round_ = ctx.db.get(Round, count.round_id)
    assert round_ is not None
    if count.teller_id != ctx.require_user().id:
        # Independent entry: each teller enters the stack on their own count only.
        raise NotYourCount(lazy("这是另一位计票人的录入页面。请从纸质选票页面打开您自己的计票。"))
    return count, round_


def _count_page(
    ctx: Ctx,
    count: PaperCount,
    round_: Round,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    notice: str = "",
    fix: int | None = None,
) -> Response:
    entries = count_entries(ctx.db, count)
    readings = [Reading.of(e) for e in entries]
    if fix is not None and not 1 <= fix <= len(entries):
        fix = None
    names = _names(ctx, round_)
    same_stack = [c for c in round_counts(ctx.db, round_) if c.stack == count.stack]
    others = [c for c in same_stack if c.id != count.id]
    recent = [(e.position, describe(r)) for e, r in zip(entries, readings, strict=True)]
    context: dict[str, Any] = {
        "election": round_.election,
        "round": round_,
        "count": count,
        "candidates": names,
        "write_ins": profile_for(round_.election).write_ins_allowed,
        "tally": tally(readings, names),
        "recent": list(reversed(recent[-RECENT_ENTRIES:])),
        "next_position": len(entries) + 1,
        "last_position": len(entries),
        "others": _progress(ctx, others),
        "differences": len(disagreements(compare_counts(same_stack))),
        "errors": errors or {},
        "notice": notice,
        # Correcting one earlier ballot after the tellers checked it together.
        "fix": fix,
        "fix_was": describe(readings[fix - 1]) if fix else "",
        "open": count.closed_at is None and round_.status is RoundStatus.COUNTING,
    }
    return ctx.render("ballots/paper_count.html", status_code, **context)


def _progress(ctx: Ctx, counts: list[PaperCount]) -> list[tuple[str, int]]:
    """Each count's teller and how many ballots they have entered."""
    tellers = _tellers(ctx, counts)
    return [(tellers[c.teller_id].display_name, len(count_entries(ctx.db, c))) for c in counts]


def count_screen(ctx: Ctx) -> Response:
    count, round_ = _own_count(ctx)
    if ctx.request.method == "GET":
        fix = forms.parse_position(ctx.request.query_params.get("fix", ""))
        return _count_page(ctx, count, round_, fix=fix)
    fix = forms.parse_position(ctx.field("fix"))
    result = forms.parse_count_entry(
        ctx.field("action"), ctx.fields("mark"), ctx.fields("write_in"), ctx.field("position")
    )
    if not result.ok:
        return _count_page(ctx, count, round_, status_code=422, errors=result.errors, fix=fix)
    values = result.values
    kinds = {"marks": values["marks"], "blank": values["blank"], "invalid": values["invalid"]}
    try:
        if fix is not None:
            entry = correct_entry(ctx.db, count, fix, **kinds)
        else:
            entry = add_entry(ctx.db, count, **kinds, expected_position=values["expected_position"])
    except DomainError as error:
        if error.status_code != 422:
            raise
        errors = {"mark": error.render_message()}
        return _count_page(ctx, count, round_, status_code=422, errors=errors, fix=fix)
    what = describe(Reading.of(entry))
    notice = (
        gettext_("第 %(n)s 张已改为：%(what)s", n=entry.position, what=what)
        if fix is not None
        else gettext_("第 %(n)s 张已录入：%(what)s", n=entry.position, what=what)
    )
    # Each tap answers with the page itself: one round trip, no script needed.
    return _count_page(ctx, count, round_, notice=notice)


def count_undo(ctx: Ctx) -> Response:
    count, round_ = _own_count(ctx)
    try:
        removed = undo_last(
            ctx.db, count, expected_position=forms.parse_position(ctx.field("position"))
        )
    except DomainError as error:
        if error.status_code != 422:
            raise
        return _count_page(
            ctx, count, round_, status_code=422, errors={"mark": error.render_message()}
        )
    notice = (
        gettext_("已撤销最后一张：%(what)s", what=describe(removed))
        if removed
        else gettext_("还没有录入任何选票，没有可撤销的。")
    )
    return _count_page(ctx, count, round_, notice=notice)


def compare_page(ctx: Ctx) -> Response:
    return _compare_page(ctx, ROUND.of(ctx))


def _compare_page(ctx: Ctx, round_: Round, status_code: int = 200, error: str = "") -> Response:
    counts = round_counts(ctx.db, round_)
    tellers = _tellers(ctx, counts)
    differences = compare_counts(counts)
    rows = [
        (
            d.stack,
            d.position,
            [
                (tellers[c.teller_id].display_name, describe(r))
                for c, r in zip(d.counts, d.readings, strict=True)
            ],
        )
        for d in differences
    ]
    user = ctx.require_user()
    return ctx.render(
        "ballots/paper_compare.html",
        status_code,
        election=round_.election,
        round=round_,
        rows=rows,
        # Where the viewer may mend their own reading of a differing ballot.
        mine={c.stack: c.id for c in counts if c.teller_id == user.id and c.closed_at is None},
        stacks=[(stack, _progress(ctx, group)) for stack, group in by_stack(counts).items()],
        error=error,
    )


def close_count(ctx: Ctx) -> Response:
    round_ = ROUND.of(ctx)
    try:
        stored = paper.close_paper_counting(ctx.db, ctx.actor, round_)
    except CountsDiffer as error:
        return _compare_page(ctx, round_, 409, error.render_message())
    ctx.flash(gettext_("纸质选票计票结束，共 %(n)s 张。", n=stored))
    return ctx.redirect("ballots:paper", round_id=round_.id)


_ROUND = "/rounds/{round_id:int}/paper"
_COUNT = "/paper-counts/{count_id:int}"

routes = [
    route(_ROUND, paper_round, name="ballots:paper", permission=Permission.ELECTION_READ),
    route(
        _ROUND + "/ballot",
        paper_ballot,
        name="ballots:paper_ballot",
        permission=Permission.ELECTION_READ,
    ),
    route(
        _ROUND + "/issue",
        paper_issue,
        name="ballots:paper_issue",
        permission=Permission.ELECTION_COUNT,
        methods=["GET", "POST"],
    ),
    route(
        _ROUND + "/counts",
        count_start,
        name="ballots:paper_count_start",
        permission=Permission.ELECTION_COUNT,
        methods=["POST"],
    ),
    route(
        _ROUND + "/compare",
        compare_page,
        name="ballots:paper_compare",
        permission=Permission.ELECTION_READ,
    ),
    route(
        _ROUND + "/close",
        close_count,
        name="ballots:paper_close",
        permission=Permission.ELECTION_COUNT,
        methods=["POST"],
    ),
    route(
        _COUNT,
        count_screen,
        name="ballots:paper_count",
        permission=Permission.ELECTION_COUNT,
        methods=["GET", "POST"],
    ),
    route(
        _COUNT + "/undo",
        count_undo,
        name="ballots:paper_count_undo",
        permission=Permission.ELECTION_COUNT,
        methods=["POST"],
    ),
    *mobile_routes,
    *help_routes,
    *proxy_routes,
]
