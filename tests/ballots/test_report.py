"""The election report's figures (ballots.report), against an election whose every
figure is known by hand (tests/ballots/report_support.py), and the township's roll-up."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest
from sqlalchemy import func, select

from app.actors import actor_for
from app.audit.models import AuditEntry
from app.permissions import Role
from app.registry.models import Sex, Village
from ballots.models import Channel, Election, ElectionFacilities, Round, RoundKind, RoundStatus
from ballots.report import (
    AGE_BANDS,
    FacilitiesInput,
    Period,
    band_of,
    election_report,
    enter_facilities,
    suggestion,
    township_report,
)
from ballots.report.forms import parse_facilities, parse_period
from ballots.report.services import Elected, ElectionReport, RoundFigures
from ballots.results import certification as results_certify
from ballots.results import services as results
from tests import factories
from tests.ballots import factories_elections as fe
from tests.ballots.report_support import reported_election
from tests.ballots.results_support import ELECTION_DAY, make_poll

YEAR = Period(date(2026, 1, 1), date(2026, 12, 31))


def _channels(online: int, paper: int, mobile: int, proxy: int) -> dict[str, int]:
    return {"online": online, "paper": paper, "mobile": mobile, "proxy": proxy}


def test_every_figure_of_a_two_round_election(db):
    made = reported_election(db)
    report = election_report(db, made.poll.election)
    assert report.registered == 10  # the struck entry is not a registered voter
    assert report.proxies == 1  # the revoked entrustment is not counted
    assert [f.round.number for f in report.held] == [1, 2]
    first, further = report.rounds
    assert first.channels == _channels(3, 2, 1, 1) and first.took_part == 7
    assert further.channels == _channels(3, 2, 0, 1) and further.took_part == 6
    assert (first.helped, further.helped) == (2, 1)
    assert (first.ballots_cast, first.valid, first.blank, first.invalid) == (7, 6, 1, 1)
    assert (further.ballots_cast, further.valid, further.blank, further.invalid) == (6, 6, 1, 0)
    assert report.first is first
    assert report.in_force and not report.annulled
    assert [(p.name, p.round_number, p.sex, p.age) for p in report.elected] == [
        ("甲", 1, Sex.FEMALE, 36),
        ("乙", 2, Sex.MALE, 60),
    ]
    assert [p.band.key for p in report.elected if p.band] == ["36_45", "56_60"]
    assert (report.women, report.share_of_women) == (1, Fraction(1, 2))
    assert report.facilities is None


def test_the_ballots_are_the_announced_result_not_a_second_count(db):
    made = reported_election(db)
    report = election_report(db, made.poll.election)
    for figures in report.rounds:
        announced = results.result_of(results.announced_outcome(db, figures.round))
        assert figures.result == announced
        assert figures.ballots_cast == announced["ballots_cast"]


def test_before_certification_nobody_is_listed_as_elected(db):
    made = reported_election(db, certify=False)
    report = election_report(db, made.poll.election)
    assert not report.in_force
    assert report.elected == [] and report.share_of_women is None
    assert report.rounds[1].ballots_cast == 6  # the figures of the count are there


def test_an_annulled_result_elects_nobody(db):
    made = reported_election(db)
    certified = results.latest_outcome(db, made.further)
    auditor = factories.staff(Role.AUDITOR, made.poll.village)
    results_certify.annul(db, actor_for(auditor), certified, "贿选")
    report = election_report(db, made.poll.election)
    assert report.annulled and not report.in_force and report.elected == []


def test_a_round_not_yet_counted_has_no_ballot_figures(db):
    poll = make_poll(db, voters=4)
    poll.vote(poll.entries[0], ["甲"], Channel.MOBILE)
    report = election_report(db, poll.election)
    (open_round,) = report.rounds
    assert open_round.took_part == 1 and open_round.ballots_cast is None
    assert open_round.valid is None
    assert suggestion(report).mobile_boxes == 1
    assert suggestion(report).ballot_boxes is None


def test_a_pending_further_round_is_not_a_round_held(db):
    poll = make_poll(db, voters=4, seats=2)
    poll.votes([["甲"], ["甲"], ["乙"]])
    results.close_voting(db, poll.actor, poll.round, ELECTION_DAY)
    outcome = results.announce(db, poll.actor, poll.round, ELECTION_DAY)
    further = results.further_round(db, poll.actor, poll.election, results.result_of(outcome))
    report = election_report(db, poll.election)
    assert [f.round.id for f in report.rounds] == [poll.round.id, further.id]
    assert [f.round.number for f in report.held] == [1]
    assert further.status is RoundStatus.PENDING


def test_the_age_bands_of_the_civil_affairs_form():
    assert [band_of(age).key for age in (18, 35, 36, 45, 46, 55, 56, 60, 61, 90)] == [
        "to_35", "to_35", "36_45", "36_45", "46_55", "46_55", "56_60", "56_60", "61_up", "61_up",
    ]  # fmt: skip
    assert [str(b.label) for b in AGE_BANDS] == [
        "35 岁及以下", "36 至 45 岁", "46 至 55 岁", "56 至 60 岁", "61 岁及以上",
    ]  # fmt: skip


def _facility_rows(db, election):
    return db.scalar(
        select(func.count())
        .select_from(ElectionFacilities)
        .where(ElectionFacilities.election_id == election.id)
    )


def test_facilities_are_appended_and_the_newest_counts(db):
    made = reported_election(db)
    election, actor = made.poll.election, made.poll.actor
    enter_facilities(db, actor, election, FacilitiesInput(2, 1, 3))
    assert enter_facilities(db, actor, election, FacilitiesInput(2, 1, 3)) is None  # no change
    corrected = enter_facilities(db, actor, election, FacilitiesInput(2, 1, 2))
    assert _facility_rows(db, election) == 2
    entered = election_report(db, election).facilities
    assert (entered.ballot_boxes, entered.mobile_boxes, entered.booths) == (2, 1, 2)
    assert entered.record.id == corrected.id
    audit = list(db.scalars(select(AuditEntry).where(AuditEntry.action == "election.facilities")))
    assert len(audit) == 2


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "请填 0 到 9999 之间的整数"),
        ("1.5", "请填 0 到 9999 之间的整数"),
        ("两个", "请填 0 到 9999 之间的整数"),
        ("10000", "请填 0 到 9999 之间的整数"),
        ("", "没有就填 0"),
    ],
)
def test_a_facility_count_must_be_a_whole_number_from_zero(value, message):
    result = parse_facilities({"ballot_boxes": value, "mobile_boxes": "0", "booths": "1"})
    assert not result.ok and message in result.errors["ballot_boxes"]
    assert set(result.errors) == {"ballot_boxes"}
    assert "facilities" not in result.values


def test_full_width_digits_are_whole_numbers_too():
    result = parse_facilities({"ballot_boxes": "２", "mobile_boxes": "0", "booths": "1"})
    assert result.ok and result.values["facilities"] == FacilitiesInput(2, 0, 1)


def test_the_period_defaults_to_this_year_and_refuses_an_end_before_its_start():
    today = date(2026, 6, 1)
    assert parse_period(None, None, today).values["period"] == YEAR
    wrong = parse_period("2026-05-01", "2026-04-30", today)
    assert "不能早于开始日期" in wrong.errors["to"]
    assert "格式不对" in parse_period("2026-13-01", "", today).errors["from"]


def test_the_roll_up_covers_the_township_in_the_period_without_drills(db):
    made = reported_election(db)
    village = made.poll.village
    other = factories.VillageFactory(township=village.township, code="999", name="后山村")
    elsewhere = fe.election(db, other, title="协会会长选举")
    elsewhere.election_day = ELECTION_DAY - timedelta(days=30)
    drill = fe.election(db, village, title="演练选举", drill_day_seconds=60)
    drill.election_day = ELECTION_DAY
    too_late = fe.election(db, village, title="明年的选举")
    too_late.election_day = date(2027, 1, 5)
    far = fe.election(db, factories.VillageFactory(), title="别的乡镇")
    far.election_day = ELECTION_DAY
    db.flush()
    rollup = township_report(db, village.township_id, YEAR)
    assert [v.name for v in rollup.villages] == [village.name, "后山村"]  # by village code
    assert [(r.village.name, r.election.title) for r in rollup.reports] == [
        (village.name, "计生主任选举"),
        ("后山村", "协会会长选举"),
    ]
    only = township_report(db, village.township_id, YEAR, [other.id])
    assert [r.election.title for r in only.reports] == ["协会会长选举"]


def _figures(number: int, status: RoundStatus, took_part: int) -> RoundFigures:
    round_ = Round(number=number, kind=RoundKind.FIRST, seats=1, status=status)
    return RoundFigures(round=round_, channels={"online": took_part}, helped=0, result=None)


def _report(rounds: list[RoundFigures], elected: list[Elected]) -> ElectionReport:
    return ElectionReport(
        election=Election(title="主任选举"),
        village=Village(name="柳溪村"),
        registered=100,
        proxies=0,
        rounds=rounds,
        facilities=None,
        in_force=True,
        annulled=False,
        elected=elected,
    )


def test_a_first_round_voided_and_held_again_is_not_the_headline():
    void = _figures(1, RoundStatus.VOID, 40)  # too few came: held again
    again = _figures(2, RoundStatus.CERTIFIED, 80)
    assert _report([void, again], []).first is again
    assert _report([_figures(1, RoundStatus.CERTIFIED, 70), again], []).first.took_part == 70


def test_the_share_of_women_is_among_the_elected_the_registry_knows():
    elected = [
        Elected("王芳", 1, Sex.FEMALE, 40),
        Elected("李强", 1, Sex.MALE, 50),
        Elected("另选的人", 2, None, None),  # a written-in name, not in the registry
    ]
    report = _report([_figures(1, RoundStatus.CERTIFIED, 70)], elected)
    assert report.share_of_women == Fraction(1, 2)
