"""The assessment standards: codes, titles, definitions and default thresholds.

Survey standards come from the township's assessment standards (RULES.md); the
participation figures are standards too, reported without pass or fail unless a
township sets a threshold. The order here is the order of every table and chart.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from fractions import Fraction

from app.i18n import LazyText, lazy


class Source(enum.StrEnum):
    SURVEY = "survey"  # assessment.survey_figures
    PARTICIPATION = "participation"  # assessment.participation


@dataclass(frozen=True)
class Standard:
    code: str
    title: LazyText
    definition: LazyText
    default_threshold: int | None  # whole percent; None = reported only
    source: Source


STANDARDS: tuple[Standard, ...] = (
    Standard(
        "awareness_cadre",
        lazy("村干部知晓率"),
        lazy(
            "本年度已结束的村干部知晓问卷中，每份答卷的每道知识题，所选选项与正确选项完全一致"
            "才算答对（未作答算答错）；知晓率 = 答对题数 ÷（答卷数 × 知识题数）。样本为答卷数。"
        ),
        90,
        Source.SURVEY,
    ),
    Standard(
        "awareness_villager",
        lazy("村民知晓率"),
        lazy(
            "本年度已结束的村民知晓问卷中，每份答卷的每道知识题，所选选项与正确选项完全一致"
            "才算答对（未作答算答错）；知晓率 = 答对题数 ÷（答卷数 × 知识题数）。样本为答卷数。"
        ),
        80,
        Source.SURVEY,
    ),
    Standard(
        "satisfaction_know",
        lazy("知情权满意率"),
        lazy(
            "本年度已结束的满意度调查中，对知情权评分题的回答里，选 4 分或 5 分（满意、很满意）"
            "的比例。样本为回答数。"
        ),
        85,
        Source.SURVEY,
    ),
    Standard(
        "satisfaction_take_part",
        lazy("参与权满意率"),
        lazy(
            "本年度已结束的满意度调查中，对参与权评分题的回答里，选 4 分或 5 分（满意、很满意）"
            "的比例。样本为回答数。"
        ),
        85,
        Source.SURVEY,
    ),
    Standard(
        "satisfaction_supervise",
        lazy("监督权满意率"),
        lazy(
            "本年度已结束的满意度调查中，对监督权评分题的回答里，选 4 分或 5 分（满意、很满意）"
            "的比例。样本为回答数。"
        ),
        85,
        Source.SURVEY,
    ),
    Standard(
        "satisfaction_overall",
        lazy("总体满意率"),
        lazy(
            "本年度已结束的满意度调查中，对总体满意度评分题的回答里，选 4 分或 5 分"
            "（满意、很满意）的比例。样本为回答数。"
        ),
        None,
        Source.SURVEY,
    ),
    Standard(
        "turnout",
        lazy("选举参选率"),
        lazy("本年度结束投票的各轮选举中，已投票人数 ÷ 选民名单上未除名的人数，全年合计。"),
        None,
        Source.PARTICIPATION,
    ),
    Standard(
        "attendance",
        lazy("会议到会率"),
        lazy("本年度已结束的各次会议中，到会人数 ÷ 应到人数，全年合计。"),
        None,
        Source.PARTICIPATION,
    ),
    Standard(
        "deliberation",
        lazy("审议覆盖率"),
        lazy(
            "本年度截止的各轮公约审议中，提过意见或表过态的人 ÷ 参加审议各组的成年在册组员（每人算一次）。"
        ),
        None,
        Source.PARTICIPATION,
    ),
    Standard(
        "comments_answered",
        lazy("意见答复率"),
        lazy("本年度截止的各轮公约审议中，已答复的意见 ÷ 收到的意见。"),
        None,
        Source.PARTICIPATION,
    ),
    Standard(
        "delivery",
        lazy("公约入户率"),
        lazy("本年度通过并公布的公约，已送达的户数 ÷ 全村户数。"),
        None,
        Source.PARTICIPATION,
    ),
    Standard(
        "minutes_on_time",
        lazy("会议记录按时签署率"),
        lazy(
            "本年度已结束的会议中，会后规定天数内由主持人和记录人都签名的会议记录 ÷ 已结束的会议。"
        ),
        None,
        Source.PARTICIPATION,
    ),
    Standard(
        "minutes_posted",
        lazy("会议记录公示率"),
        lazy("本年度已签名的会议记录中，在村务公开栏公示满 15 天的 ÷ 已签名的会议记录。"),
        None,
        Source.PARTICIPATION,
    ),
)

BY_CODE: dict[str, Standard] = {s.code: s for s in STANDARDS}
CODES: tuple[str, ...] = tuple(s.code for s in STANDARDS)
DEFAULTS: dict[str, int | None] = {s.code: s.default_threshold for s in STANDARDS}
SURVEY_CODES: tuple[str, ...] = tuple(s.code for s in STANDARDS if s.source is Source.SURVEY)
PARTICIPATION_CODES: tuple[str, ...] = tuple(
    s.code for s in STANDARDS if s.source is Source.PARTICIPATION
)


def passes(value: Fraction | None, threshold_percent: int | None) -> bool | None:
    """Pass or fail against a whole-percent threshold; None when there is no data or no
    threshold. No data is never a pass."""
    if value is None or threshold_percent is None:
        return None
    return value * 100 >= threshold_percent


def percent(value: Fraction | None) -> float | None:
    """A fraction as a percentage for charts (None stays None: "no data", not 0)."""
    return None if value is None else float(value * 100)
