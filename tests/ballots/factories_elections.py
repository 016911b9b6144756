"""Election rows made directly with the models, for tests of any election area.

These skip the set-up services (stages, roll building) on purpose: a test of voting
or counting states exactly the election it needs. Everything is flushed, not committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.actors import Actor
from app.db import utcnow
from app.drill import new_marker
from app.permissions import Role
from app.registry.models import GroupMembership, Household, Person, Residence, Sex, Village
from app.sealed_box import services as sealed_box
from ballots.models import (
    Candidate,
    Election,
    Electorate,
    Entrustment,
    Office,
    RollEntry,
    Round,
    RoundKind,
    RoundStatus,
    Stage,
)
from ballots.results import services as results
from slips.models import Assembly
from tests import factories
from tests.sealed_box_support import box_holders, password_of, seal_new_box

CANDIDATES = ("张三", "李四", "王五")


def assembly(
    db: Session,
    village: Village,
    *,
    title: str = "换届选举大会",
    held_on: date | None = None,
    expires_at: datetime | None = None,
) -> Assembly:
    row = Assembly(
        village_id=village.id,
        title=title,
        held_on=held_on or date.today(),
        place="村委会礼堂",
        links_expire_at=expires_at or utcnow() + timedelta(hours=6),
    )
    db.add(row)
    db.flush()
    return row


def election(
    db: Session,
    village: Village,
    *,
    organizer: StaffUser | None = None,
    title: str = "计生主任选举",
    seats: int = 1,
    profile_name: str = "village-election",
    overrides: str = "{}",
    stage: Stage = Stage.VOTING_OPEN,
    assembly_id: int | None = None,
    office: Office = Office.DIRECTOR,
    drill_day_seconds: int | None = None,
) -> Election:
    """An election; with `drill_day_seconds` a drill (app.drill) started now."""
    creator = organizer or factories.staff(Role.ORGANIZER, village)
    row = Election(
        village_id=village.id,
        title=title,
        office=office,
        office_label="",
        electorate=Electorate.VILLAGE,
        seats=seats,
        profile_name=profile_name,
        profile_overrides=overrides,
        election_day=date.today(),
        stage=stage,
        assembly_id=assembly_id,
        created_by_id=creator.id,
        **new_marker(drill_day_seconds),
    )
    db.add(row)
    db.flush()
    return row


def round_(
    db: Session,
    election: Election,
    *,
    candidates: Sequence[str] = CANDIDATES,
    seats: int | None = None,
    number: int = 1,
    status: RoundStatus = RoundStatus.OPEN,
) -> Round:
    row = Round(
        election_id=election.id,
        number=number,
        kind=RoundKind.FIRST if number == 1 else RoundKind.FURTHER,
        seats=seats or election.seats,
        status=status,
        status_reason="",
    )
    db.add(row)
    db.flush()
    db.add_all(
        Candidate(round_id=row.id, name=name, position=i + 1, nominations=0)
        for i, name in enumerate(candidates)
    )
    db.flush()
    if status is RoundStatus.OPEN:
        # Voting opened through the round's sealed box, as ballots.setup.advance does.
        seal_new_box(db, sealed_box.ELECTION_ROUND, row.id, db.get(Village, election.village_id))
    return row


def open_box(db: Session, round_: Round, *, openers: int = 2, actor: Actor | None = None) -> int:
    """At the count, `openers` of the round's tellers open its sealed box with their box
    passwords (those tests.sealed_box_support gave them), through the results service:
    the online ballots and receipts are written then. Returns how many the box held.
    The round must be counting (voting closed)."""
    holders = box_holders(db, sealed_box.ELECTION_ROUND, round_.id)
    passwords = {holder.id: password_of(i) for i, holder in enumerate(holders[:openers])}
    return results.open_ballot_box(db, actor or Actor(label="监计票人"), round_, passwords)


def roll(db: Session, election: Election, people: Sequence[Person]) -> list[RollEntry]:
    entries = [
        RollEntry(
            election_id=election.id,
            person_id=p.id,
            category=Residence.REGISTERED_RESIDENT,
            struck=False,
            note="",
        )
        for p in people
    ]
    db.add_all(entries)
    db.flush()
    return entries


def entrust(db: Session, election: Election, voter: RollEntry, proxy: RollEntry) -> Entrustment:
    row = Entrustment(
        election_id=election.id,
        voter_entry_id=voter.id,
        proxy_entry_id=proxy.id,
        written_on=date.today(),
        relation="儿子",
    )
    db.add(row)
    db.flush()
    return row


def adults(village: Village, count: int, *, group_id: int | None = None) -> list[Person]:
    """`count` adults of the village, one household each, in the group when given."""
    people = []
    for _ in range(count):
        household = factories.HouseholdFactory(village_id=village.id)
        person = factories.PersonFactory(household=household, birth_year=1970)
        if group_id is not None:
            factories.MembershipFactory(person_id=person.id, group_id=group_id)
        people.append(person)
    return people


def many_adults(db: Session, village: Village, count: int) -> list[Person]:
    """`count` adults of the village, one household each, inserted in two statements:
    for load tests and benchmarks that need thousands of voters quickly."""
    households = [
        Household(village_id=village.id, number=f"H{n:05d}", address="") for n in range(count)
    ]
    db.add_all(households)
    db.flush()
    people = [
        Person(
            village_id=village.id,
            household_id=household.id,
            roll_number=f"P{n:05d}",
            name=f"村民{n}",
            sex=Sex.FEMALE if n % 2 else Sex.MALE,
            birth_year=1970,
            birth_month=6,
            residence=Residence.REGISTERED_RESIDENT,
        )
        for n, household in enumerate(households)
    ]
    db.add_all(people)
    db.flush()
    return people


@dataclass
class Voting:
    """A village with an assembly, one open election at it and adults on its roll."""

    village: Village
    organizer: StaffUser
    assembly: Assembly
    election: Election
    round: Round
    people: list[Person]
    entries: list[RollEntry] = field(default_factory=list)


def voting(db: Session, *, voters: int = 3, seats: int = 1, overrides: str = "{}") -> Voting:
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    meeting = assembly(db, village)
    contest = election(
        db, village, organizer=organizer, seats=seats, overrides=overrides, assembly_id=meeting.id
    )
    open_round = round_(db, contest)
    people = adults(village, voters)
    entries = roll(db, contest, people)
    return Voting(village, organizer, meeting, contest, open_round, people, entries)


def membership(db: Session, person: Person, group_id: int) -> GroupMembership:
    return factories.MembershipFactory(person_id=person.id, group_id=group_id)
