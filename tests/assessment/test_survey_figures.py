"""Satisfaction and awareness figures equal hand counts of hand-made answer sheets."""

from __future__ import annotations

from fractions import Fraction

import pytest

from assessment import survey_figures
from assessment.survey_figures import is_correct
from tests import factories
from tests.assessment import support


def test_a_quiz_answer_is_right_only_when_the_set_is_exact():
    right = frozenset({1, 3})
    assert is_correct([1, 3], right)
    assert not is_correct([1], right)  # a subset
    assert not is_correct([1, 2, 3], right)  # a superset
    assert not is_correct(None, right)  # unanswered
    assert not is_correct([], right)
    assert not is_correct(3, right)  # not a choice answer


def test_satisfaction_equals_the_hand_count(db):
    village = factories.VillageFactory()
    support.satisfaction_survey(village)
    figures = survey_figures.figures_for(db, village.id, 2026)
    assert figures["satisfaction_know"].value == Fraction(2, 3)
    assert figures["satisfaction_know"].sample == 3
    assert figures["satisfaction_know"].respondents == 4
    assert figures["satisfaction_take_part"].value == Fraction(2, 3)
    assert figures["satisfaction_supervise"].value == Fraction(2, 2)
    assert figures["satisfaction_supervise"].sample == 2
    assert figures["satisfaction_overall"].value == Fraction(2, 3)


def test_only_closed_surveys_of_the_year_and_village_count(db):
    village = factories.VillageFactory()
    other = factories.VillageFactory(township=village.township)
    support.satisfaction_survey(village)
    support.know_only_survey(village, [1, 5])  # know: +1 of +2
    support.know_only_survey(village, [5, 5, 5], status="open")
    support.know_only_survey(village, [5, 5, 5], status="draft")
    support.know_only_survey(village, [5, 5, 5], year=2025)
    support.know_only_survey(other, [5, 5, 5])
    support.know_only_survey(village, [5, 5, 5], kind="custom")
    figures = survey_figures.figures_for(db, village.id, 2026)
    assert figures["satisfaction_know"].value == Fraction(3, 5)
    assert figures["satisfaction_know"].sample == 5
    assert figures["satisfaction_know"].respondents == 6
    assert [s.title for s in figures["satisfaction_know"].surveys] == ["满意度调查2026", "测试问卷"]
    assert survey_figures.figures_for(db, village.id, 2025)["satisfaction_know"].value == 1


def test_a_closed_survey_awaiting_its_key_holders_counts_for_nothing_and_is_named(db):
    village = factories.VillageFactory()
    support.satisfaction_survey(village)  # know 2/3, 4 sheets
    waiting = support.sealed_survey(db, village)
    support.sealed_survey(db, village, status="open")  # still answering: not named
    figures = survey_figures.figures_for(db, village.id, 2026)
    know = figures["satisfaction_know"]
    assert (know.value, know.respondents) == (Fraction(2, 3), 4)
    assert [s.title for s in know.surveys] == ["满意度调查2026"]
    assert [(s.id, s.title) for s in know.awaiting] == [(waiting.id, "待开箱调查2026")]
    alone = factories.VillageFactory()
    support.sealed_survey(db, alone)
    only = survey_figures.figures_for(db, alone.id, 2026)["satisfaction_know"]
    assert only.value is None and only.sample == 0 and len(only.awaiting) == 1


def test_awareness_counts_unanswered_and_inexact_answers_as_wrong(db):
    village = factories.VillageFactory()
    support.villager_quiz(village)
    figures = survey_figures.figures_for(db, village.id, 2026)
    awareness = figures["awareness_villager"]
    assert (awareness.numerator, awareness.denominator) == (3, 8)
    assert awareness.sample == 4
    assert figures["awareness_cadre"].value is None
    assert figures["awareness_cadre"].sample == 0


def test_awareness_sums_across_quizzes(db):
    village = factories.VillageFactory()
    support.villager_quiz(village)  # 3 of 8
    factories.survey(
        village,
        "awareness_villager",
        2026,
        [("single", "awareness", [True, False])],
        [{"1": [1]}, {"1": [2]}, {}],
    )  # 1 of 3
    figure = survey_figures.figures_for(db, village.id, 2026)["awareness_villager"]
    assert figure.value == Fraction(4, 11)
    assert figure.sample == 7


@pytest.mark.parametrize("year", [2024, 2026])
def test_a_village_without_surveys_has_no_data_not_zero(db, year):
    village = factories.VillageFactory()
    figures = survey_figures.figures_for(db, village.id, year)
    assert all(f.value is None for f in figures.values())
    assert all(f.sample == 0 for f in figures.values())
