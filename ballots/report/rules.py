"""The report's plain rules: the age bands of the elected, the share of women.

The civil-affairs statistics form counts the elected by age band on election day. The
registry keeps the birth year and month only, so an age is counted from the start of
the birth month (app.registry.rules.age), as the roll's 18-or-older rule is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from app.i18n import LazyText, lazy


@dataclass(frozen=True)
class AgeBand:
    key: str
    label: LazyText
    least: int | None  # the youngest age in the band (None: no lower bound)
    most: int | None  # the oldest (None: no upper bound)

    def holds(self, years: int) -> bool:
        return (self.least is None or years >= self.least) and (
            self.most is None or years <= self.most
        )


AGE_BANDS: tuple[AgeBand, ...] = (
    AgeBand("to_35", lazy("35 岁及以下"), None, 35),
    AgeBand("36_45", lazy("36 至 45 岁"), 36, 45),
    AgeBand("46_55", lazy("46 至 55 岁"), 46, 55),
    AgeBand("56_60", lazy("56 至 60 岁"), 56, 60),
    AgeBand("61_up", lazy("61 岁及以上"), 61, None),
)


def band_of(years: int) -> AgeBand:
    return next(band for band in AGE_BANDS if band.holds(years))


def share(part: int, whole: int) -> Fraction | None:
    """part / whole exactly; None (no data, never 0 %) when there is no whole."""
    return Fraction(part, whole) if whole else None


def band_counts(ages: Sequence[int | None]) -> dict[str, int]:
    """How many of `ages` fall in each band, every band listed; unknown ages are left out."""
    counts = {band.key: 0 for band in AGE_BANDS}
    for years in ages:
        if years is not None:
            counts[band_of(years).key] += 1
    return counts
