"""Done when (issue 6): the demo village lives through a year; its assessment is a hand count.

The demo township is built; its first village (桃源村) runs through the year's plan
(app.demo.planning): an election with online, paper and proxy votes; a compact round in three
groups with every comment answered; a representatives' assembly and the villagers'
assembly that adopts the compact; both sets of minutes signed, one posted; the adopted
compact delivered to most households; the satisfaction survey and both awareness
quizzes answered by QR slip and on paper. Every figure is then counted again by hand
from the plan alone (plain arithmetic below, none of the assessment code) and must be
what the assessment, the village report page and its CSV and .xlsx exports show. The
second village did nothing: its survey standards show 无数据, not 0 % and not a pass.

The year is the current one: meetings must start in the future and a compact is adopted
and published on the day it happens (see app.demo.planning), so the year's later events
happen today.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from fractions import Fraction

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.db import utcnow
from app.demo import build_demo
from app.demo.plan import YEAR_TELLER, YEAR_TELLER_3, YearPlan
from app.demo.planning import make_plan
from app.demo.year import run_year
from app.registry.models import Group, GroupKind, GroupMembership, Village
from app.registry.rules import today_in_china
from app.settings import Settings
from app.tables import percent_text
from assessment.results import VillageAssessment
from assessment.services import village_assessment
from surveys.models import Measure, QuestionType
from surveys.templates_builtin import BUILTIN
from tests.conftest import sign_in

SURVEY_STANDARDS = {
    "satisfaction_know": Measure.KNOW,
    "satisfaction_take_part": Measure.TAKE_PART,
    "satisfaction_supervise": Measure.SUPERVISE,
    "satisfaction_overall": Measure.OVERALL,
}
QUIZZES = {"awareness_villager": "awareness_villager", "awareness_cadre": "awareness_cadre"}


# --- the hand count: plain arithmetic over the plan ---------------------------------------


def _satisfaction(plan: YearPlan, measure: Measure) -> tuple[int, int, int]:
    """(satisfied answers, answers, answer sheets) to the scale questions of `measure`."""
    (survey,) = [s for s in plan.surveys if s.key == "satisfaction"]
    questions = [
        str(n)
        for n, q in enumerate(BUILTIN["satisfaction"].questions, start=1)
        if q.qtype is QuestionType.SCALE and q.measure is measure
    ]
    sheets = [answers for _person, answers in survey.qr + survey.paper]
    given = [sheet[q] for sheet in sheets for q in questions if q in sheet]
    return sum(1 for v in given if v in (4, 5)), len(given), len(sheets)


def _awareness(plan: YearPlan, key: str) -> tuple[int, int, int]:
    """(right answers, sheets x quiz questions, sheets)."""
    (survey,) = [s for s in plan.surveys if s.key == key]
    right = {
        str(n): {p for p, (_text, ok) in enumerate(q.options, start=1) if ok}
        for n, q in enumerate(BUILTIN[key].questions, start=1)
        if q.measure is Measure.AWARENESS
    }
    sheets = [answers for _person, answers in survey.qr + survey.paper]
    correct = 0
    for sheet in sheets:
        for q, wanted in right.items():
            chosen = sheet.get(q)
            correct += isinstance(chosen, list) and set(chosen) == wanted
    return correct, len(sheets) * len(right), len(sheets)


def hand_count(plan: YearPlan) -> dict[str, tuple[int, int]]:
    """Every standard as (numerator, denominator), counted from the plan."""
    counts: dict[str, tuple[int, int]] = {}
    for code, measure in SURVEY_STANDARDS.items():
        counts[code] = _satisfaction(plan, measure)[:2]
    for code, key in QUIZZES.items():
        counts[code] = _awareness(plan, key)[:2]
    election = plan.election
    counts["turnout"] = (len({v.person_id for v in election.votes}), len(election.roll))
    meetings = plan.meetings
    counts["attendance"] = (
        sum(len(m.present) for m in meetings),
        sum(len(m.eligible) for m in meetings),
    )
    compact = plan.compact
    reached = 0
    for group_id, members in compact.members.items():
        spoke = {p for g, p, _t in compact.comments + compact.votes if g == group_id}
        reached += len(spoke & set(members))
    counts["deliberation"] = (reached, sum(len(m) for m in compact.members.values()))
    counts["comments_answered"] = (len(compact.comments), len(compact.comments))
    counts["delivery"] = (len(compact.delivered), len(compact.households))
    signed = [m for m in meetings if set(m.signers) == {"host", "recorder"}]
    counts["minutes_on_time"] = (len(signed), len(meetings))
    posted = [
        m
        for m in signed
        if m.posted_on and m.posted_until and (m.posted_until - m.posted_on).days + 1 >= 15
    ]
    counts["minutes_posted"] = (len(posted), len(signed))
    return counts


# --- the year ---------------------------------------------------------------------------


def _live_a_year(db: Session, settings: Settings) -> tuple[Village, Village, YearPlan]:
    signins = build_demo(db)
    first = db.scalar(select(Village).where(Village.name == "桃源村"))
    second = db.scalar(select(Village).where(Village.name == "柳溪村"))
    assert first is not None and second is not None
    passwords = {s.username: s.password for s in signins}
    passwords[YEAR_TELLER] = "second teller's password"
    passwords[YEAR_TELLER_3] = "third teller's password"
    year = today_in_china().year
    now = utcnow()
    plan = make_plan(db, first, year, seed=2026, passwords=passwords, now=now)
    # The same seed and people make the same year.
    assert make_plan(db, first, year, seed=2026, passwords=passwords, now=now) == plan
    run_year(db, settings, first, year, plan)
    db.flush()
    return first, second, plan


def _row(table_html: str, title: str) -> str:
    rows = re.findall(r"<tr\b.*?</tr>", table_html, flags=re.DOTALL)
    (row,) = [r for r in rows if title in r]
    return str(row)


def _check_service(
    result: VillageAssessment, counts: dict[str, tuple[int, int]], plan: YearPlan
) -> None:
    by_code = {r.code: r for r in result.standards}
    assert set(counts) <= set(by_code)
    for code, (numerator, denominator) in counts.items():
        r = by_code[code]
        assert (r.numerator, r.denominator) == (numerator, denominator), code
        assert r.value == Fraction(numerator, denominator), code
    for code, measure in SURVEY_STANDARDS.items():
        _s, answers, sheets = _satisfaction(plan, measure)
        assert (by_code[code].sample, by_code[code].respondents) == (answers, sheets), code
    for code, key in QUIZZES.items():
        assert by_code[code].sample == _awareness(plan, key)[2], code
    # Thresholds: 85 % for satisfaction, 80 % / 90 % for the quizzes; none for the rest.
    for code, threshold in (
        ("satisfaction_know", 85),
        ("awareness_villager", 80),
        ("awareness_cadre", 90),
    ):
        n, d = counts[code]
        assert by_code[code].passed is (Fraction(n, d) * 100 >= threshold), code
    assert by_code["turnout"].passed is None


def _check_figures(db: Session, result: VillageAssessment, plan: YearPlan) -> None:
    figures = {f.code: f for f in result.participation}
    channels = Counter(v.channel for v in plan.election.votes)
    by_channel = {row["channel"]: row["voted"] for row in figures["turnout"].tables[1].rows}
    assert by_channel == {
        "扫码投票": channels["online"],
        "纸质选票": channels["paper"],
        "流动票箱": 0,
        "委托投票": channels["proxy"],
    }
    # By villagers' group (the registry says who is in which group).
    group_of = dict(
        db.execute(
            select(GroupMembership.person_id, Group.name)
            .join(Group, Group.id == GroupMembership.group_id)
            .where(Group.village_id == plan.village_id, Group.kind == GroupKind.VILLAGERS)
        ).all()
    )
    registered = Counter(group_of[p] for p in plan.election.roll)
    voted = Counter(group_of[v.person_id] for v in plan.election.votes)
    by_group = {
        r["group"]: (r["registered"], r["voted"]) for r in figures["turnout"].tables[2].rows
    }
    assert by_group == {g: (registered[g], voted[g]) for g in registered}
    meetings = {r["meeting"]: r for r in figures["attendance"].tables[0].rows}
    for m in plan.meetings:
        row = meetings[m.title]
        assert (row["eligible"], row["present"]) == (len(m.eligible), len(m.present))
        assert row["quorum"] == "是"
    names = dict(db.execute(select(Group.id, Group.name)).all())
    groups = {r["group"]: r for r in figures["deliberation"].tables[0].rows}
    for group_id, members in plan.compact.members.items():
        spoke = {p for g, p, _t in plan.compact.comments + plan.compact.votes if g == group_id}
        row = groups[names[group_id]]
        assert (row["members"], row["reached"]) == (len(members), len(spoke & set(members)))


def test_the_demo_village_through_a_year(
    db: Session, settings: Settings, client: TestClient
) -> None:
    first, second, plan = _live_a_year(db, settings)
    year = plan.year
    counts = hand_count(plan)
    # The plan is a real year: most vote, some on paper and by proxy, quorum at both
    # meetings, most households reached; a comment or two on each group's text.
    assert 0 < counts["turnout"][0] < counts["turnout"][1]
    assert len(plan.compact.comments) > 5 and len(plan.meetings) == 2

    result = village_assessment(db, first.id, year)
    _check_service(result, counts, plan)
    _check_figures(db, result, plan)

    # The village report, its CSV and its .xlsx show the same percentages.
    sign_in(client, "organizer", plan.passwords["organizer"])
    page = client.get(f"/villages/{first.id}/assessment", params={"year": year})
    assert page.status_code == 200, page.text[:2000]
    titles = {r.code: r.title for r in result.standards}
    for code, (numerator, denominator) in counts.items():
        shown = percent_text(Fraction(numerator, denominator))
        assert shown in _row(page.text, titles[code]), (code, shown)

    exported = client.get(f"/villages/{first.id}/assessment/csv", params={"year": year})
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    for code, (numerator, denominator) in counts.items():
        shown = percent_text(Fraction(numerator, denominator))
        assert any(row[:2] == [titles[code], shown] for row in rows), (code, shown)

    workbook = client.get(f"/villages/{first.id}/assessment/xlsx", params={"year": year})
    assert workbook.status_code == 200
    sheet = load_workbook(io.BytesIO(workbook.content)).worksheets[0]
    values = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2) if row[0].value}
    for code, (numerator, denominator) in counts.items():
        cell = values[titles[code]]
        assert abs(cell.value - numerator / denominator) < 1e-9, code
        assert cell.number_format == "0.0%"

    # The second village answered no survey: no data, neither 0 % nor a pass.
    other = {r.code: r for r in village_assessment(db, second.id, year).standards}
    for code in (*SURVEY_STANDARDS, *QUIZZES):
        assert other[code].value is None and other[code].passed is None, code
    client.cookies.clear()
    sign_in(client, "admin", plan.passwords["admin"])  # the organizer is 桃源村's
    page = client.get(f"/villages/{second.id}/assessment", params={"year": year})
    assert page.status_code == 200
    for code in (*SURVEY_STANDARDS, *QUIZZES):
        row = _row(page.text, titles[code])
        assert "无数据" in row and "0.0%" not in row, code
