"""Election turnout of a village's year: per round, by channel, by villagers' group.

A round counts once its voting has closed (counting, announced, certified, void or
annulled: the votes were cast either way), in the year of its election day. Turnout is
credential uses over the roll without struck entries — the figures the count itself
uses (ballots.results.services.round_input). By group: the villagers' group the voter belongs to
now (the registry keeps no history); voters in no group have their own row. Five
grouped queries, however many rounds, voters or votes.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from app.drill import not_drill
from app.i18n import gettext_
from app.registry.models import Group, GroupKind, GroupMembership
from app.tables import Column, Table
from assessment.participation.types import Evidence, ParticipationFigure, Ratio, pooled, year_bounds
from assessment.standards import BY_CODE
from ballots.models import Channel, Credential, CredentialUse, Election, RollEntry, Round
from ballots.models import RoundStatus as S
from ballots.paper.display import CHANNEL_LABELS

VOTING_CLOSED = (S.COUNTING, S.ANNOUNCED, S.CERTIFIED, S.VOID, S.ANNULLED)
NO_GROUP = -1


def _rounds(session: Session, village_id: int, year: int) -> list[tuple[Round, Election]]:
    start, end = year_bounds(year)
    rows = session.execute(
        select(Round, Election)
        .join(Election, Election.id == Round.election_id)
        .where(
            Election.village_id == village_id,
            not_drill(Election),  # a drill (app.drill) is counted nowhere
            Election.election_day >= start,
            Election.election_day < end,
            Round.status.in_(VOTING_CLOSED),
        )
        .order_by(Election.election_day, Election.id, Round.number)
    )
    return [(round_, election) for round_, election in rows]


def _villagers_group() -> Any:
    return and_(
        GroupMembership.person_id == RollEntry.person_id,
        GroupMembership.kind == GroupKind.VILLAGERS,
    )


def _registered(session: Session, election_ids: list[int]) -> dict[tuple[int, int], int]:
    """(election id, villagers' group id or NO_GROUP) -> roll entries not struck."""
    rows = session.execute(
        select(RollEntry.election_id, GroupMembership.group_id, func.count(RollEntry.id))
        .outerjoin(GroupMembership, _villagers_group())
        .where(RollEntry.election_id.in_(election_ids), RollEntry.struck.is_(False))
        .group_by(RollEntry.election_id, GroupMembership.group_id)
    )
    return {(e, g if g is not None else NO_GROUP): int(n) for e, g, n in rows}


def _used(session: Session, round_ids: list[int]) -> dict[tuple[int, int, Channel], int]:
    """(round id, villagers' group id or NO_GROUP, channel) -> credential uses."""
    rows = session.execute(
        select(
            CredentialUse.round_id,
            GroupMembership.group_id,
            CredentialUse.channel,
            func.count(CredentialUse.id),
        )
        .join(Credential, Credential.id == CredentialUse.credential_id)
        .join(RollEntry, RollEntry.id == Credential.roll_entry_id)
        .outerjoin(GroupMembership, _villagers_group())
        .where(CredentialUse.round_id.in_(round_ids))
        .group_by(CredentialUse.round_id, GroupMembership.group_id, CredentialUse.channel)
    )
    return {(r, g if g is not None else NO_GROUP, Channel(c)): int(n) for r, g, c, n in rows}


def _group_names(session: Session, ids: set[int]) -> dict[int, str]:
    found = session.execute(select(Group.id, Group.name).where(Group.id.in_(ids)))
    names = {group_id: name for group_id, name in found}
    names[NO_GROUP] = gettext_("不在任何村民小组")
    return names


def turnout(session: Session, village_id: int, year: int) -> ParticipationFigure:
    rounds = _rounds(session, village_id, year)
    election_ids = sorted({election.id for _, election in rounds})
    round_ids = [round_.id for round_, _ in rounds]
    registered = _registered(session, election_ids) if rounds else {}
    used = _used(session, round_ids) if rounds else {}

    per_round: list[Ratio] = []
    round_rows = []
    evidence = []
    by_group: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # group -> [voted, registered]
    by_channel: dict[Channel, int] = defaultdict(int)
    for round_, election in rounds:
        mine = {k: n for k, n in registered.items() if k[0] == election.id}
        votes = {k: n for k, n in used.items() if k[0] == round_.id}
        ratio = Ratio(sum(votes.values()), sum(mine.values()))
        per_round.append(ratio)
        for (_, group_id), n in mine.items():
            by_group[group_id][1] += n
        for (_, group_id, channel), n in votes.items():
            by_group[group_id][0] += n
            by_channel[channel] += n
        round_rows.append(
            {
                "election": election.title,
                "round": round_.number,
                "day": election.election_day,
                "registered": ratio.denominator,
                "voted": ratio.numerator,
                "share": ratio.value,
            }
        )
        evidence.append(
            Evidence(
                gettext_("%(title)s 第 %(n)s 轮的参选情况", title=election.title, n=round_.number),
                "ballots:turnout",
                {"round_id": round_.id},
            )
        )
    overall = pooled(per_round)
    share = gettext_("参选率")
    tables = [
        Table(
            gettext_("各轮选举的参选率"),
            [
                Column("election", gettext_("选举"), "text"),
                Column("round", gettext_("轮次"), "int"),
                Column("day", gettext_("选举日"), "date"),
                Column("registered", gettext_("登记选民"), "int"),
                Column("voted", gettext_("投票人数"), "int"),
                Column("share", share, "percent"),
            ],
            round_rows,
        ),
        Table(
            gettext_("按投票方式"),
            [
                Column("channel", gettext_("投票方式"), "text"),
                Column("voted", gettext_("投票人数"), "int"),
                Column("share", gettext_("占登记选民"), "percent"),
            ],
            [
                {
                    "channel": str(CHANNEL_LABELS[channel]),
                    "voted": by_channel[channel],
                    "share": Ratio(by_channel[channel], overall.denominator).value,
                }
                for channel in Channel
            ],
            gettext_("各种投票方式的人数相加等于全年投票人数。"),
        ),
        _group_table(session, by_group),
    ]
    return ParticipationFigure(
        "turnout",
        str(BY_CODE["turnout"].title),
        gettext_(
            "本年度（按选举日）已结束投票的每一轮选举：投票人数（使用过投票凭证的人数，"
            "不论扫码、纸质、流动票箱还是委托）÷ 选民名单上未被除名的人数；各轮相加得全年数。"
        ),
        overall,
        tables,
        evidence,
    )


def _group_table(session: Session, by_group: dict[int, list[int]]) -> Table:
    names = _group_names(session, set(by_group) - {NO_GROUP}) if by_group else {}
    order = sorted(by_group, key=lambda g: (g == NO_GROUP, names.get(g, ""), g))
    return Table(
        gettext_("按村民小组"),
        [
            Column("group", gettext_("村民小组"), "text"),
            Column("registered", gettext_("登记选民"), "int"),
            Column("voted", gettext_("投票人数"), "int"),
            Column("share", gettext_("参选率"), "percent"),
        ],
        [
            {
                "group": names[g],
                "registered": by_group[g][1],
                "voted": by_group[g][0],
                "share": Ratio(by_group[g][0], by_group[g][1]).value,
            }
            for g in order
        ],
        gettext_("各轮选举相加；小组按选民现在所在的村民小组计。"),
    )
