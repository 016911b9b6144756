"""Rows for the paper, count, mobile-box and proxy tests, made directly with the models.

`Scene` is one village election with round 1 open (or counting), candidates 甲 乙 丙 who
are themselves on the roll, and `voters` more people on the roll.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.actors import Actor
from app.actors import actor_for as staff_actor
from app.audit.models import AuditEntry
from app.permissions import Role
from app.registry.models import Person, Residence, Village
from app.sealed_box import services as sealed_box
from ballots.models import (
    Ballot,
    BallotSource,
    Candidate,
    CredentialUse,
    Election,
    Electorate,
    Office,
    RollEntry,
    Round,
    RoundKind,
    RoundStatus,
    Stage,
)
from tests import factories
from tests.sealed_box_support import seal_new_box

ELECTION_DAY = date(2026, 12, 20)
ROLL_PUBLISHED = date(2026, 11, 20)
CANDIDATES = ("甲", "乙", "丙")


@dataclass
class Scene:
    db: Session
    village: Village
    organizer: StaffUser
    election: Election
    round: Round
    candidates: list[RollEntry]  # the candidates' own roll entries, in ballot order
    entries: list[RollEntry]  # the other voters

    @property
    def actor(self) -> Actor:
        return staff_actor(self.organizer)

    def teller(self, name: str = "") -> StaffUser:
        kwargs = {"display_name": name} if name else {}
        return factories.staff(Role.TELLER, self.village, **kwargs)

    def person(self, entry: RollEntry) -> Person:
        person = self.db.get(Person, entry.person_id)
        assert person is not None
        return person

    def add_voter(self, name: str = "") -> RollEntry:
        household = factories.HouseholdFactory(village_id=self.village.id)
        kwargs = {"name": name} if name else {}
        person = factories.PersonFactory(household=household, **kwargs)
        entry = RollEntry(
            election_id=self.election.id,
            person_id=person.id,
            category=Residence.REGISTERED_RESIDENT,
        )
        self.db.add(entry)
        self.db.flush()
        return entry

    def set_status(self, status: RoundStatus) -> None:
        self.round.status = status
        self.election.stage = {
            RoundStatus.PENDING: Stage.CANDIDATES_PUBLISHED,
            RoundStatus.OPEN: Stage.VOTING_OPEN,
            RoundStatus.COUNTING: Stage.COUNTING,
        }.get(status, self.election.stage)
        self.db.flush()


def make_scene(
    db: Session,
    *,
    voters: int = 6,
    seats: int = 1,
    overrides: str = "{}",
    status: RoundStatus = RoundStatus.OPEN,
) -> Scene:
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    election = Election(
        village_id=village.id,
        title="计生主任选举",
        office=Office.DIRECTOR,
        electorate=Electorate.VILLAGE,
        seats=seats,
        profile_name="village-election",
        profile_overrides=overrides,
        election_day=ELECTION_DAY,
        roll_published_on=ROLL_PUBLISHED,
        created_by_id=organizer.id,
    )
    db.add(election)
    db.flush()
    round_ = Round(
        election_id=election.id, number=1, kind=RoundKind.FIRST, seats=seats, status=status
    )
    db.add(round_)
    db.flush()
    scene = Scene(db, village, organizer, election, round_, [], [])
    scene.set_status(status)
    if status is RoundStatus.OPEN:
        seal_new_box(db, sealed_box.ELECTION_ROUND, round_.id, village)
    for position, name in enumerate(CANDIDATES, start=1):
        entry = scene.add_voter(name)
        scene.candidates.append(entry)
        db.add(
            Candidate(round_id=round_.id, person_id=entry.person_id, name=name, position=position)
        )
    scene.entries = [scene.add_voter() for _ in range(voters)]
    db.flush()
    return scene


def paper_ballots(db: Session, round_: Round) -> list[list[str]]:
    rows = db.scalars(
        select(Ballot.marks).where(
            Ballot.round_id == round_.id, Ballot.source == BallotSource.PAPER
        )
    )
    return sorted(json.loads(marks) for marks in rows)


def uses(db: Session, round_: Round) -> list[CredentialUse]:
    return list(db.scalars(select(CredentialUse).where(CredentialUse.round_id == round_.id)))


def audit_count(db: Session, action: str | None = None) -> int:
    stmt = select(func.count()).select_from(AuditEntry)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    return int(db.scalar(stmt) or 0)


def audit_texts(db: Session) -> list[str]:
    return [f"{e.action} {e.summary}" for e in db.scalars(select(AuditEntry))]


def enter(db: Session, count, readings: Sequence[str | tuple[str, ...]]) -> None:  # type: ignore[no-untyped-def]
    """Enter a stack: a name or names per ballot, "" for blank, "X" for invalid."""
    from ballots.paper.count import add_entry

    for reading in readings:
        if reading == "":
            add_entry(db, count, blank=True)
        elif reading == "X":
            add_entry(db, count, invalid=True)
        else:
            names = (reading,) if isinstance(reading, str) else reading
            add_entry(db, count, marks=list(names))
