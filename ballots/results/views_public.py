"""The public results pages: announced results (projector friendly), the ballot tracker
and the election export. No sign-in: anyone may read and recount."""

from __future__ import annotations

from starlette.responses import Response

from app.audit.services import chain_anchor
from app.errors import NotFound
from app.i18n import LazyText, lazy
from app.permissions import Permission
from app.registry.models import Village
from app.web import Ctx
from ballots.counting.export import export_filename
from ballots.models import Round, RoundKind, RoundStatus
from ballots.paper.display import CHANNEL_LABELS
from ballots.paper.help import helped_count
from ballots.paths import ELECTION, ROUND, route
from ballots.results import services as results
from ballots.results import tracker
from ballots.results.rules import rule_sentences
from ballots.setup.rules import PROFILE_LABELS

STATUS_LABELS = {
    RoundStatus.PENDING: lazy("等待投票"),
    RoundStatus.OPEN: lazy("正在投票"),
    RoundStatus.COUNTING: lazy("正在计票"),
    RoundStatus.ANNOUNCED: lazy("结果已公布"),
    RoundStatus.CERTIFIED: lazy("结果已确认"),
    RoundStatus.VOID: lazy("本轮无效"),
    RoundStatus.ANNULLED: lazy("结果已被宣布无效"),
}
KIND_LABELS = {
    RoundKind.FIRST: lazy("第一轮投票"),
    RoundKind.FURTHER: lazy("另行选举"),
    RoundKind.TIE_REVOTE: lazy("票数相同，重新投票"),
}
# A void first round is held again as a first round (same rules): say so, not "first".
FIRST_HELD_AGAIN = lazy("上一轮无效，重新投票")


def kind_label(round_: Round) -> LazyText:
    if round_.kind is RoundKind.FIRST and round_.number > 1:
        return FIRST_HELD_AGAIN
    return KIND_LABELS[round_.kind]


def public_results(ctx: Ctx) -> Response:
    election = ELECTION.of(ctx)
    shown = []
    for round_ in election.rounds:
        outcome = results.latest_outcome(ctx.db, round_)
        if outcome is not None:
            shown.append((round_, outcome, results.result_of(outcome)))
    return ctx.render(
        "ballots/results_public.html",
        election=election,
        village=ctx.db.get(Village, election.village_id),
        shown=shown,
        # Ballots written with help, per round: written only while a round is open, so
        # once its result is announced the figure is final.
        helped={round_.id: helped_count(ctx.db, round_) for round_, _, _ in shown},
        status_labels=STATUS_LABELS,
        kind_label=kind_label,
        void_labels=results.VOID_REASONS,
        rule_labels=PROFILE_LABELS,
        rule_sentences=rule_sentences,
        channel_labels=CHANNEL_LABELS,
        anchor=chain_anchor(ctx.db),
    )


def public_tracker(ctx: Ctx) -> Response:
    round_ = ROUND.of(ctx)
    search = ctx.request.query_params.get("code", "").strip()[:40]
    data = tracker.tracker(ctx.db, round_, search)
    return ctx.render(
        "ballots/results_tracker.html",
        election=round_.election,
        round=round_,
        kind_label=kind_label(round_),
        data=data,
        search=search,
    )


def public_export(ctx: Ctx) -> Response:
    round_ = ROUND.of(ctx)
    content = tracker.published_export(ctx.db, round_)
    if content is None:
        raise NotFound(lazy("这一轮的结果还没有公布，公布后才能下载选票数据。"))
    filename = export_filename(round_)
    return Response(
        content,
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


routes = [
    route(
        "/public/elections/{election_id:int}/results",
        public_results,
        name="ballots:results",
        permission=Permission.PUBLIC,
    ),
    route(
        "/public/rounds/{round_id:int}/tracker",
        public_tracker,
        name="ballots:tracker",
        permission=Permission.PUBLIC,
    ),
    route(
        "/public/rounds/{round_id:int}/export.json",
        public_export,
        name="ballots:export",
        permission=Permission.PUBLIC,
    ),
]
