"""Parsing the survey forms into values and per-field messages (Chinese)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from app.forms import FormResult, required_text, whole_number
from app.i18n import gettext_, lazy
from surveys import rules
from surveys.models import Audience, Measure, QuestionType, SurveyKind
from surveys.services import QuestionInput, SurveyInput
from surveys.templates_builtin import BLANK_LABEL, BUILTIN

SURVEY_FIELDS = ("template", "title", "year", "audience", "group_id", "meeting_id", "assembly_id")
OPTION_ROWS = rules.MAX_OPTIONS

KIND_LABELS = {
    SurveyKind.SATISFACTION: lazy("满意度调查"),
    SurveyKind.AWARENESS_VILLAGER: lazy("知晓率问卷（村民）"),
    SurveyKind.AWARENESS_CADRE: lazy("知晓率问卷（村干部）"),
    SurveyKind.CUSTOM: lazy("自定义问卷"),
}
AUDIENCE_LABELS = {
    Audience.ADULTS: lazy("全村18岁以上村民"),
    Audience.CADRES: lazy("村干部"),
    Audience.GROUP: lazy("一个小组的成员"),
    Audience.MEETING: lazy("参加某次会议的人"),
}
QTYPE_LABELS = {
    QuestionType.SINGLE: lazy("单选题"),
    QuestionType.MULTIPLE: lazy("多选题"),
    QuestionType.SCALE: lazy("打分题（1到5分）"),
}
MEASURE_LABELS = {
    Measure.NONE: lazy("不计入考核"),
    Measure.KNOW: lazy("知情权满意度"),
    Measure.TAKE_PART: lazy("参与权满意度"),
    Measure.SUPERVISE: lazy("监督权满意度"),
    Measure.OVERALL: lazy("总体满意度"),
    Measure.AWARENESS: lazy("知晓率（有正确答案）"),
}


def template_options() -> list[tuple[str, str]]:
    return [(key, str(t.label)) for key, t in BUILTIN.items()] + [("", str(BLANK_LABEL))]


def _optional_id(result: FormResult, name: str, value: str) -> int | None:
    result.raw[name] = value
    if not value:
        return None
    number = whole_number(value)
    if number is None:
        result.error(name, gettext_("请从列表里选择。"))
    return number


def parse_survey(fields: Mapping[str, str]) -> FormResult:
    result = FormResult()
    template = fields.get("template", "")
    result.raw["template"] = template
    if template and template not in BUILTIN:
        result.error("template", gettext_("请从列表里选择问卷模板。"))
    title = required_text(
        result, "title", fields.get("title", ""), label=gettext_("问卷名称"), max_length=200
    )
    result.raw["year"] = fields.get("year", "")
    year = whole_number(fields.get("year", ""))
    if year is None or not 2000 <= year <= 2200:
        result.error("year", gettext_("请填写考核年份，例如 2026。"))
    result.raw["audience"] = fields.get("audience", "")
    try:
        chosen = Audience(fields.get("audience", ""))
    except ValueError:
        chosen = None
        result.error("audience", gettext_("请选择调查对象。"))
    group_id = _optional_id(result, "group_id", fields.get("group_id", ""))
    meeting_id = _optional_id(result, "meeting_id", fields.get("meeting_id", ""))
    assembly_id = _optional_id(result, "assembly_id", fields.get("assembly_id", ""))
    if chosen is Audience.GROUP and group_id is None:
        result.error("group_id", gettext_("调查对象是小组成员时，请选择小组。"))
    if chosen is Audience.MEETING and meeting_id is None:
        result.error("meeting_id", gettext_("调查对象是参会的人时，请选择会议。"))
    if result.ok and chosen is not None and year is not None:
        result.values["input"] = SurveyInput(
            title=title,
            year=year,
            audience=chosen,
            group_id=group_id,
            meeting_id=meeting_id,
            assembly_id=assembly_id,
            template=template,
        )
    return result


def parse_question(
    text: str, qtype: str, measure: str, option_texts: Sequence[str], correct: Sequence[str]
) -> FormResult:
    """The question form: text, type, measure and up to OPTION_ROWS option rows (blank
    rows are skipped); `correct` holds the row numbers (1-based) ticked as correct."""
    result = FormResult()
    result.raw.update({"text": text, "qtype": qtype, "measure": measure})
    try:
        kind = QuestionType(qtype)
    except ValueError:
        kind = None
        result.error("qtype", gettext_("请选择题型。"))
    try:
        chosen = Measure(measure)
    except ValueError:
        chosen = None
        result.error("measure", gettext_("请选择这道题算哪一项考核。"))
    ticked = set(correct)
    options = []
    for row, option_text in enumerate(option_texts[:OPTION_ROWS], start=1):
        result.raw[f"option_{row}"] = option_text
        if option_text:
            options.append((option_text, str(row) in ticked))
    if kind is None or chosen is None:
        return result
    for name, message in rules.question_problems(text, kind, chosen, options).items():
        result.error(name, message)
    if result.ok:
        result.values["input"] = QuestionInput(text, kind, chosen, tuple(options))
    return result


def chosen_positions(result: FormResult) -> dict[str, list[str]]:
    """What was ticked, per question field, to tick it again on the re-shown form."""
    return {name: [v for v in value.split(",") if v] for name, value in result.raw.items()}
