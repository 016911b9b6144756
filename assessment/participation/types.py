"""The shapes of the participation figures (assessment.participation builds them).

Kept apart from the builders so each figure's module can import them without a cycle;
assessment.participation re-exports them.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from fractions import Fraction

from app.i18n import gettext_
from app.tables import Table, no_data, number_text
from app.templating import CHINA_TIME


@dataclass(frozen=True)
class Ratio:
    """An exact share; a zero denominator is "no data" (value None), never 0 %."""

    numerator: int
    denominator: int

    @property
    def value(self) -> Fraction | None:
        return Fraction(self.numerator, self.denominator) if self.denominator else None


@dataclass(frozen=True)
class Evidence:
    """A link to the record a figure was counted from: a named route and its path params."""

    label: str
    route: str
    params: dict[str, int]


@dataclass(frozen=True)
class ParticipationFigure:
    code: str
    title: str
    definition: str
    overall: Ratio
    tables: list[Table]
    evidence: list[Evidence]


def pooled(ratios: Sequence[Ratio]) -> Ratio:
    """Numerators over denominators, summed: the year's figure."""
    return Ratio(sum(r.numerator for r in ratios), sum(r.denominator for r in ratios))


def year_bounds(year: int) -> tuple[date, date]:
    """[1 January, next 1 January) of the year, as dates."""
    return date(year, 1, 1), date(year + 1, 1, 1)


def year_instants(year: int) -> tuple[datetime, datetime]:
    """The year in China time as UTC instants: [local 1 January 00:00, next year's)."""
    start = datetime(year, 1, 1, tzinfo=CHINA_TIME).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=CHINA_TIME).astimezone(UTC)
    return start, end


def local_date(moment: datetime) -> date:
    return moment.astimezone(CHINA_TIME).date()


def yes_no(value: bool) -> str:
    return gettext_("是") if value else gettext_("否")


def median_days(days: Sequence[int]) -> Fraction | None:
    """The median of whole days (a half when the count is even); None for none."""
    if not days:
        return None
    return Fraction(statistics.median_low(days) + statistics.median_high(days), 2)


def days_text(days: Fraction | None) -> str:
    """Whole days as "3", a half as "2.5"; "无数据" when there is nothing to measure."""
    return no_data() if days is None else number_text(days)
