"""Village assessment, township settings and the overview's rankings."""

from __future__ import annotations

import json
from fractions import Fraction

from sqlalchemy import select

from app.actors import actor_for
from app.audit.models import AuditEntry
from app.permissions import Role
from assessment import ranking, services
from assessment.forms import SettingInput
from assessment.models import StandardSetting
from assessment.standards import CODES, DEFAULTS, passes
from tests import factories
from tests.assessment import support


def _admin(village):
    return factories.staff(Role.TOWNSHIP_ADMIN, township=village.township)


def _set(db, admin, **wanted):
    settings = services.township_settings(db, admin.township_id)
    new = {c: SettingInput(s.applies, s.threshold_percent) for c, s in settings.items()}
    new.update(wanted)
    return services.change_settings(db, actor_for(admin), admin, admin.township_id, new)


def test_no_data_is_never_a_pass():
    assert passes(None, 80) is None
    assert passes(None, 0) is None
    assert passes(Fraction(0), 0) is True
    assert passes(Fraction(17, 20), 85) is True
    assert passes(Fraction(84, 100), 85) is False
    assert passes(Fraction(1, 2), None) is None


def test_every_standard_is_reported_with_its_default(db):
    village = factories.VillageFactory()
    result = services.village_assessment(db, village.id, 2026)
    assert [s.code for s in result.standards] == list(CODES)
    assert {s.code: s.threshold_percent for s in result.standards} == DEFAULTS
    assert DEFAULTS["awareness_cadre"] == 90 and DEFAULTS["satisfaction_overall"] is None
    assert [f.code for f in result.participation] == list(CODES[6:])


def test_a_village_without_surveys_shows_no_data(db):
    village = factories.VillageFactory()
    result = services.village_assessment(db, village.id, 2026)
    for code in ("awareness_cadre", "awareness_villager", "satisfaction_know"):
        standard = result.result(code)
        assert standard.value is None
        assert standard.passed is None
        assert standard.status == "no_data"
        assert standard.sample == 0


def test_survey_standards_link_to_their_surveys(db):
    village = factories.VillageFactory()
    survey = support.satisfaction_survey(village)
    know = services.village_assessment(db, village.id, 2026).result("satisfaction_know")
    assert know.value == Fraction(2, 3)
    assert know.passed is False  # 66.7 % < 85 %
    assert know.respondents == 4
    assert [(e.route, e.params) for e in know.evidence] == [
        (services.SURVEY_RESULTS_ROUTE, {"survey_id": survey.id})  # type: ignore[attr-defined]
    ]


def test_a_survey_awaiting_its_key_holders_is_named_as_not_counted(db):
    village = factories.VillageFactory()
    waiting = support.sealed_survey(db, village)
    know = services.village_assessment(db, village.id, 2026).result("satisfaction_know")
    assert know.status == "no_data" and know.sample == 0
    assert [(e.label, e.params) for e in know.evidence] == [
        ("待开箱调查2026（待保管人开箱，未计入）", {"survey_id": waiting.id})  # type: ignore[attr-defined]
    ]


def test_thresholds_set_by_the_township_change_pass_and_fail(db):
    village = factories.VillageFactory()
    support.satisfaction_survey(village)
    admin = _admin(village)
    assert (
        services.village_assessment(db, village.id, 2026).result("satisfaction_know").status
        == "fail"
    )
    assert _set(db, admin, satisfaction_know=SettingInput(True, 60)) == ["satisfaction_know"]
    result = services.village_assessment(db, village.id, 2026)
    assert result.result("satisfaction_know").status == "pass"
    _set(db, admin, satisfaction_overall=SettingInput(True, 70))
    assert (
        services.village_assessment(db, village.id, 2026).result("satisfaction_overall").status
        == "fail"
    )
    _set(db, admin, satisfaction_know=SettingInput(False, 60))
    know = services.village_assessment(db, village.id, 2026).result("satisfaction_know")
    assert know.status == "off" and know.passed is None
    # Another township keeps the defaults.
    stranger = factories.VillageFactory()
    support.satisfaction_survey(stranger)
    assert (
        services.village_assessment(db, stranger.id, 2026).result("satisfaction_know").status
        == "fail"
    )


def test_a_settings_change_is_audited_with_old_and_new_values(db):
    village = factories.VillageFactory()
    admin = _admin(village)
    _set(db, admin, awareness_villager=SettingInput(True, 75), turnout=SettingInput(False, 50))
    assert _set(db, admin) == []  # nothing changed, nothing written
    entries = list(
        db.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "assessment.setting")
            .order_by(AuditEntry.seq)
        )
    )
    summaries = [json.loads(e.summary) for e in entries]
    assert summaries == [
        {"code": "awareness_villager", "applies": [True, True], "threshold_percent": [80, 75]},
        {"code": "turnout", "applies": [True, False], "threshold_percent": [None, 50]},
    ]
    assert all(e.township_id == village.township_id for e in entries)
    rows = db.scalars(
        select(StandardSetting).where(StandardSetting.township_id == village.township_id)
    )
    assert {r.code: (r.applies, r.threshold_percent) for r in rows} == {
        "awareness_villager": (True, 75),
        "turnout": (False, 50),
    }


def test_ranks_share_ties_and_put_no_data_last():
    assert ranking.ranks([Fraction(1, 2), None, Fraction(1), Fraction(1, 2)]) == [2, None, 1, 2]
    assert ranking.ranks([None, None]) == [None, None]


def test_overview_ranks_villages_best_first_with_ties_and_no_data(db):
    township = factories.TownshipFactory()
    a, b, c, _d = (factories.VillageFactory(township=township, code=code) for code in "ABCD")
    support.know_only_survey(a, [5, 1])  # 1/2
    support.know_only_survey(b, [4, 2])  # 1/2
    support.know_only_survey(c, [5, 5])  # 2/2
    overview = services.township_overview(db, township.id, 2026)
    know = next(r for r in overview.standards if r.code == "satisfaction_know")
    assert [(row.rank, row.village.code) for row in know.rows] == [
        (1, "C"),
        (2, "A"),
        (2, "B"),
        (None, "D"),
    ]
    assert (know.passed, know.failed, know.no_data) == (1, 2, 1)
    assert know.township_value == Fraction(4, 6)
    counts = {c.village.code: (c.passed, c.failed, c.no_data) for c in overview.counts}
    assert counts["C"] == (1, 0, 4)  # know passes; the other four survey standards: no data
    assert counts["D"] == (0, 0, 5)


def test_a_switched_off_standard_leaves_the_pass_counts(db):
    township = factories.TownshipFactory()
    village = factories.VillageFactory(township=township)
    support.know_only_survey(village, [5, 5])
    admin = factories.staff(Role.TOWNSHIP_ADMIN, township=township)
    _set(db, admin, satisfaction_know=SettingInput(False, 85))
    overview = services.township_overview(db, township.id, 2026)
    assert overview.counts[0].passed == 0
    know = next(r for r in overview.standards if r.code == "satisfaction_know")
    assert not know.applies and know.passed == 0


def test_trends_show_each_year_with_data(db):
    township = factories.TownshipFactory()
    a = factories.VillageFactory(township=township, code="A")
    b = factories.VillageFactory(township=township, code="B")
    support.know_only_survey(a, [5, 1], year=2024)  # A 1/2
    support.know_only_survey(a, [5, 5], year=2026)  # A 2/2
    support.know_only_survey(b, [5, 5, 5, 1], year=2026)  # B 3/4
    support.know_only_survey(b, [5], year=2027)  # after the report year: not shown
    overview = services.township_overview(db, township.id, 2026)
    know = next(t for t in overview.trends if t.code == "satisfaction_know")
    assert know.years == [2024, 2026]
    assert know.township == [Fraction(1, 2), Fraction(5, 6)]
    assert [(v.code, values) for v, values in know.villages] == [
        ("A", [Fraction(1, 2), Fraction(1)]),
        ("B", [None, Fraction(3, 4)]),
    ]


def test_overview_can_be_limited_to_one_village(db):
    township = factories.TownshipFactory()
    a = factories.VillageFactory(township=township)
    factories.VillageFactory(township=township)
    overview = services.township_overview(db, township.id, 2026, [a.id])
    assert [v.id for v in overview.villages] == [a.id]
