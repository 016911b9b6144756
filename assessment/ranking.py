"""Rankings, pass counts and trends across a township's villages (plain functions).

Ranking: best value first; equal values share a rank (1, 1, 3); villages with no data
come last without a rank, shown as 无数据 — no data is never ranked as 0 %.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from app.registry.models import Township, Village
from assessment.results import Setting, StandardResult, VillageAssessment
from assessment.standards import STANDARDS


@dataclass(frozen=True)
class RankedVillage:
    rank: int | None  # None: no data
    village: Village
    result: StandardResult


@dataclass(frozen=True)
class StandardRanking:
    code: str
    title: str
    definition: str
    threshold_percent: int | None
    applies: bool
    township_value: Fraction | None  # pooled over the villages
    rows: list[RankedVillage]
    passed: int
    failed: int
    no_data: int


@dataclass(frozen=True)
class VillageCount:
    """How one village did on the standards that apply and have a threshold."""

    village: Village
    passed: int
    failed: int
    no_data: int

    @property
    def assessed(self) -> int:
        return self.passed + self.failed + self.no_data


@dataclass(frozen=True)
class Trend:
    code: str
    title: str
    years: list[int]  # the years with data for this standard, oldest first
    township: list[Fraction | None]
    villages: list[tuple[Village, list[Fraction | None]]]


@dataclass(frozen=True)
class TownshipOverview:
    township: Township
    year: int
    villages: list[Village]
    settings: Mapping[str, Setting]
    standards: list[StandardRanking]
    counts: list[VillageCount]
    trends: list[Trend]


def ranks(values: Sequence[Fraction | None]) -> list[int | None]:
    """Competition ranks, best (largest) first; None for no data."""
    known = [v for v in values if v is not None]
    return [None if v is None else 1 + sum(1 for other in known if other > v) for v in values]


def rank_villages(results: Sequence[tuple[Village, StandardResult]]) -> list[RankedVillage]:
    positions = ranks([r.value for _v, r in results])
    rows = [RankedVillage(p, v, r) for p, (v, r) in zip(positions, results, strict=True)]
    return sorted(
        rows,
        key=lambda row: (row.rank is None, row.rank or 0, row.village.code, row.village.id),
    )


def pooled(results: Sequence[StandardResult]) -> Fraction | None:
    denominator = sum(r.denominator for r in results)
    return Fraction(sum(r.numerator for r in results), denominator) if denominator else None


def standard_ranking(code: str, assessments: Sequence[VillageAssessment]) -> StandardRanking:
    pairs = [(a.village, a.result(code)) for a in assessments]
    results = [r for _v, r in pairs]
    first = next(iter(results), None)
    standard = next(s for s in STANDARDS if s.code == code)
    return StandardRanking(
        code=code,
        title=str(standard.title),
        definition=str(standard.definition),
        threshold_percent=first.threshold_percent if first else standard.default_threshold,
        applies=first.applies if first else True,
        township_value=pooled(results),
        rows=rank_villages(pairs),
        passed=sum(1 for r in results if r.status == "pass"),
        failed=sum(1 for r in results if r.status == "fail"),
        no_data=sum(1 for r in results if r.status == "no_data"),
    )


def village_count(assessment: VillageAssessment) -> VillageCount:
    judged = [s for s in assessment.standards if s.applies and s.threshold_percent is not None]
    return VillageCount(
        assessment.village,
        passed=sum(1 for s in judged if s.status == "pass"),
        failed=sum(1 for s in judged if s.status == "fail"),
        no_data=sum(1 for s in judged if s.status == "no_data"),
    )


def trend(code: str, history: Mapping[int, Sequence[VillageAssessment]]) -> Trend:
    standard = next(s for s in STANDARDS if s.code == code)
    years: list[int] = []
    township: list[Fraction | None] = []
    per_village: dict[int, list[Fraction | None]] = {}
    villages: dict[int, Village] = {}
    for year in sorted(history):
        results = [a.result(code) for a in history[year]]
        value = pooled(results)
        if value is None:
            continue
        years.append(year)
        township.append(value)
        for assessment in history[year]:
            villages.setdefault(assessment.village.id, assessment.village)
            per_village.setdefault(assessment.village.id, []).append(assessment.result(code).value)
    return Trend(
        code,
        str(standard.title),
        years,
        township,
        [(villages[i], values) for i, values in per_village.items()],
    )


def overview(
    township: Township,
    year: int,
    villages: list[Village],
    settings: Mapping[str, Setting],
    history: Mapping[int, Sequence[VillageAssessment]],
) -> TownshipOverview:
    current = history.get(year, [])
    return TownshipOverview(
        township=township,
        year=year,
        villages=villages,
        settings=settings,
        standards=[standard_ranking(s.code, current) for s in STANDARDS],
        counts=[village_count(a) for a in current],
        trends=[trend(s.code, history) for s in STANDARDS],
    )
