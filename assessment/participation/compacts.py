"""Deliberation coverage, comments answered and delivery of a village's compacts in a year.

A deliberation round belongs to the year of its deadline; coverage per group is the
compacts' own coverage matrix (compacts.rounds.coverage.coverage: members of the group
who commented or voted — through their QR slip or entered by the leader from paper —
over its active members). Comments answered and the days to answer come from one
grouped query over all the year's rounds; days are whole calendar days (China time)
from the comment to its answer. Delivery is the compacts' delivery coverage
(compacts.adoption.delivery.coverage) of each version adopted in the year and published.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.i18n import gettext_
from app.tables import Column, Table
from assessment.participation.types import (
    Evidence,
    ParticipationFigure,
    Ratio,
    days_text,
    local_date,
    median_days,
    pooled,
    year_bounds,
)
from assessment.standards import BY_CODE
from compacts.adoption import delivery
from compacts.models import (
    Adoption,
    Answer,
    Comment,
    Compact,
    DeliberationRound,
    Publication,
    Version,
)
from compacts.rounds import coverage as rounds_coverage

RoundRow = tuple[DeliberationRound, Compact, Version]


def _version_label(compact: Compact, version: Version) -> str:
    return gettext_("%(title)s 第 %(n)s 版", title=compact.title, n=version.number)


def year_rounds(session: Session, village_id: int, year: int) -> list[RoundRow]:
    start, end = year_bounds(year)
    rows = session.execute(
        select(DeliberationRound, Compact, Version)
        .join(Compact, Compact.id == DeliberationRound.compact_id)
        .join(Version, Version.id == DeliberationRound.version_id)
        .where(
            Compact.village_id == village_id,
            DeliberationRound.deadline >= start,
            DeliberationRound.deadline < end,
        )
        .order_by(DeliberationRound.deadline, DeliberationRound.id)
    )
    return [(r, c, v) for r, c, v in rows]


def _round_evidence(rounds: list[RoundRow]) -> list[Evidence]:
    return [
        Evidence(
            gettext_("%(label)s 的征求意见", label=_version_label(c, v)),
            "compacts:round",
            {"deliberation_id": r.id},
        )
        for r, c, v in rounds
    ]


def deliberation(session: Session, rounds: list[RoundRow]) -> ParticipationFigure:
    rows = []
    ratios = []
    for round_, compact, version in rounds:
        found = rounds_coverage.coverage(session, round_)
        label = _version_label(compact, version)
        for group in found.groups:
            rows.append(
                _deliberation_row(label, round_, group.group.name, group.reached, group.members)
            )
        # The round counts each person once, however many of its groups they speak in.
        ratio = Ratio(found.people_reached, found.people)
        ratios.append(ratio)
        if len(found.groups) > 1:
            rows.append(
                _deliberation_row(
                    label,
                    round_,
                    gettext_("全部小组（每人算一次）"),
                    ratio.numerator,
                    ratio.denominator,
                )
            )
    table = Table(
        gettext_("各轮征求意见、各组的参与情况"),
        [
            Column("round", gettext_("征求意见的版本"), "text"),
            Column("deadline", gettext_("截止日期"), "date"),
            Column("group", gettext_("小组"), "text"),
            Column("members", gettext_("组员"), "int"),
            Column("reached", gettext_("提过意见或表过态的组员"), "int"),
            Column("share", gettext_("覆盖率"), "percent"),
        ],
        rows,
        gettext_(
            "包括小组长代为录入的纸质意见和表态。组员只算在册的成年人；同时在几个小组的组员在各组都算，"
            "“全部小组”一行每人只算一次。"
        ),
    )
    return ParticipationFigure(
        "deliberation",
        str(BY_CODE["deliberation"].title),
        gettext_(
            "本年度（按截止日期）的每轮公约征求意见：提过意见或表过态（本人扫码，或小组长代为录入）的人"
            " ÷ 参加的各小组的成年在册组员，同在几个小组的人只算一次；各轮相加得全年数。"
        ),
        pooled(ratios),
        [table],
        _round_evidence(rounds),
    )


def _deliberation_row(
    label: str, round_: DeliberationRound, group: str, reached: int, members: int
) -> dict[str, object]:
    ratio = Ratio(reached, members)
    return {
        "round": label,
        "deadline": round_.deadline,
        "group": group,
        "members": ratio.denominator,
        "reached": ratio.numerator,
        "share": ratio.value,
    }


def comments_answered(session: Session, rounds: list[RoundRow]) -> ParticipationFigure:
    comments: dict[int, int] = defaultdict(int)
    waited: dict[int, list[int]] = defaultdict(list)
    if rounds:
        found = session.execute(
            select(Comment.round_id, Comment.created_at, Answer.answered_at)
            .outerjoin(Answer, Answer.comment_id == Comment.id)
            .where(Comment.round_id.in_([r.id for r, _, _ in rounds]))
        )
        for round_id, created_at, answered_at in found:
            comments[round_id] += 1
            if answered_at is not None:
                waited[round_id].append((local_date(answered_at) - local_date(created_at)).days)
    rows = []
    ratios = []
    for round_, compact, version in rounds:
        ratio = Ratio(len(waited[round_.id]), comments[round_.id])
        ratios.append(ratio)
        rows.append(
            {
                "round": _version_label(compact, version),
                "deadline": round_.deadline,
                "comments": ratio.denominator,
                "answered": ratio.numerator,
                "share": ratio.value,
                "median": median_days(waited[round_.id]),
            }
        )
    every = [days for r, _, _ in rounds for days in waited[r.id]]
    table = Table(
        gettext_("各轮征求意见的答复"),
        [
            Column("round", gettext_("征求意见的版本"), "text"),
            Column("deadline", gettext_("截止日期"), "date"),
            Column("comments", gettext_("收到的意见"), "int"),
            Column("answered", gettext_("已答复"), "int"),
            Column("share", gettext_("答复率"), "percent"),
            Column("median", gettext_("答复用时中位数（天）"), "number"),
        ],
        rows,
        gettext_("全年答复用时中位数：%(days)s 天。", days=days_text(median_days(every))),
    )
    return ParticipationFigure(
        "comments_answered",
        str(BY_CODE["comments_answered"].title),
        gettext_(
            "本年度（按截止日期）各轮公约征求意见收到的意见中，已答复的 ÷ 收到的意见；"
            "答复用时 = 从提意见到答复相隔的日历天数，取中位数。"
        ),
        pooled(ratios),
        [table],
        _round_evidence(rounds),
    )


def _adopted_versions(
    session: Session, village_id: int, year: int
) -> list[tuple[Compact, Version, Publication, date]]:
    start, end = year_bounds(year)
    adopted_on = func.min(Adoption.adopted_on)
    rows = session.execute(
        select(Compact, Version, Publication, adopted_on)
        .join(Version, Version.compact_id == Compact.id)
        .join(Adoption, Adoption.version_id == Version.id)
        .join(Publication, Publication.version_id == Version.id)
        .where(Compact.village_id == village_id, Adoption.adopted.is_(True))
        .group_by(Compact.id, Version.id, Publication.id)
        .having(adopted_on >= start, adopted_on < end)
        .order_by(adopted_on, Version.id)
    )
    return [(c, v, p, day) for c, v, p, day in rows]


def delivered(session: Session, village_id: int, year: int) -> ParticipationFigure:
    rows = []
    ratios = []
    evidence = []
    for compact, version, publication, adopted_on in _adopted_versions(session, village_id, year):
        reach = delivery.coverage(session, version)
        ratio = Ratio(reach.delivered, reach.households)
        ratios.append(ratio)
        rows.append(
            {
                "version": _version_label(compact, version),
                "adopted": adopted_on,
                "published": publication.published_on,
                "households": ratio.denominator,
                "delivered": ratio.numerator,
                "share": ratio.value,
            }
        )
        evidence.append(
            Evidence(
                gettext_("%(label)s 的送达情况", label=_version_label(compact, version)),
                "compacts:delivery",
                {"version_id": version.id},
            )
        )
    table = Table(
        gettext_("通过并公布的公约送达各户"),
        [
            Column("version", gettext_("公约版本"), "text"),
            Column("adopted", gettext_("通过日期"), "date"),
            Column("published", gettext_("公布日期"), "date"),
            Column("households", gettext_("全村户数"), "int"),
            Column("delivered", gettext_("已送达户数"), "int"),
            Column("share", gettext_("入户率"), "percent"),
        ],
        rows,
    )
    return ParticipationFigure(
        "delivery",
        str(BY_CODE["delivery"].title),
        gettext_(
            "本年度（按村民会议通过的日期）通过并已公布的每个公约版本：登记收到的户数"
            "（本户扫码确认，或小组长登记）÷ 全村户数；各版本相加得全年数。"
        ),
        pooled(ratios),
        [table],
        evidence,
    )
