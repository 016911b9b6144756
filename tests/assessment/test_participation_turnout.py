"""Election turnout of a village's year, counted by hand from the rows built here."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from sqlalchemy.orm import Session

from app.permissions import Role
from app.registry.models import Village
from assessment.participation import CODES, ParticipationFigure, Ratio, participation
from ballots.models import Channel, RoundStatus
from ballots.results import services as results
from tests import factories
from tests.ballots.results_support import ELECTION_DAY, make_poll


def figure(db: Session, village_id: int, year: int, code: str) -> ParticipationFigure:
    return next(f for f in participation(db, village_id, year) if f.code == code)


def small_election(
    db: Session,
    village: Village,
    *,
    day: date,
    voters: int,
    votes: int,
    status: RoundStatus = RoundStatus.ANNOUNCED,
    channel: Channel = Channel.ONLINE,
) -> None:
    """An election with one round in `status`, `voters` on the roll, `votes` of them voted."""
    organizer = factories.staff(Role.ORGANIZER, village)
    election = factories.ElectionFactory(
        village_id=village.id, created_by_id=organizer.id, election_day=day
    )
    round_ = factories.ElectionRoundFactory(election_id=election.id, status=status)
    for n in range(voters):
        person = factories.PersonFactory(
            household=factories.HouseholdFactory(village_id=village.id)
        )
        entry = factories.RollEntryFactory(election_id=election.id, person_id=person.id)
        credential = factories.CredentialFactory(election_id=election.id, roll_entry_id=entry.id)
        if n < votes:
            factories.CredentialUseFactory(
                credential_id=credential.id, round_id=round_.id, channel=channel, used_on=day
            )


def test_a_year_with_nothing_is_no_data_for_every_figure(db):
    village = factories.VillageFactory()

    figures = participation(db, village.id, 2026)

    assert [f.code for f in figures] == list(CODES)
    for found in figures:
        assert found.overall == Ratio(0, 0)
        assert found.overall.value is None
        assert found.title and found.definition
        assert found.evidence == []


def test_turnout_per_round_by_channel_and_by_group(db, app):
    poll = make_poll(db, voters=10, groups=2)  # entries alternate the two groups
    village = poll.village
    poll.entries[9].struck = True  # removed on objection: not in the denominator
    loner = factories.PersonFactory(household=factories.HouseholdFactory(village_id=village.id))
    entry = factories.RollEntryFactory(election_id=poll.election.id, person_id=loner.id)
    poll.credentials[entry.id] = factories.CredentialFactory(
        election_id=poll.election.id, roll_entry_id=entry.id
    )
    poll.vote(poll.entries[0], ["甲"], Channel.PAPER)
    poll.vote(poll.entries[1], ["甲"], Channel.MOBILE)
    poll.vote(poll.entries[2], ["乙"], Channel.PROXY)
    for voter in (*poll.entries[3:6], entry):
        poll.vote(voter, ["甲"])
    results.close_voting(db, poll.actor, poll.round, ELECTION_DAY)
    # The 另行选举: three of the same roll vote again.
    second = factories.ElectionRoundFactory(
        election_id=poll.election.id, number=2, status=RoundStatus.ANNOUNCED
    )
    for voter in (poll.entries[0], poll.entries[1], entry):
        poll.vote(voter, ["乙"], round_=second)
    # Not counted in 2026: still voting; another year; another village.
    small_election(db, village, day=date(2026, 8, 1), voters=2, votes=1, status=RoundStatus.OPEN)
    small_election(db, village, day=date(2025, 11, 1), voters=2, votes=1, channel=Channel.PAPER)
    small_election(db, factories.VillageFactory(), day=date(2026, 3, 1), voters=3, votes=3)

    found = figure(db, village.id, 2026, "turnout")

    # Roll: 10 + 1 entries, one struck = 10 per round; votes 7 then 3.
    assert found.overall == Ratio(10, 20)
    assert found.overall.value == Fraction(1, 2)
    per_round, by_channel, by_group = found.tables
    assert [(r["round"], r["registered"], r["voted"], r["share"]) for r in per_round.rows] == [
        (1, 10, 7, Fraction(7, 10)),
        (2, 10, 3, Fraction(3, 10)),
    ]
    assert [(r["voted"], r["share"]) for r in by_channel.rows] == [
        (7, Fraction(7, 20)),  # online
        (1, Fraction(1, 20)),  # paper
        (1, Fraction(1, 20)),  # mobile
        (1, Fraction(1, 20)),  # proxy
    ]
    first, other = poll.groups
    groups = {r["group"]: (r["registered"], r["voted"], r["share"]) for r in by_group.rows}
    assert groups == {
        first.name: (10, 4, Fraction(2, 5)),
        other.name: (8, 4, Fraction(1, 2)),
        "不在任何村民小组": (2, 2, Fraction(1)),
    }
    assert by_group.rows[-1]["group"] == "不在任何村民小组"
    assert [(e.route, e.params) for e in found.evidence] == [
        ("ballots:turnout", {"round_id": poll.round.id}),
        ("ballots:turnout", {"round_id": second.id}),
    ]
    for evidence in found.evidence:
        assert app.url_path_for(evidence.route, **evidence.params)

    assert figure(db, village.id, 2025, "turnout").overall == Ratio(1, 2)
    assert figure(db, village.id, 2027, "turnout").overall.value is None


def test_a_void_round_counts_and_an_open_one_does_not(db):
    village = factories.VillageFactory()
    small_election(db, village, day=date(2026, 4, 1), voters=4, votes=1, status=RoundStatus.VOID)
    small_election(db, village, day=date(2026, 5, 1), voters=4, votes=4, status=RoundStatus.OPEN)
    small_election(db, village, day=date(2026, 6, 1), voters=5, votes=2, status=RoundStatus.PENDING)

    found = figure(db, village.id, 2026, "turnout")

    assert found.overall == Ratio(1, 4)
