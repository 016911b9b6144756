"""The law's integer arithmetic: "more than half", "at least two thirds" and the like.

A `Threshold` compares `value * den` with `num * base`, strictly ("more than half") or
not ("at least two thirds"), so no fraction is ever rounded (see ../shared/RULES.md).
Elections and meetings both count with it, so it lives in the kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.i18n import gettext_, lazy


@dataclass(frozen=True)
class Threshold:
    num: int
    den: int
    strict: bool

    def met(self, value: int, base: int) -> bool:
        left, right = value * self.den, self.num * base
        return left > right if self.strict else left >= right

    def describe(self) -> str:
        word = "more than" if self.strict else "at least"
        return f"{word} {self.num}/{self.den}"

    def minimum(self, base: int) -> int:
        """The least whole number that meets the threshold of `base` (how many votes or
        people are needed, as a notice says it)."""
        if self.strict:
            return self.num * base // self.den + 1
        return -(-self.num * base // self.den)


MORE_THAN_HALF = Threshold(1, 2, strict=True)
AT_LEAST_TWO_THIRDS = Threshold(2, 3, strict=False)
AT_LEAST_ONE_THIRD = Threshold(1, 3, strict=False)


def check_threshold(key: str, value: Any) -> Threshold:
    """A stored override (`{"num", "den", "strict"}`) as a Threshold, or ValueError naming `key`."""
    if isinstance(value, Threshold):
        return value
    if not isinstance(value, dict) or set(value) != {"num", "den", "strict"}:
        raise ValueError(f"{key} must be an object with num, den and strict")
    num, den, strict = value["num"], value["den"], value["strict"]
    whole = all(isinstance(v, int) and not isinstance(v, bool) for v in (num, den))
    if not whole or num < 0 or den < 1 or not isinstance(strict, bool):
        raise ValueError(f"{key}: num >= 0 and den >= 1 must be whole numbers, strict true/false")
    return Threshold(num, den, strict)


_FRACTIONS = {
    (1, 2): lazy("一半"),
    (2, 3): lazy("三分之二"),
    (4, 5): lazy("五分之四"),
    (1, 3): lazy("三分之一"),
}


def in_words(threshold: Threshold, base: str) -> str:
    """'超过应到人数的一半': how the rule reads in a notice, the minutes or the results."""
    known = _FRACTIONS.get((threshold.num, threshold.den))
    frac = str(known) if known else f"{threshold.num}/{threshold.den}"
    if threshold.strict:
        return gettext_("超过%(base)s的%(frac)s", base=base, frac=frac)
    return gettext_("不少于%(base)s的%(frac)s", base=base, frac=frac)
