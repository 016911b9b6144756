"""Hand-made surveys for the assessment tests, with their hand counts in comments."""

from __future__ import annotations

import re
from fractions import Fraction

from sqlalchemy.orm import Session

from app.permissions import Role
from app.registry.models import Village
from app.sealed_box import services as sealed_box
from tests import factories
from tests.sealed_box_support import seal_new_box

SCALE, SINGLE, MULTIPLE = "scale", "single", "multiple"


def satisfaction_survey(village: Village, year: int = 2026, status: str = "closed") -> object:
    """know 2/3, take_part 2/3, supervise 2/2, overall 2/3; 4 answer sheets."""
    return factories.survey(
        village,
        "satisfaction",
        year,
        [
            (SCALE, "know", []),
            (SCALE, "take_part", []),
            (SCALE, "supervise", []),
            (SCALE, "overall", []),
            (SINGLE, "none", [False, False]),
            (SCALE, "none", []),
        ],
        [
            {"1": 5, "2": 3, "3": 4, "4": 4, "5": [1], "6": 5},
            {"1": 4, "2": 4, "4": 2},
            {"1": 2, "2": 5, "3": 5, "4": 5},
            {},
        ],
        status=status,
        title=f"满意度调查{year}",
    )


def know_only_survey(village: Village, values: list[int], year: int = 2026, **kw: object) -> object:
    return factories.survey(
        village,
        kw.pop("kind", "satisfaction"),  # type: ignore[arg-type]
        year,
        [(SCALE, "know", [])],
        [{"1": v} for v in values],
        **kw,  # type: ignore[arg-type]
    )


def sealed_survey(db: Session, village: Village, year: int = 2026, **kw: object) -> object:
    """A closed satisfaction survey (one know question) whose answer sheets are still in
    its sealed box: no key holder has opened it, so nothing of it can be read."""
    survey = know_only_survey(village, [], year, title=f"待开箱调查{year}", **kw)
    seal_new_box(db, sealed_box.SURVEY, survey.id, village, Role.AUDITOR)  # type: ignore[attr-defined]
    return survey


def villager_quiz(village: Village, year: int = 2026) -> object:
    """Quiz: q1 single (option 2 right), q2 multiple (options 1 and 3), q3 not a quiz
    question. Sheets: 2 right, 0 (a subset), 0 (q1 unanswered, q2 a superset), 1 -> 3/8."""
    return factories.survey(
        village,
        "awareness_villager",
        year,
        [
            (SINGLE, "awareness", [False, True, False]),
            (MULTIPLE, "awareness", [True, False, True]),
            (SINGLE, "none", [False, True]),
        ],
        [
            {"1": [2], "2": [1, 3], "3": [2]},
            {"1": [1], "2": [1]},
            {"2": [1, 2, 3]},
            {"1": [2], "3": [1]},
        ],
        title="村民知晓问卷",
    )


def row_of(html: str, code: str) -> list[str]:
    """The cell texts of a standard's row in the standards table."""
    match = re.search(rf'<tr class="status-[a-z_]+" data-code="{code}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {code}"
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", match.group(1), re.S)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in cells]


def pct(value: Fraction) -> str:
    from app.tables import percent_text

    return percent_text(value)
