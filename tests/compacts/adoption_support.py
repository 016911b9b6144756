"""Rows for the answers and adoption tests, made directly with the models: a compact
with versions, a round with comments, and a villagers' assembly to adopt it at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.actors import Actor, actor_for
from app.permissions import Role
from app.registry.models import Group, Person, Village
from compacts.adoption import delivery
from compacts.adoption import services as adoption
from compacts.models import (
    Adoption,
    Comment,
    Compact,
    DeliberationRound,
    FilingDecision,
    RoundGroup,
    Version,
)
from tests import factories

SOURCE = "# 总则\n## 宗旨\n本村村民自愿订立本公约。\n## 议事\n大事由村民会议商量决定。\n"


@dataclass
class Book:
    village: Village
    organizer: StaffUser
    compact: Compact
    group: Group
    people: list[Person]

    @property
    def actor(self) -> Actor:
        return actor_for(self.organizer)


def book(db: Session, people: int = 3) -> Book:
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    compact = Compact(village_id=village.id, title="村规民约", created_by_id=organizer.id)
    group = factories.GroupFactory(village_id=village.id)
    db.add(compact)
    db.flush()
    members = []
    for _ in range(people):
        household = factories.HouseholdFactory(village_id=village.id)
        person = factories.PersonFactory(household=household)
        factories.MembershipFactory(person_id=person.id, group_id=group.id, kind=group.kind)
        members.append(person)
    return Book(village, organizer, compact, group, members)


def version(db: Session, b: Book, number: int, *, answers_filing_id: int | None = None) -> Version:
    row = Version(
        compact_id=b.compact.id,
        number=number,
        source=SOURCE,
        structure_json="{}",
        sha256=f"{number:064d}",
        change_note=f"第{number}版",
        answers_filing_id=answers_filing_id,
        author_id=b.organizer.id,
    )
    db.add(row)
    db.flush()
    return row


def round_on(db: Session, b: Book, v: Version) -> DeliberationRound:
    row = DeliberationRound(compact_id=b.compact.id, version_id=v.id, deadline=date(2099, 1, 1))
    db.add(row)
    db.flush()
    db.add(RoundGroup(round_id=row.id, group_id=b.group.id))
    db.flush()
    return row


def comment(db: Session, b: Book, r: DeliberationRound, person: Person, text: str) -> Comment:
    row = Comment(round_id=r.id, group_id=b.group.id, person_id=person.id, article="2", text=text)
    db.add(row)
    db.flush()
    return row


FIGURES = '{"members": 10, "present": 7, "yes": 6, "no": 1, "abstain": 0}'


def adopt(db: Session, b: Book, v: Version, figures: str = FIGURES) -> Adoption:
    """The assembly's adoption, as a row (no meeting needed)."""
    row = Adoption(
        version_id=v.id,
        adopted=True,
        figures_json=figures,
        adopted_on=adoption.today(),
        recorded_by_id=b.organizer.id,
    )
    db.add(row)
    db.flush()
    return row


def publish(db: Session, b: Book, v: Version, figures: str = FIGURES) -> None:
    """Adopted, filed and acknowledged by the township, and published."""
    adopt(db, b, v, figures)
    township = actor_for(factories.staff(Role.TOWNSHIP_ADMIN, b.village))
    filing = adoption.submit_filing(db, b.actor, v)
    adoption.decide_filing(db, township, filing, FilingDecision.ACKNOWLEDGED)
    delivery.publish(db, b.actor, v)
