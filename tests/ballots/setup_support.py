"""Shared set-up for the election set-up tests: a village with voters, an election, and
helpers that walk it through its stages on chosen dates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.actors import Actor
from app.audit.models import AuditEntry
from app.permissions import Role
from app.registry.models import Group, Person, Village
from app.sealed_box import services as sealed_box
from ballots import setup
from ballots.models import Election, Electorate, Office, Stage
from ballots.results import set_tellers
from tests import factories
from tests.sealed_box_support import make_ready

ELECTION_DAY = date(2026, 9, 30)
PUBLISH_ON = ELECTION_DAY - timedelta(days=25)  # 2026-09-05
CLOSE_ON = PUBLISH_ON + timedelta(days=5)  # 2026-09-10
CANDIDATES_ON = ELECTION_DAY - timedelta(days=10)


def actor_for(user: StaffUser) -> Actor:
    return Actor(
        label=f"{user.display_name} ({user.username})",
        user_id=user.id,
        township_id=user.township_id,
        village_id=user.village_id,
    )


@dataclass
class Place:
    village: Village
    organizer: StaffUser
    actor: Actor
    group: Group
    other_group: Group
    people: list[Person] = field(default_factory=list)


def person(village: Village, group: Group | None = None, **kwargs: object) -> Person:
    household = factories.HouseholdFactory(village_id=village.id)
    created = factories.PersonFactory(household=household, **kwargs)
    if group is not None:
        factories.MembershipFactory(person_id=created.id, group_id=group.id, kind=group.kind)
    return created


def place(db: Session, voters: int = 6) -> Place:
    """A village with two villagers' groups and `voters` adults in the first one."""
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    group = factories.GroupFactory(village_id=village.id, name="第一组")
    other = factories.GroupFactory(village_id=village.id, name="第二组")
    people = [person(village, group, name=f"选民{i}") for i in range(voters)]
    db.flush()
    return Place(village, organizer, actor_for(organizer), group, other, people)


def election(db: Session, where: Place, **overrides: object) -> Election:
    values: dict[str, object] = {
        "village_id": where.village.id,
        "title": "2026年计生主任选举",
        "office": Office.DIRECTOR,
        "office_label": "",
        "electorate": Electorate.VILLAGE,
        "group_id": None,
        "seats": 1,
        "profile_name": "village-election",
        "overrides": {},
        "election_day": ELECTION_DAY,
    }
    values.update(overrides)
    return setup.create_election(db, where.actor, **values)  # type: ignore[arg-type]


def to_stage(db: Session, where: Place, found: Election, stage: Stage) -> None:
    """Walk an election forward to `stage` on lawful dates (nominating as needed)."""
    steps = [
        (Stage.ROLL_PUBLISHED, PUBLISH_ON),
        (Stage.OBJECTIONS_CLOSED, CLOSE_ON),
        (Stage.NOMINATIONS, CLOSE_ON),
    ]
    if found.stage is Stage.DRAFT:
        setup.build_roll(db, where.actor, found)
    for target, day in steps:
        if found.stage is stage:
            return
        setup.advance(db, where.actor, found, target, day)
    if found.stage is stage:
        return
    nominate(db, where, found, {0: 3, 1: 2, 2: 1})
    setup.publish_candidates(db, where.actor, found, CANDIDATES_ON, found.seats + 1)
    if found.stage is stage:
        return
    ready_box(db, where, found)
    setup.advance(db, where.actor, found, Stage.VOTING_OPEN, ELECTION_DAY)
    assert found.stage is stage


def ready_box(db: Session, where: Place, found: Election, holders: int = 3) -> list[StaffUser]:
    """Name `holders` tellers of the pending round (its sealed box's key holders) and give
    each a box password (tests.sealed_box_support), so that voting may open."""
    pending = setup.pending_round(db, found)
    assert pending is not None
    tellers = [factories.staff(Role.TELLER, where.village) for _ in range(holders)]
    set_tellers(db, where.actor, pending, [t.id for t in tellers])
    box = sealed_box.find_box(db, sealed_box.ELECTION_ROUND, pending.id)
    assert box is not None
    make_ready(db, box.id, tellers)
    return tellers


def nominate(db: Session, where: Place, found: Election, counts: dict[int, int]) -> None:
    """Paper nominations: person index → how many nomination forms name them."""
    for index, count in counts.items():
        for number in range(count):
            setup.add_nomination(
                db,
                where.actor,
                found,
                nominee_person_id=where.people[index].id,
                nominator_key=f"paper:{index}-{number}",
            )


def audit_actions(db: Session, object_type: str, object_id: int) -> list[str]:
    return list(
        db.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
            .order_by(AuditEntry.seq)
        )
    )
