"""Survey rules as plain functions: question checks, the canonical answers JSON, who is
an adult, what counts as correct or satisfied, and the tally behind the results page.

No database here: services and views pass plain values in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from app.forms import FormResult, whole_number
from app.i18n import gettext_
from app.registry.rules import ADULT_AGE
from surveys.models import Measure, QuestionType

SCALE_VALUES = (1, 2, 3, 4, 5)
SATISFIED_VALUES = frozenset({4, 5})
MIN_OPTIONS = 2
MAX_OPTIONS = 8
TEXT_LIMIT = 1000
OPTION_LIMIT = 200

Answers = dict[str, Any]  # {"1": [2], "2": [1, 3], "3": 4}


@dataclass(frozen=True)
class OptionSpec:
    position: int
    text: str
    correct: bool = False


@dataclass(frozen=True)
class QuestionSpec:
    position: int
    text: str
    qtype: QuestionType
    measure: Measure
    options: tuple[OptionSpec, ...] = ()

    @property
    def correct_positions(self) -> frozenset[int]:
        return frozenset(o.position for o in self.options if o.correct)


# --- checking a question -------------------------------------------------------------------


def measure_fits(qtype: QuestionType, measure: Measure) -> bool:
    """Satisfaction measures need a 1–5 scale; awareness needs options to be right or wrong."""
    if measure is Measure.AWARENESS:
        return qtype is not QuestionType.SCALE
    if measure is Measure.NONE:
        return True
    return qtype is QuestionType.SCALE


def question_problems(
    text: str, qtype: QuestionType, measure: Measure, options: Sequence[tuple[str, bool]]
) -> dict[str, str]:
    """What is wrong with a question, per form field, in plain Chinese (empty when fine)."""
    errors: dict[str, str] = {}
    if not text.strip():
        errors["text"] = gettext_("请填写问题的内容。")
    elif len(text) > TEXT_LIMIT:
        errors["text"] = gettext_("问题最多 %(n)s 个字。", n=TEXT_LIMIT)
    if not measure_fits(qtype, measure):
        if measure is Measure.AWARENESS:
            errors["measure"] = gettext_("知晓率问题要有对错，请改成单选题或多选题。")
        else:
            errors["measure"] = gettext_("满意度问题要用 1 到 5 分打分，请把题型改成“打分题”。")
    if qtype is QuestionType.SCALE:
        if options:
            errors["options"] = gettext_("打分题不用填选项，请把选项删掉。")
        return errors
    if any(len(t) > OPTION_LIMIT for t, _ in options):
        errors["options"] = gettext_("每个选项最多 %(n)s 个字。", n=OPTION_LIMIT)
    elif len(options) < MIN_OPTIONS:
        errors["options"] = gettext_("选择题至少要有 2 个选项，请再填一个选项。")
    elif len(options) > MAX_OPTIONS:
        errors["options"] = gettext_("选项最多 %(n)s 个。", n=MAX_OPTIONS)
    elif len({t for t, _ in options}) != len(options):
        errors["options"] = gettext_("有两个选项写得一模一样，请改一下。")
    correct = sum(1 for _, right in options if right)
    if measure is Measure.AWARENESS and "options" not in errors:
        if correct == 0:
            errors["correct"] = gettext_("知晓率问题至少要标出一个正确答案。")
        elif qtype is QuestionType.SINGLE and correct != 1:
            errors["correct"] = gettext_("单选题只能有一个正确答案，请只勾一个。")
    elif measure is not Measure.AWARENESS and correct:
        errors["correct"] = gettext_("只有知晓率问题才有正确答案，请去掉“正确”的勾。")
    return errors


# --- answers --------------------------------------------------------------------------------


def canonical_answers(answers: Mapping[Any, Any]) -> str:
    """The stored form: sorted keys, no spaces, option positions sorted (see the model)."""
    cleaned: dict[str, Any] = {}
    for key, value in answers.items():
        cleaned[str(key)] = value if isinstance(value, int) else sorted(set(value))
    return json.dumps(cleaned, sort_keys=True, separators=(",", ":"))


def load_answers(text: str) -> Answers:
    value = json.loads(text)
    assert isinstance(value, dict)
    return value


def answer_problem(question: QuestionSpec, value: list[int] | int | None) -> str | None:
    """Why an answer does not fit its question (None if it fits, or is absent)."""
    if value is None:
        return None
    if question.qtype is QuestionType.SCALE:
        if not isinstance(value, int) or value not in SCALE_VALUES:
            return gettext_("第 %(n)s 题请选 1 到 5 分中的一个。", n=question.position)
        return None
    positions = {o.position for o in question.options}
    if isinstance(value, int) or not value or not set(value) <= positions:
        return gettext_("第 %(n)s 题的选择不对，请重新选。", n=question.position)
    if question.qtype is QuestionType.SINGLE and len(value) != 1:
        return gettext_("第 %(n)s 题只能选一个。", n=question.position)
    return None


def is_correct(question: QuestionSpec, value: Any) -> bool:
    """Right iff the chosen set equals the set marked correct (unanswered: not right)."""
    if not isinstance(value, list) or not value:
        return False
    return frozenset(value) == question.correct_positions


def is_satisfied(value: Any) -> bool:
    return isinstance(value, int) and value in SATISFIED_VALUES


def is_adult(birth_year: int, birth_month: int, on: date) -> bool:
    """18 or older in `on`'s month (birth day unknown: counted at the month's start)."""
    age = on.year - birth_year - (1 if on.month < birth_month else 0)
    return age >= ADULT_AGE


def share(numerator: int, denominator: int | None) -> Fraction | None:
    """An exact share; no denominator means no data (never 0 %)."""
    if not denominator:
        return None
    return Fraction(numerator, denominator)


# --- reading a submitted questionnaire --------------------------------------------------


def read_answers(
    questions: Sequence[QuestionSpec], values_of: Callable[[str], list[str]]
) -> FormResult:
    """Read a submitted questionnaire's `q<position>` fields (`values_of(name)` gives a
    field's values) into the answers dict; unanswered questions are absent. Whether
    every question is answered is surveys.answering's check (QR answers only)."""
    result = FormResult()
    answers: Answers = {}
    for question in questions:
        key = str(question.position)
        raw = [v for v in values_of(f"q{key}") if v]
        result.raw[f"q{key}"] = ",".join(raw)
        numbers = [whole_number(v) for v in raw]
        if any(n is None for n in numbers):
            result.error(f"q{key}", gettext_("第 %(n)s 题的选择不对，请重新选。", n=key))
            continue
        chosen = sorted({n for n in numbers if n is not None})
        if not chosen:
            continue
        value: list[int] | int = chosen
        if question.qtype is QuestionType.SCALE:
            if len(chosen) != 1:
                result.error(f"q{key}", gettext_("第 %(n)s 题只能选一个分数。", n=key))
                continue
            value = chosen[0]
        answers[key] = value
        problem = answer_problem(question, value)
        if problem:
            result.error(f"q{key}", problem)
    result.values["answers"] = answers
    return result


# --- the tally ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionCount:
    position: int
    label: str
    correct: bool
    count: int


@dataclass(frozen=True)
class QuestionResult:
    question: QuestionSpec
    answered: int  # responses that answered this question
    counts: tuple[OptionCount, ...]  # per option, or per scale value 1..5
    correct: int  # responses with exactly the correct options (awareness only)
    satisfied: int  # answers of 4 or 5 (scale only)
    responses: int

    @property
    def share_correct(self) -> Fraction | None:
        """Correct / responses: an unanswered question counts as not correct."""
        if self.question.measure is not Measure.AWARENESS:
            return None
        return share(self.correct, self.responses)

    @property
    def share_satisfied(self) -> Fraction | None:
        """Answers of 4 or 5 / answers to this scale question."""
        if self.question.qtype is not QuestionType.SCALE:
            return None
        return share(self.satisfied, self.answered)

    def share_of(self, count: int) -> Fraction | None:
        return share(count, self.answered)


def tally(
    questions: Sequence[QuestionSpec], sheets: Sequence[Answers], scale_labels: Sequence[str]
) -> list[QuestionResult]:
    """Count every question over the answer sheets."""
    results = []
    for question in questions:
        key = str(question.position)
        values = [sheet[key] for sheet in sheets if key in sheet]
        if question.qtype is QuestionType.SCALE:
            counts = tuple(
                OptionCount(v, scale_labels[v - 1], False, sum(1 for x in values if x == v))
                for v in SCALE_VALUES
            )
        else:
            counts = tuple(
                OptionCount(
                    o.position,
                    o.text,
                    o.correct,
                    sum(1 for x in values if isinstance(x, list) and o.position in x),
                )
                for o in question.options
            )
        correct = 0
        if question.measure is Measure.AWARENESS:
            correct = sum(1 for x in values if is_correct(question, x))
        results.append(
            QuestionResult(
                question=question,
                answered=len(values),
                counts=counts,
                correct=correct,
                satisfied=sum(1 for x in values if is_satisfied(x)),
                responses=len(sheets),
            )
        )
    return results
