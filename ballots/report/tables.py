"""The election report as tables (app.tables): one description for the page, the A4
print, the CSV and the .xlsx, so a figure reads the same everywhere and every figure is
a number in the .xlsx."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from app.i18n import gettext_
from app.registry.labels import SEX_LABELS
from app.registry.models import Sex
from app.tables import Column, Table
from ballots.models import Channel
from ballots.paper.display import CHANNEL_LABELS
from ballots.report.rules import AGE_BANDS, band_counts, share
from ballots.report.services import ElectionReport, RoundFigures, TownshipReport
from ballots.results.views_public import STATUS_LABELS, kind_label
from ballots.setup.rules import STAGE_LABELS


def _drill(report: ElectionReport, title: str) -> str:
    return gettext_("【演练】%(title)s", title=title) if report.election.is_drill else title


def not_entered() -> str:
    return gettext_("未填写")


def status_text(report: ElectionReport) -> str:
    """Where the election stands, for the township: in force, void, or how far it got."""
    if report.in_force:
        return gettext_("结果已生效")
    if report.annulled:
        return gettext_("结果已被宣布无效")
    return gettext_("未完成（%(stage)s）", stage=STAGE_LABELS[report.election.stage])


def elected_note(report: ElectionReport) -> str:
    if report.in_force:
        return ""
    if report.annulled:
        return gettext_("结果已被宣布无效，没有当选人。")
    return gettext_("选举结果还没有生效（监计票人确认后生效），当选人暂不列入。")


def rounds_text(report: ElectionReport) -> str:
    """Each round in words: 第 1 轮：第一轮投票，结果已公布；…"""
    # The separator in the page's language (a Chinese semicolon is not English punctuation).
    return gettext_("；").join(
        gettext_(
            "第 %(n)s 轮：%(kind)s，%(status)s",
            n=figures.round.number,
            kind=kind_label(figures.round),
            status=STATUS_LABELS[figures.round.status],
        )
        for figures in report.rounds
    )


# --- one election --------------------------------------------------------------------


def summary_table(report: ElectionReport) -> Table:
    facilities = report.facilities
    columns = [
        Column("item", gettext_("项目"), "text"),
        Column("value", gettext_("数量"), "int", empty_text=not_entered()),
        Column("note", gettext_("说明"), "text"),
    ]
    entered = (
        gettext_(
            "组织者 %(day)s 填写",
            day=facilities.record.entered_at.date().isoformat(),
        )
        if facilities is not None
        else gettext_("由组织者在本页填写")
    )
    rows: list[dict[str, Any]] = [
        {
            "item": gettext_("登记选民"),
            "value": report.registered,
            "note": gettext_("选民名单上的人数，被除名的不算"),
        },
        {"item": gettext_("投票轮数"), "value": len(report.held), "note": rounds_text(report)},
        {
            "item": gettext_("委托投票（登记的委托）"),
            "value": report.proxies,
            "note": gettext_("没有撤销的书面委托"),
        },
        {
            "item": gettext_("票箱"),
            "value": None if facilities is None else facilities.ballot_boxes,
            "note": entered,
        },
        {
            "item": gettext_("流动票箱"),
            "value": None if facilities is None else facilities.mobile_boxes,
            "note": entered,
        },
        {
            "item": gettext_("秘密写票处"),
            "value": None if facilities is None else facilities.booths,
            "note": entered,
        },
    ]
    return Table(_drill(report, gettext_("基本情况")), columns, rows)


def _round_labels() -> list[str]:
    return [
        gettext_("参加投票的人数"),
        *(gettext_("其中%(channel)s", channel=CHANNEL_LABELS[c]) for c in Channel),
        gettext_("代写的选票"),
        gettext_("投出的选票"),
        gettext_("有效票（含空白票）"),
        gettext_("其中空白票"),
        gettext_("无效票（废票）"),
    ]


def _round_values(f: RoundFigures) -> list[int | None]:
    """The round's figures in the order of `_round_labels`."""
    return [
        f.took_part,
        *(f.channels[c.value] for c in Channel),
        f.helped,
        f.ballots_cast,
        f.valid,
        f.blank,
        f.invalid,
    ]


def rounds_table(report: ElectionReport) -> Table:
    """The figures down the side, one column per round held: a further round sits beside
    the first (each round has its own voters and ballots). A round still waiting to open
    has no column."""
    held = report.held
    columns = [Column("item", gettext_("项目"), "text")]
    columns += [
        Column(f"round_{f.round.number}", gettext_("第 %(n)s 轮", n=f.round.number), "int")
        for f in held
    ]
    rows: list[dict[str, Any]] = [{"item": label} for label in _round_labels()]
    for f in held:
        for row, value in zip(rows, _round_values(f), strict=True):
            row[f"round_{f.round.number}"] = value
    note = ""
    if any(f.result is None for f in held):
        note = gettext_("还没有计票的一轮，选票数记为“无数据”。")
    return Table(_drill(report, gettext_("各轮投票情况")), columns, rows, note=note)


def elected_table(report: ElectionReport) -> Table:
    columns = [
        Column("name", gettext_("姓名"), "text"),
        Column("sex", gettext_("性别"), "text"),
        Column("age", gettext_("选举日年龄"), "int", blank_when_empty=True),
        Column("band", gettext_("年龄段"), "text"),
        Column("round", gettext_("当选轮次"), "int"),
    ]
    unknown = gettext_("不详")
    rows = [
        {
            "name": person.name,
            "sex": str(SEX_LABELS[person.sex]) if person.sex is not None else unknown,
            "age": person.age,
            "band": str(person.band.label) if person.band is not None else unknown,
            "round": person.round_number,
        }
        for person in report.elected
    ]
    note = elected_note(report) or gettext_(
        "性别和年龄取自村民登记；另选他人当选、登记里没有的人记为“不详”，不计入女性所占比例。"
    )
    return Table(_drill(report, gettext_("当选人")), columns, rows, note=note)


def _sex_columns() -> list[Column]:
    return [
        Column("elected", gettext_("当选人数"), "int"),
        Column("women", gettext_("其中女性"), "int"),
        Column("share_women", gettext_("女性占当选人数"), "percent"),
    ]


def _age_columns() -> list[Column]:
    return [Column(band.key, str(band.label), "int") for band in AGE_BANDS]


def _structure_row(reports: Sequence[ElectionReport]) -> dict[str, Any]:
    elected = [person for report in reports for person in report.elected]
    women = sum(person.sex is Sex.FEMALE for person in elected)
    known = sum(person.sex is not None for person in elected)  # the share is among these
    return {
        "elected": len(elected),
        "women": women,
        "share_women": share(women, known),
        **band_counts([person.age for person in elected]),
    }


def structure_table(report: ElectionReport) -> Table:
    """The elected by sex and age band, and the share of women: one row."""
    rows = [_structure_row([report])] if report.in_force else []
    return Table(
        _drill(report, gettext_("当选人结构")),
        [*_sex_columns(), *_age_columns()],
        rows,
        note=elected_note(report),
    )


def election_tables(report: ElectionReport) -> list[Table]:
    return [
        summary_table(report),
        rounds_table(report),
        elected_table(report),
        structure_table(report),
    ]


# --- the township ----------------------------------------------------------------------


def _total(rows: list[dict[str, Any]], keys: Sequence[str]) -> dict[str, int | None]:
    """The column sums; a column nobody filled in stays empty ("未填写")."""
    totals: dict[str, int | None] = {}
    for key in keys:
        values = [row[key] for row in rows if row.get(key) is not None]
        totals[key] = sum(values) if values else None
    return totals


def _per_election(
    township: TownshipReport,
    title: str,
    columns: list[Column],
    values: Callable[[ElectionReport], dict[str, Any]],
    summed: Sequence[str],
    note: str = "",
) -> Table:
    """One row per election (village and election first), then the township's total."""
    rows = [
        {"village": r.village.name, "election": r.election.title, **values(r)}
        for r in township.reports
    ]
    if rows:
        total = {"village": gettext_("合计"), "election": gettext_("%(n)s 场选举", n=len(rows))}
        rows.append({**total, **_total(rows, summed)})
    first = [
        Column("village", gettext_("村"), "text"),
        Column("election", gettext_("选举"), "text"),
    ]
    return Table(title, [*first, *columns], rows, note=note)


def elections_table(township: TownshipReport) -> Table:
    def values(report: ElectionReport) -> dict[str, Any]:
        return {
            "day": report.election.election_day,
            "seats": report.election.seats,
            "rounds": len(report.held),
            "status": status_text(report),
        }

    columns = [
        Column("day", gettext_("选举日"), "date"),
        Column("seats", gettext_("应选名额"), "int"),
        Column("rounds", gettext_("投票轮数"), "int"),
        Column("status", gettext_("状态"), "text"),
    ]
    return _per_election(township, gettext_("各村的选举"), columns, values, ["seats", "rounds"])


def turnout_table(township: TownshipReport) -> Table:
    def values(report: ElectionReport) -> dict[str, Any]:
        first = report.first
        return {
            "registered": report.registered,
            "took_part": 0 if first is None else first.took_part,
            **{c.value: 0 if first is None else first.channels[c.value] for c in Channel},
            "helped": 0 if first is None else first.helped,
        }

    columns = [
        Column("registered", gettext_("登记选民"), "int"),
        Column("took_part", gettext_("参加投票"), "int"),
        *(Column(c.value, str(CHANNEL_LABELS[c]), "int") for c in Channel),
        Column("helped", gettext_("代写的选票"), "int"),
    ]
    return _per_election(
        township,
        gettext_("参加投票的人数（第一轮）"),
        columns,
        values,
        [column.key for column in columns],
        gettext_("每场选举取第一轮；另行选举各轮的人数见每场选举的报表。"),
    )


def ballots_table(township: TownshipReport) -> Table:
    def values(report: ElectionReport) -> dict[str, Any]:
        first, facilities = report.first, report.facilities
        return {
            "ballots_cast": None if first is None else first.ballots_cast,
            "valid": None if first is None else first.valid,
            "blank": None if first is None else first.blank,
            "invalid": None if first is None else first.invalid,
            "proxies": report.proxies,
            "ballot_boxes": None if facilities is None else facilities.ballot_boxes,
            "mobile_boxes": None if facilities is None else facilities.mobile_boxes,
            "booths": None if facilities is None else facilities.booths,
        }

    entered = not_entered()
    columns = [
        Column("ballots_cast", gettext_("投出的选票"), "int"),
        Column("valid", gettext_("有效票"), "int"),
        Column("blank", gettext_("其中空白票"), "int"),
        Column("invalid", gettext_("无效票"), "int"),
        Column("proxies", gettext_("登记的委托"), "int"),
        Column("ballot_boxes", gettext_("票箱"), "int", empty_text=entered),
        Column("mobile_boxes", gettext_("流动票箱"), "int", empty_text=entered),
        Column("booths", gettext_("秘密写票处"), "int", empty_text=entered),
    ]
    return _per_election(
        township,
        gettext_("选票（第一轮）和投票设施"),
        columns,
        values,
        [column.key for column in columns],
        gettext_(
            "还没有计票的选票数记为“无数据”；票箱和写票处由各村组织者填写，“未填写”的不计入合计。"
        ),
    )


def _by_village(township: TownshipReport) -> list[dict[str, Any]]:
    """One row per village, then the township's total: elections held, in force, elected."""
    groups = [
        (village.name, [r for r in township.reports if r.village.id == village.id])
        for village in township.villages
    ]
    if groups:
        groups.append((gettext_("合计"), township.reports))
    return [
        {
            "village": name,
            "elections": len(reports),
            "in_force": sum(r.in_force for r in reports),
            **_structure_row(reports),
        }
        for name, reports in groups
    ]


def township_sex_table(township: TownshipReport) -> Table:
    """The elected by village, and how many of them are women."""
    columns = [
        Column("village", gettext_("村"), "text"),
        Column("elections", gettext_("选举场数"), "int"),
        Column("in_force", gettext_("结果已生效"), "int"),
        *_sex_columns(),
    ]
    return Table(
        gettext_("当选人和女性当选人（按村）"),
        columns,
        _by_village(township),
        note=gettext_("只计结果已经生效的选举。"),
    )


def township_age_table(township: TownshipReport) -> Table:
    """The elected by village and age band on election day."""
    columns = [
        Column("village", gettext_("村"), "text"),
        Column("elected", gettext_("当选人数"), "int"),
        *_age_columns(),
    ]
    return Table(
        gettext_("当选人的年龄（按村）"),
        columns,
        _by_village(township),
        note=gettext_("年龄按选举日计算；登记里没有的当选人不计入年龄段。"),
    )


def township_tables(township: TownshipReport) -> list[Table]:
    return [
        elections_table(township),
        turnout_table(township),
        ballots_table(township),
        township_sex_table(township),
        township_age_table(township),
    ]
