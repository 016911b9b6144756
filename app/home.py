"""The staff home page: today's work first (a vote in progress, a count to make, a meeting to
check people in to), then what this account can reach."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from starlette.responses import Response

from app.drill import not_drill
from app.i18n import gettext_, ngettext_
from app.permissions import ROLE_LABELS, Permission, Principal, allows
from app.registry.models import Household, Person, Village
from app.registry.paths import route
from app.web import Ctx
from ballots.models import Election, Round, RoundStatus
from compacts.adoption.services import waiting_filings
from meetings.models import Meeting, MeetingStatus


@dataclass(frozen=True)
class Task:
    """One thing to do today, with where to do it."""

    what: str
    links: list[tuple[str, str]]  # (label, url)


def _tasks(ctx: Ctx, user: Principal, village_ids: list[int]) -> list[Task]:
    tasks: list[Task] = []
    rounds = ctx.db.execute(
        select(Round, Election)
        .join(Election, Election.id == Round.election_id)
        .where(
            Election.village_id.in_(village_ids),
            not_drill(Election),  # a drill (app.drill) shows only on its own pages
            Round.status.in_((RoundStatus.OPEN, RoundStatus.COUNTING)),
        )
        .order_by(Election.id, Round.number)
    ).all()
    for round_, election in rounds:
        page = ctx.url("ballots:round", round_id=round_.id)
        if round_.status is RoundStatus.OPEN:
            links = [(gettext_("本轮投票页面"), page)]
            if allows(user, Permission.ELECTION_COUNT):
                links += [
                    (gettext_("发纸质选票"), ctx.url("ballots:paper", round_id=round_.id)),
                    (gettext_("流动票箱"), ctx.url("ballots:mobile_box", round_id=round_.id)),
                ]
            what = gettext_(
                "正在投票：%(title)s（第 %(n)s 轮）", title=election.title, n=round_.number
            )
        else:
            links = [(gettext_("开箱、计票、公布结果"), page)]
            what = gettext_(
                "投票已结束，等待计票：%(title)s（第 %(n)s 轮）",
                title=election.title,
                n=round_.number,
            )
        tasks.append(Task(what, links))
    if allows(user, Permission.MEETING_ATTENDANCE):
        meetings = ctx.db.scalars(
            select(Meeting)
            .where(
                Meeting.village_id.in_(village_ids),
                not_drill(Meeting),
                Meeting.status == MeetingStatus.OPEN,
            )
            .order_by(Meeting.starts_at)
        )
        for meeting in meetings:
            tasks.append(
                Task(
                    gettext_("正在开会：%(title)s", title=meeting.title),
                    [(gettext_("签到"), ctx.url("meetings:attendance", meeting_id=meeting.id))],
                )
            )
    if allows(user, Permission.COMPACT_FILE):
        waiting = [
            f
            for f in waiting_filings(ctx.db, user.township_id)
            if f.filing.submitted_by_id != user.id
        ]
        if waiting:
            tasks.append(
                Task(
                    ngettext_(
                        "%(num)s 份村规民约备案等您答复",
                        "%(num)s 份村规民约备案等您答复",
                        len(waiting),
                    ),
                    [(gettext_("等待答复的备案"), ctx.url("compacts:filings"))],
                )
            )
    return tasks


def home(ctx: Ctx) -> Response:
    user = ctx.require_user()
    stmt = select(Village).where(Village.township_id == user.township_id)
    if user.village_id is not None:
        stmt = stmt.where(Village.id == user.village_id)
    villages = list(ctx.db.scalars(stmt.order_by(Village.code)))
    ids = [v.id for v in villages]
    people = dict(
        ctx.db.execute(
            select(Person.village_id, func.count())
            .where(Person.village_id.in_(ids), Person.active)
            .group_by(Person.village_id)
        ).all()
    )
    households = dict(
        ctx.db.execute(
            select(Household.village_id, func.count())
            .where(Household.village_id.in_(ids))
            .group_by(Household.village_id)
        ).all()
    )
    return ctx.render(
        "home.html",
        tasks=_tasks(ctx, user, ids),
        villages=villages,
        people=people,
        households=households,
        role_label=ROLE_LABELS[user.role],
    )


routes = [route("/", home, name="home", permission=Permission.SIGNED_IN)]
