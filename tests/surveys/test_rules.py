"""Survey rules without a database: question checks, canonical answers, correctness,
satisfaction, adulthood, the tally, and the built-in questionnaires."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from surveys import rules
from surveys.models import Measure, QuestionType, SurveyKind
from surveys.rules import OptionSpec, QuestionSpec
from surveys.templates_builtin import BUILTIN, SCALE_LABELS

S, M, SC = QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.SCALE
A, N = Measure.AWARENESS, Measure.NONE


def test_a_choice_question_needs_two_options():
    problems = rules.question_problems("您同意吗？", S, N, [("同意", False)])
    assert problems == {"options": "选择题至少要有 2 个选项，请再填一个选项。"}
    assert rules.question_problems("您同意吗？", S, N, [("同意", False), ("不同意", False)]) == {}


def test_an_awareness_question_needs_a_correct_option():
    problems = rules.question_problems("几岁能投票？", M, A, [("16", False), ("18", False)])
    assert problems == {"correct": "知晓率问题至少要标出一个正确答案。"}


def test_a_single_choice_awareness_question_has_exactly_one_correct_option():
    problems = rules.question_problems("几岁能投票？", S, A, [("16", True), ("18", True)])
    assert problems == {"correct": "单选题只能有一个正确答案，请只勾一个。"}
    assert rules.question_problems("几岁能投票？", M, A, [("16", True), ("18", True)]) == {}


def test_measures_fit_question_types():
    assert "measure" in rules.question_problems("满意吗？", SC, A, [])
    assert "measure" in rules.question_problems(
        "满意吗？", S, Measure.KNOW, [("是", False), ("否", False)]
    )
    assert rules.question_problems("满意吗？", SC, Measure.KNOW, []) == {}
    assert "options" in rules.question_problems("满意吗？", SC, Measure.KNOW, [("是", False)])
    assert "text" in rules.question_problems("  ", SC, Measure.KNOW, [])
    assert "correct" in rules.question_problems("吃了吗？", S, N, [("是", True), ("否", False)])


def test_canonical_answers_sort_keys_and_options_without_spaces():
    text = rules.canonical_answers({"3": 4, 1: [2], "2": [3, 1]})
    assert text == '{"1":[2],"2":[1,3],"3":4}'
    assert rules.load_answers(text) == {"1": [2], "2": [1, 3], "3": 4}


QUIZ = QuestionSpec(
    1, "哪些对？", M, A, (OptionSpec(1, "甲", True), OptionSpec(2, "乙", True), OptionSpec(3, "丙"))
)
SCALE = QuestionSpec(2, "满意吗？", SC, Measure.OVERALL)


def test_correct_means_exactly_the_correct_options():
    assert rules.is_correct(QUIZ, [1, 2])
    assert not rules.is_correct(QUIZ, [1])
    assert not rules.is_correct(QUIZ, [1, 2, 3])
    assert not rules.is_correct(QUIZ, None)


def test_satisfied_is_four_or_five():
    assert [rules.is_satisfied(v) for v in (1, 2, 3, 4, 5)] == [False, False, False, True, True]


def test_adult_from_the_birth_month():
    assert rules.is_adult(2008, 11, date(2026, 11, 1))
    assert not rules.is_adult(2008, 12, date(2026, 11, 30))


def test_answers_that_do_not_fit_are_named_by_question():
    assert rules.answer_problem(SCALE, 6) == "第 2 题请选 1 到 5 分中的一个。"
    assert rules.answer_problem(QUIZ, [4]) == "第 1 题的选择不对，请重新选。"
    single = QuestionSpec(3, "选一个", S, N, (OptionSpec(1, "甲"), OptionSpec(2, "乙")))
    assert rules.answer_problem(single, [1, 2]) == "第 3 题只能选一个。"
    assert rules.answer_problem(single, None) is None


def test_tally_counts_distributions_correct_and_satisfied():
    sheets = [{"1": [1, 2], "2": 5}, {"1": [1], "2": 3}, {"2": 4}, {}]
    quiz, scale = rules.tally([QUIZ, SCALE], sheets, [str(x) for x in SCALE_LABELS])
    assert [c.count for c in quiz.counts] == [2, 1, 0]
    assert quiz.answered == 2 and quiz.correct == 1
    # Unanswered counts as not correct: 1 of 4 sheets.
    assert quiz.share_correct == Fraction(1, 4)
    assert quiz.share_satisfied is None
    assert [c.count for c in scale.counts] == [0, 0, 1, 1, 1]
    assert scale.share_satisfied == Fraction(2, 3)
    assert scale.share_correct is None
    assert rules.share(0, 0) is None and rules.share(0, None) is None


def test_the_satisfaction_template_asks_the_four_measures_on_a_scale():
    template = BUILTIN["satisfaction"]
    assert template.kind is SurveyKind.SATISFACTION
    assert [q.measure for q in template.questions] == [
        Measure.KNOW,
        Measure.TAKE_PART,
        Measure.SUPERVISE,
        Measure.OVERALL,
    ]
    assert all(q.qtype is SC for q in template.questions)
    assert [str(x) for x in SCALE_LABELS] == ["很不满意", "不满意", "一般", "满意", "很满意"]


def test_the_quizzes_are_valid_awareness_questions():
    for key, kind in (
        ("awareness_villager", SurveyKind.AWARENESS_VILLAGER),
        ("awareness_cadre", SurveyKind.AWARENESS_CADRE),
    ):
        template = BUILTIN[key]
        assert template.kind is kind
        assert 5 <= len(template.questions) <= 8
        for q in template.questions:
            assert q.measure is A
            options = [(t.message, ok) for t, ok in q.options]
            assert rules.question_problems(q.text.message, q.qtype, q.measure, options) == {}
    villager = " ".join(q.text.message for q in BUILTIN["awareness_villager"].questions)
    assert "18" in "".join(
        t.message for q in BUILTIN["awareness_villager"].questions for t, ok in q.options if ok
    )
    assert "15天" in "".join(
        t.message for q in BUILTIN["awareness_villager"].questions for t, ok in q.options if ok
    )
    assert "村规民约" in villager


def test_reading_a_submitted_questionnaire():
    fields = {"q1": ["2", "1"], "q2": ["4"], "q3": []}
    third = QuestionSpec(3, "选一个", S, N, (OptionSpec(1, "甲"), OptionSpec(2, "乙")))
    result = rules.read_answers([QUIZ, SCALE, third], lambda name: fields.get(name, []))
    assert result.ok and result.values["answers"] == {"1": [1, 2], "2": 4}
    bad = {"q1": ["x"], "q2": ["4", "5"]}
    result = rules.read_answers([QUIZ, SCALE], lambda name: bad.get(name, []))
    assert result.errors == {
        "q1": "第 1 题的选择不对，请重新选。",
        "q2": "第 2 题只能选一个分数。",
    }
