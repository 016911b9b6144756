"""The least number meeting a threshold is what notices print ("至少 63 人"): it must agree
with `met` for every base, at the edges the law cares about (exactly half, two thirds)."""

from __future__ import annotations

import pytest

from app.thresholds import AT_LEAST_ONE_THIRD, AT_LEAST_TWO_THIRDS, MORE_THAN_HALF, Threshold


@pytest.mark.parametrize(
    "threshold", [MORE_THAN_HALF, AT_LEAST_TWO_THIRDS, AT_LEAST_ONE_THIRD, Threshold(4, 5, False)]
)
def test_the_minimum_is_the_least_value_that_meets_it(threshold):
    for base in range(0, 400):
        needed = threshold.minimum(base)
        assert threshold.met(needed, base)
        assert needed == 0 or not threshold.met(needed - 1, base)


def test_the_law_s_edges():
    assert MORE_THAN_HALF.minimum(124) == 63 and MORE_THAN_HALF.minimum(99) == 50
    assert AT_LEAST_TWO_THIRDS.minimum(30) == 20 and AT_LEAST_TWO_THIRDS.minimum(31) == 21
