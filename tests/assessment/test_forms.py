"""The settings form and the report year, parsed without a database."""

from __future__ import annotations

import pytest

from assessment import forms
from assessment.standards import CODES


def test_blank_threshold_means_reported_only_and_unticked_means_not_assessed():
    result = forms.parse_settings(
        {"threshold_satisfaction_know": " 90 % ", "threshold_awareness_cadre": ""},
        {"applies_satisfaction_know"},
    )
    assert result.ok
    settings = result.values["settings"]
    assert set(settings) == set(CODES)
    assert settings["satisfaction_know"] == forms.SettingInput(True, 90)
    assert settings["awareness_cadre"] == forms.SettingInput(False, None)


@pytest.mark.parametrize("value", ["101", "-1", "8.5", "八十", "1e2", "0x10"])
def test_thresholds_must_be_whole_percentages(value):
    result = forms.parse_settings({"threshold_turnout": value}, set())
    assert result.errors["threshold_turnout"].startswith("“选举参选率”的达标线请填写 0 到 100")


@pytest.mark.parametrize(("value", "year"), [(None, 2026), ("", 2026), ("2024", 2024)])
def test_the_year_defaults_to_the_current_one(value, year):
    assert forms.parse_year(value, 2026) == year


@pytest.mark.parametrize("value", ["1999", "2201", "20x6", "２０２６", "9" * 5000])
def test_a_year_out_of_range_is_refused(value):
    assert forms.parse_year(value, 2026) is None
