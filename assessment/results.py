"""What an assessment finds: each standard's setting in the township, each standard's
result for a village and year, and the village's whole assessment (plain values)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from app.i18n import lazy
from app.registry.models import Village
from assessment.participation import Evidence, ParticipationFigure


@dataclass(frozen=True)
class Setting:
    code: str
    applies: bool
    threshold_percent: int | None
    customized: bool  # the township changed it (a stored row)


@dataclass(frozen=True)
class StandardResult:
    code: str
    title: str
    definition: str
    value: Fraction | None
    threshold_percent: int | None
    applies: bool
    passed: bool | None  # None: no data, no threshold, or not applied
    sample: int
    evidence: list[Evidence]
    numerator: int = 0
    denominator: int = 0
    respondents: int | None = None  # survey standards: answer sheets

    @property
    def status(self) -> str:
        """off (not assessed) / no_data / reported (no threshold) / pass / fail."""
        if not self.applies:
            return "off"
        if self.value is None:
            return "no_data"
        if self.passed is None:
            return "reported"
        return "pass" if self.passed else "fail"


@dataclass(frozen=True)
class VillageAssessment:
    village: Village
    year: int
    standards: list[StandardResult]
    participation: list[ParticipationFigure]

    def result(self, code: str) -> StandardResult:
        return next(s for s in self.standards if s.code == code)


STATUS_LABELS = {
    "off": lazy("不考核"),
    "no_data": lazy("无数据"),
    "reported": lazy("仅报告"),
    "pass": lazy("达标"),
    "fail": lazy("未达标"),
}
