"""The assessment as tables and charts: one description for the page, print, CSV, .xlsx.

The page, the printable version and both exports are drawn from these same tables, so a
figure reads the same everywhere ("85.0%", "无数据").
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from markupsafe import Markup

from app.charts import Bar, Series, bar_chart, line_chart
from app.i18n import gettext_
from app.tables import Column, Table
from assessment.ranking import StandardRanking, TownshipOverview, Trend
from assessment.results import STATUS_LABELS, StandardResult, VillageAssessment
from assessment.standards import percent


def threshold_text(threshold: int | None) -> str:
    return gettext_("不设") if threshold is None else f"{threshold}%"


def status_text(result: StandardResult) -> str:
    return str(STATUS_LABELS[result.status])


def standards_table(assessment: VillageAssessment) -> Table:
    columns = [
        Column("title", gettext_("考核标准"), "text"),
        Column("value", gettext_("测得值"), "percent"),
        Column("threshold", gettext_("达标线"), "text"),
        Column("status", gettext_("结果"), "text"),
        Column("sample", gettext_("样本数"), "int"),
        Column("respondents", gettext_("答卷数"), "int", blank_when_empty=True),
    ]
    rows = [
        {
            "code": r.code,
            "title": r.title,
            "value": r.value,
            "threshold": threshold_text(r.threshold_percent),
            "status": status_text(r),
            "sample": r.sample,
            "respondents": r.respondents,
        }
        for r in assessment.standards
    ]
    return Table(
        gettext_(
            "%(village)s %(year)s 年考核标准", village=assessment.village.name, year=assessment.year
        ),
        columns,
        rows,
        note=gettext_("样本为 0 的标准记为“无数据”，既不算 0%，也不算达标。"),
    )


def village_tables(assessment: VillageAssessment) -> list[Table]:
    tables = [standards_table(assessment)]
    for figure in assessment.participation:
        tables.extend(figure.tables)
    return tables


def village_chart(assessment: VillageAssessment) -> Markup:
    bars = [
        Bar(r.title, percent(r.value), r.threshold_percent)
        for r in assessment.standards
        if r.applies
    ]
    return bar_chart(bars, title=gettext_("各项标准与达标线"))


# --- the township ----------------------------------------------------------------------


def ranking_table(ranking: StandardRanking) -> Table:
    title = gettext_(
        "%(title)s（达标线：%(threshold)s）",
        title=ranking.title,
        threshold=threshold_text(ranking.threshold_percent),
    )
    if not ranking.applies:
        title = gettext_("%(title)s（不考核）", title=ranking.title)
    columns = [
        Column("rank", gettext_("名次"), "int"),
        Column("village", gettext_("村"), "text"),
        Column("value", gettext_("测得值"), "percent"),
        Column("sample", gettext_("样本数"), "int"),
        Column("status", gettext_("结果"), "text"),
    ]
    rows = [
        {
            "rank": row.rank,
            "village": row.village.name,
            "village_id": row.village.id,
            "value": row.result.value,
            "sample": row.result.sample,
            "status": status_text(row.result),
        }
        for row in ranking.rows
    ]
    return Table(title, columns, rows, note=ranking.definition)


def pass_counts_table(overview: TownshipOverview) -> Table:
    columns = [
        Column("title", gettext_("考核标准"), "text"),
        Column("threshold", gettext_("达标线"), "text"),
        Column("township", gettext_("全镇合计"), "percent"),
        Column("passed", gettext_("达标村数"), "int"),
        Column("failed", gettext_("未达标村数"), "int"),
        Column("no_data", gettext_("无数据村数"), "int"),
    ]
    rows = [
        {
            "code": r.code,
            "title": r.title,
            "threshold": threshold_text(r.threshold_percent),
            "township": r.township_value,
            "passed": r.passed,
            "failed": r.failed,
            "no_data": r.no_data,
        }
        for r in overview.standards
        if r.applies
    ]
    return Table(
        gettext_(
            "%(township)s %(year)s 年各标准达标情况",
            township=overview.township.name,
            year=overview.year,
        ),
        columns,
        rows,
        note=gettext_("只统计考核的标准；没有达标线的标准只报告数值。"),
    )


def village_counts_table(overview: TownshipOverview) -> Table:
    columns = [
        Column("village", gettext_("村"), "text"),
        Column("passed", gettext_("达标项数"), "int"),
        Column("failed", gettext_("未达标项数"), "int"),
        Column("no_data", gettext_("无数据项数"), "int"),
    ]
    rows = [
        {
            "village": c.village.name,
            "village_id": c.village.id,
            "passed": c.passed,
            "failed": c.failed,
            "no_data": c.no_data,
        }
        for c in overview.counts
    ]
    return Table(gettext_("各村达标项数"), columns, rows)


def trend_table(trend: Trend) -> Table:
    columns = [Column("name", gettext_("范围"), "text")] + [
        Column(f"y{year}", gettext_("%(year)s 年", year=year), "percent") for year in trend.years
    ]
    rows: list[dict[str, object]] = [
        {"name": gettext_("全镇"), **_by_year(trend.years, trend.township)}
    ]
    rows.extend(
        {"name": village.name, **_by_year(trend.years, values)}
        for village, values in trend.villages
    )
    return Table(gettext_("%(title)s 历年变化", title=trend.title), columns, rows)


def _by_year(years: Sequence[int], values: Sequence[Fraction | None]) -> dict[str, object]:
    return {f"y{year}": value for year, value in zip(years, values, strict=True)}


def trend_chart(trend: Trend) -> Markup:
    series = [Series(gettext_("全镇"), [percent(v) for v in trend.township])]
    series.extend(Series(v.name, [percent(x) for x in values]) for v, values in trend.villages)
    return line_chart(
        series,
        [str(y) for y in trend.years],
        title=gettext_("%(title)s 历年变化", title=trend.title),
    )


def overview_tables(overview: TownshipOverview) -> list[Table]:
    tables = [pass_counts_table(overview), village_counts_table(overview)]
    tables.extend(ranking_table(r) for r in overview.standards)
    tables.extend(trend_table(t) for t in overview.trends if t.years)
    return tables
