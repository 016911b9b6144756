"""The village report, the township overview and the settings page, as staff see them."""

from __future__ import annotations

import csv
import io
import re
from fractions import Fraction

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.permissions import Role
from assessment.models import StandardSetting
from tests import factories
from tests.app.helpers import signed_in
from tests.assessment import support
from tests.conftest import post_form


@pytest.fixture
def villages(db):
    township = factories.TownshipFactory()
    a = factories.VillageFactory(township=township, code="A", name="东村")
    b = factories.VillageFactory(township=township, code="B", name="西村")
    support.satisfaction_survey(a)
    support.villager_quiz(a)
    return a, b


def report(village, year=2026):
    return f"/villages/{village.id}/assessment?year={year}"


def test_village_without_surveys_shows_no_data_not_zero_nor_pass(app, villages):
    _a, b = villages
    admin = factories.staff(Role.TOWNSHIP_ADMIN, township=b.township)
    page = signed_in(app, admin).get(report(b))
    assert page.status_code == 200
    for code in ("awareness_cadre", "awareness_villager", "satisfaction_know"):
        cells = support.row_of(page.text, code)
        assert cells[1] == "无数据"
        assert cells[3] == "无数据"
        assert "0.0%" not in cells and "达标" not in cells


def test_village_report_shows_values_thresholds_and_results(app, villages):
    a, _b = villages
    organizer = factories.staff(Role.ORGANIZER, a)
    page = signed_in(app, organizer).get(report(a))
    assert page.status_code == 200
    assert "东村 2026 年度考核" in page.text
    know = support.row_of(page.text, "satisfaction_know")
    assert know[:5] == ["知情权满意率", "66.7%", "85%", "未达标", "3"]
    supervise = support.row_of(page.text, "satisfaction_supervise")
    assert supervise[:4] == ["监督权满意率", "100.0%", "85%", "达标"]
    overall = support.row_of(page.text, "satisfaction_overall")
    assert overall[2:4] == ["不设", "仅报告"]
    assert support.row_of(page.text, "awareness_villager")[1:5] == ["37.5%", "80%", "未达标", "4"]
    assert 'role="img"' in page.text  # the bar chart
    survey_id = re.search(r'href="/surveys/(\d+)/results">满意度调查2026</a>', page.text)
    assert survey_id  # the evidence: the survey's result page
    assert (
        signed_in(app, organizer).get(f"/surveys/{survey_id.group(1)}/results").status_code == 200
    )
    for code in ("turnout", "attendance", "delivery", "minutes_posted"):
        assert f'id="figure-{code}"' in page.text


def test_a_survey_awaiting_its_key_holders_shows_as_waiting_not_zero(app, db, villages):
    _a, b = villages
    support.sealed_survey(db, b)
    page = signed_in(app, factories.staff(Role.ORGANIZER, b)).get(report(b)).text
    know = support.row_of(page, "satisfaction_know")
    assert know[1] == "无数据" and "0.0%" not in know
    assert "待开箱调查2026（待保管人开箱，未计入）" in know[-1]


def test_the_year_selector_changes_the_report(app, villages):
    a, _b = villages
    browser = signed_in(app, factories.staff(Role.ORGANIZER, a))
    assert support.row_of(browser.get(report(a, 2025)).text, "satisfaction_know")[1] == "无数据"
    assert browser.get(f"/villages/{a.id}/assessment?year=abc").status_code == 400
    assert "2000 到 2200" in browser.get(f"/villages/{a.id}/assessment?year=1999").text


def test_printable_versions(app, villages):
    a, _b = villages
    browser = signed_in(app, factories.staff(Role.TOWNSHIP_ADMIN, township=a.township))
    page = browser.get(f"/villages/{a.id}/assessment/print?year=2026")
    assert page.status_code == 200
    assert 'class="print-a4"' in page.text
    assert support.row_of(page.text, "satisfaction_know")[1] == "66.7%"
    overview = browser.get("/assessment/print?year=2026")
    assert overview.status_code == 200 and 'class="print-a4"' in overview.text


def _csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_village_exports_match_the_page(app, villages):
    a, b = villages
    browser = signed_in(app, factories.staff(Role.AUDITOR, township=a.township))
    page = browser.get(report(a)).text
    rows = _csv_rows(browser.get(f"/villages/{a.id}/assessment/csv?year=2026").content)
    by_title = {row[0]: row for row in rows if row}
    for code, title in (
        ("satisfaction_know", "知情权满意率"),
        ("awareness_villager", "村民知晓率"),
    ):
        assert by_title[title][1:5] == support.row_of(page, code)[1:5]
    assert by_title["村干部知晓率"][1] == "无数据"
    response = browser.get(f"/villages/{a.id}/assessment/xlsx?year=2026")
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    values = {row[0]: row for row in sheet.iter_rows(values_only=True) if row and row[0]}
    assert values["知情权满意率"][1] == pytest.approx(float(Fraction(2, 3)))
    assert values["村民知晓率"][1] == pytest.approx(0.375)
    assert values["村干部知晓率"][1] is None  # no data: an empty cell, not 0
    assert values["知情权满意率"][3] == "未达标"
    # 答卷数 is a number where a survey measured the standard, and blank where none did.
    header = next(sheet.iter_rows(max_row=1, values_only=True))
    respondents = header.index("答卷数")
    cells = {row[0].value: row[respondents] for row in sheet.iter_rows(min_row=2) if row[0].value}
    assert cells["知情权满意率"].data_type == "n" and cells["知情权满意率"].value >= 1
    assert cells["审议覆盖率"].value is None
    empty = _csv_rows(browser.get(f"/villages/{b.id}/assessment/csv?year=2026").content)
    assert {row[0]: row[1] for row in empty if len(row) > 1}["知情权满意率"] == "无数据"


def test_overview_ranks_and_exports(app, villages):
    a, _b = villages
    c = factories.VillageFactory(township=a.township, code="C", name="南村")
    support.know_only_survey(c, [5, 5])
    browser = signed_in(app, factories.staff(Role.TOWNSHIP_ADMIN, township=a.township))
    page = browser.get("/assessment?year=2026")
    assert page.status_code == 200
    section = re.search(r'id="ranking-satisfaction_know">(.*?)</section>', page.text, re.S)
    assert section
    text = re.sub(r"<[^>]+>", " ", section.group(1))
    assert re.search(r"1\s+南村\s+100\.0%", text)
    assert re.search(r"2\s+东村\s+66\.7%", text)
    assert re.search(r"无数据\s+西村\s+无数据", text)
    assert text.index("南村") < text.index("东村") < text.index("西村")
    rows = _csv_rows(browser.get("/assessment/csv?year=2026").content)
    start = next(i for i, row in enumerate(rows) if row and row[0].startswith("知情权满意率（"))
    assert rows[start + 2 : start + 5] == [
        ["1", "南村", "100.0%", "2", "达标"],
        ["2", "东村", "66.7%", "3", "未达标"],
        ["无数据", "西村", "无数据", "0", "无数据"],
    ]
    book = load_workbook(io.BytesIO(browser.get("/assessment/xlsx?year=2026").content))
    sheet = next(s for s in book.worksheets if s.title.startswith("知情权满意率（"))
    data = list(sheet.iter_rows(min_row=2, max_row=4, values_only=True))
    assert [(r[0], r[1], r[2]) for r in data] == [
        (1, "南村", 1.0),
        (2, "东村", pytest.approx(2 / 3)),
        (None, "西村", None),
    ]
    assert 'id="trend-satisfaction_know"' in page.text


def test_settings_change_pass_fail_on_the_report(app, db, villages):
    a, _b = villages
    admin = factories.staff(Role.TOWNSHIP_ADMIN, township=a.township)
    browser = signed_in(app, admin)
    form = {"threshold_satisfaction_know": "60", "threshold_awareness_villager": "80"}
    form.update({f"applies_{code}": "1" for code in ("satisfaction_know", "awareness_villager")})
    response = post_form(browser, "/assessment/settings", form)
    assert response.status_code == 303
    assert support.row_of(browser.get(report(a)).text, "satisfaction_know")[2:4] == ["60%", "达标"]
    # Unticked standards are not assessed.
    cells = support.row_of(browser.get(report(a)).text, "awareness_cadre")
    assert cells[3] == "不考核"


@pytest.mark.parametrize("value", ["abc", "101", "-5", "8.5"])
def test_settings_refuse_a_threshold_that_is_not_a_whole_percent(app, db, villages, value):
    a, _b = villages
    browser = signed_in(app, factories.staff(Role.TOWNSHIP_ADMIN, township=a.township))
    response = post_form(
        browser,
        "/assessment/settings",
        {"applies_satisfaction_know": "1", "threshold_satisfaction_know": value},
    )
    assert response.status_code == 422
    assert "0 到 100 之间的整数" in response.text
    assert db.scalar(select(func.count()).select_from(StandardSetting)) == 0


def test_auditor_reads_the_settings_but_cannot_change_them(app, db, villages):
    a, _b = villages
    browser = signed_in(app, factories.staff(Role.AUDITOR, township=a.township))
    page = browser.get("/assessment/settings")
    assert page.status_code == 200
    assert "知情权满意率" in page.text and "保存设置" not in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    response = browser.post(
        "/assessment/settings",
        data={"csrf_token": token.group(1), "threshold_satisfaction_know": "10"},
    )
    assert response.status_code == 403
    assert db.scalar(select(func.count()).select_from(StandardSetting)) == 0
    assert browser.get(report(a)).status_code == 200


def test_an_organizer_sees_only_their_own_village(app, villages):
    a, b = villages
    browser = signed_in(app, factories.staff(Role.ORGANIZER, a))
    assert browser.get(report(a)).status_code == 200
    for path in (
        report(b),
        f"/villages/{b.id}/assessment/csv",
        f"/villages/{b.id}/assessment/xlsx",
    ):
        response = browser.get(path)
        assert response.status_code == 403
        assert "这个村不在您的管辖范围内" in response.text
    overview = browser.get("/assessment?year=2026").text
    assert "东村" in overview and "西村" not in overview


def test_a_group_leader_has_no_assessment_pages(app, villages):
    a, _b = villages
    browser = signed_in(app, factories.staff(Role.GROUP_LEADER, a))
    assert browser.get(report(a)).status_code == 403
    assert browser.get("/assessment").status_code == 403
