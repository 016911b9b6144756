"""A drill's clock and form fields (app.drill), and what the database lets a drill do."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from app.drill import DrillClock, clock_of, parse_drill, today_of
from app.drill import china_today as real_today
from app.forms import FormResult
from ballots.models import Ballot, BallotSource, Election
from tests import factories
from tests.ballots import factories_elections as fe

# 2026-12-01 10:00 in China: day 1 of the drill is 1 December.
STARTED = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def test_day_one_is_the_creation_date_and_each_day_lasts_its_length():
    clock = DrillClock(STARTED, 60)
    assert clock.first_day == date(2026, 12, 1)
    assert clock.today(STARTED) == date(2026, 12, 1)
    assert clock.day_number(STARTED + timedelta(seconds=59.9)) == 1
    assert clock.today(STARTED + timedelta(seconds=60)) == date(2026, 12, 2)
    # The law's 20 days of roll publicity pass in 20 minutes.
    assert clock.today(STARTED + timedelta(minutes=20)) == date(2026, 12, 21)


def test_drill_now_runs_from_midnight_of_day_one_sped_up():
    clock = DrillClock(STARTED, 60)
    assert clock.now(STARTED) == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # 00:00 in China
    half_a_day = clock.now(STARTED + timedelta(seconds=30))
    assert half_a_day == datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 12:00 in China
    assert clock.now(STARTED - timedelta(seconds=5)) == clock.now(STARTED)  # never before


def test_seconds_until_a_drill_day_and_the_words_on_the_banner():
    clock = DrillClock(STARTED, 90)
    assert clock.seconds_until(date(2026, 12, 3), STARTED + timedelta(seconds=100)) == 80
    assert clock.seconds_until(date(2026, 12, 1), STARTED + timedelta(seconds=100)) == 0
    assert "演练第 2 天" in clock.describe(STARTED + timedelta(seconds=100))
    assert "每天 90 秒" in clock.describe(STARTED)
    assert "每天 1 分钟" in DrillClock(STARTED, 60).describe(STARTED)


def test_the_real_thing_keeps_the_real_calendar(db):
    village = factories.VillageFactory()
    real = fe.election(db, village)
    assert clock_of(real) is None
    assert today_of(real) == real_today()
    assert today_of(None) == real_today()


@pytest.mark.parametrize(
    ("fields", "expected", "error"),
    [
        ({}, None, None),
        ({"drill": "1"}, 45, None),
        ({"drill": "1", "drill_day_seconds": "120"}, 120, None),
        ({"drill": "1", "drill_day_seconds": "5"}, None, "drill_day_seconds"),
        ({"drill": "1", "drill_day_seconds": "一分钟"}, None, "drill_day_seconds"),
        ({"drill_day_seconds": "120"}, None, "drill"),
    ],
)
def test_the_forms_drill_fields(fields, expected, error):
    result = FormResult()
    parse_drill(result, fields, 45)
    assert result.values["drill_day_seconds"] == expected
    assert list(result.errors) == ([error] if error else [])
    if error:
        assert "秒" in result.errors[error] or "演练" in result.errors[error]


def _drill_election(db, village):
    return fe.election(db, village, title="演练", drill_day_seconds=60)


def _ballot(db, round_):
    db.add(
        Ballot(
            id=f"{round_.id:032x}",
            round_id=round_.id,
            source=BallotSource.PAPER,
            marks="[]",
            cast_on=date.today(),
        )
    )
    db.flush()


def test_only_a_drills_cast_ballots_may_be_deleted(db):
    village = factories.VillageFactory()
    real_round = fe.round_(db, fe.election(db, village))
    drill_round = fe.round_(db, _drill_election(db, village))
    for round_ in (real_round, drill_round):
        _ballot(db, round_)
    with pytest.raises(Exception, match="immutable"), db.begin_nested():
        db.execute(delete(Ballot).where(Ballot.round_id == real_round.id))
    db.execute(delete(Ballot).where(Ballot.round_id == drill_round.id))
    assert db.scalar(select(func.count()).select_from(Ballot)) == 1


FIXED = "drill marker is fixed|election rows are immutable"


def test_a_drill_marker_is_fixed_once_written(db):
    village = factories.VillageFactory()
    real, drill = fe.election(db, village), _drill_election(db, village)
    with pytest.raises(DBAPIError, match=FIXED), db.begin_nested():  # real stays real
        db.execute(
            update(Election)
            .where(Election.id == real.id)
            .values(drill_started_at=STARTED, drill_day_seconds=60)
        )
    with pytest.raises(DBAPIError, match=FIXED), db.begin_nested():
        db.execute(update(Election).where(Election.id == drill.id).values(drill_day_seconds=1))
    assert drill.is_drill
    with pytest.raises(DBAPIError, match=r"drill.marker"), db.begin_nested():  # half a marker
        db.execute(
            text(
                "INSERT INTO election (village_id, title, office, office_label, electorate, seats,"
                " profile_name, profile_overrides, election_day, stage, created_by_id, created_at,"
                " drill_day_seconds) SELECT village_id, title, office, office_label, electorate,"
                " seats, profile_name, profile_overrides, election_day, stage, created_by_id,"
                " created_at, 60 FROM election WHERE id = :id"
            ),
            {"id": real.id},
        )
    db.execute(update(Election).where(Election.id == drill.id).values(title="改名的演练"))
