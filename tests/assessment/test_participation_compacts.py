"""Deliberation coverage, comments answered and delivery, counted by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction

from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.actors import actor_for
from app.permissions import Role
from app.registry.models import Group, GroupKind, Person, Village
from assessment.participation import ParticipationFigure, Ratio, participation
from compacts.adoption import delivery
from compacts.models import Compact, DeliberationRound, DeliveryMethod, Version
from tests import factories
from tests.meetings.meetings_support import adults


def figure(db: Session, village_id: int, year: int, code: str) -> ParticipationFigure:
    return next(f for f in participation(db, village_id, year) if f.code == code)


def at(month: int, day: int, hour: int = 2, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def deliberated(compact: Compact, version: Version, deadline: date) -> DeliberationRound:
    return factories.DeliberationRoundFactory(
        compact_id=compact.id, version_id=version.id, deadline=deadline
    )


def take_part(round_: DeliberationRound, groups: list[Group]) -> None:
    for group in groups:
        factories.RoundGroupFactory(round_id=round_.id, group_id=group.id)


def comment(round_: DeliberationRound, group: Group, person: Person, when: datetime, **kw):
    return factories.CommentFactory(
        round_id=round_.id, group_id=group.id, person_id=person.id, created_at=when, **kw
    )


def a_village() -> tuple[Village, StaffUser, StaffUser, Compact, list[Person], Group, Group]:
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    leader = factories.staff(Role.GROUP_LEADER, village)
    people = adults(village, 6)
    people[4].active = False  # moved away: no longer counted among the members
    villagers = factories.GroupFactory(village_id=village.id, name="第一村民小组")
    women = factories.GroupFactory(village_id=village.id, name="妇女小组", kind=GroupKind.WOMEN)
    for person in people[:5]:
        factories.MembershipFactory(person_id=person.id, group_id=villagers.id)
    for person in (people[0], people[5]):
        factories.MembershipFactory(person_id=person.id, group_id=women.id, kind=GroupKind.WOMEN)
    compact = factories.CompactFactory(village_id=village.id, created_by_id=organizer.id)
    return village, organizer, leader, compact, people, villagers, women


def test_deliberation_coverage_and_comments_answered(db, app):
    village, organizer, leader, compact, people, villagers, women = a_village()
    p1, p2, p3, p4, _p5, p6 = people
    version = factories.CompactVersionFactory(compact_id=compact.id, author_id=organizer.id)
    first = deliberated(compact, version, date(2026, 5, 31))
    take_part(first, [villagers, women])
    # 00:30 on 2 May China time; answered 23:00 on 4 May: 2 days.
    by_p1 = comment(first, villagers, p1, at(5, 1, 16, 30))
    by_p2 = comment(first, villagers, p2, at(5, 2), entered_by_id=leader.id)  # from paper
    comment(first, villagers, p4, at(5, 3))  # not answered
    factories.AnswerFactory(
        comment_id=by_p1.id, answered_by_id=organizer.id, answered_at=at(5, 4, 15)
    )
    factories.AnswerFactory(comment_id=by_p2.id, answered_by_id=organizer.id, answered_at=at(5, 11))
    factories.MemberVoteFactory(round_id=first.id, group_id=villagers.id, person_id=p1.id)
    factories.MemberVoteFactory(
        round_id=first.id, group_id=villagers.id, person_id=p3.id, entered_by_id=leader.id
    )
    factories.MemberVoteFactory(round_id=first.id, group_id=women.id, person_id=p6.id)
    second = deliberated(compact, version, date(2026, 9, 30))
    take_part(second, [villagers])  # nobody took part
    # Not 2026: a round whose deadline was the last day of 2025; another village's round.
    old = deliberated(compact, version, date(2025, 12, 31))
    take_part(old, [villagers])
    comment(old, villagers, p2, at(12, 1, year=2025))
    _, other_organizer, _, other_compact, other_people, other_group, _ = a_village()
    other_version = factories.CompactVersionFactory(
        compact_id=other_compact.id, author_id=other_organizer.id
    )
    elsewhere = deliberated(other_compact, other_version, date(2026, 5, 1))
    take_part(elsewhere, [other_group])
    comment(elsewhere, other_group, other_people[0], at(4, 1))

    coverage = figure(db, village.id, 2026, "deliberation")
    answered = figure(db, village.id, 2026, "comments_answered")

    # Villagers' group: 4 active members, all 4 commented or voted; women: 1 of 2 (p1 is
    # in both groups: counted in each group, once for the round: 5 of 5); the second
    # round: 0 of 4.
    assert coverage.overall == Ratio(5, 9)
    (table,) = coverage.tables
    assert [
        (r["deadline"], r["group"], r["members"], r["reached"], r["share"]) for r in table.rows
    ] == [
        (date(2026, 5, 31), "第一村民小组", 4, 4, Fraction(1)),
        (date(2026, 5, 31), "妇女小组", 2, 1, Fraction(1, 2)),
        (date(2026, 5, 31), "全部小组（每人算一次）", 5, 5, Fraction(1)),
        (date(2026, 9, 30), "第一村民小组", 4, 0, Fraction(0)),
    ]
    assert [(e.route, e.params) for e in coverage.evidence] == [
        ("compacts:round", {"deliberation_id": first.id}),
        ("compacts:round", {"deliberation_id": second.id}),
    ]
    for evidence in coverage.evidence:
        assert app.url_path_for(evidence.route, **evidence.params)

    assert answered.overall == Ratio(2, 3)
    (table,) = answered.tables
    assert [(r["comments"], r["answered"], r["share"], r["median"]) for r in table.rows] == [
        (3, 2, Fraction(2, 3), Fraction(11, 2)),  # 2 and 9 days
        (0, 0, None, None),
    ]
    assert [cells[-1].text for cells in table.display_rows()] == ["5.5", "无数据"]
    assert "5.5" in table.note
    assert figure(db, village.id, 2025, "comments_answered").overall == Ratio(0, 1)


def test_delivery_of_the_versions_adopted_and_published_in_the_year(db, app):
    village, organizer, _leader, compact, people, _villagers, _women = a_village()
    factories.HouseholdFactory(village_id=factories.VillageFactory().id)  # not this village
    versions = [
        factories.CompactVersionFactory(compact_id=compact.id, author_id=organizer.id, number=n)
        for n in (1, 2, 3)
    ]
    adopted, unpublished, last_year = versions
    # Turned down in February, adopted in June, published in July.
    for passed, day in ((False, date(2026, 2, 1)), (True, date(2026, 6, 15))):
        factories.AdoptionFactory(
            version_id=adopted.id, adopted=passed, adopted_on=day, recorded_by_id=organizer.id
        )
    factories.PublicationFactory(
        version_id=adopted.id, published_on=date(2026, 7, 1), published_by_id=organizer.id
    )
    actor = actor_for(organizer)
    for person in people[:4]:
        delivery.record_delivery(db, actor, adopted, person.household, DeliveryMethod.LEADER)
    factories.AdoptionFactory(
        version_id=unpublished.id, adopted_on=date(2026, 9, 1), recorded_by_id=organizer.id
    )
    factories.AdoptionFactory(
        version_id=last_year.id, adopted_on=date(2025, 12, 31), recorded_by_id=organizer.id
    )
    factories.PublicationFactory(
        version_id=last_year.id, published_on=date(2026, 1, 5), published_by_id=organizer.id
    )

    found = figure(db, village.id, 2026, "delivery")

    assert found.overall == Ratio(4, 6)
    (table,) = found.tables
    assert [
        (r["adopted"], r["published"], r["households"], r["delivered"], r["share"])
        for r in table.rows
    ] == [(date(2026, 6, 15), date(2026, 7, 1), 6, 4, Fraction(2, 3))]
    assert [(e.route, e.params) for e in found.evidence] == [
        ("compacts:delivery", {"version_id": adopted.id})
    ]
    assert app.url_path_for("compacts:delivery", version_id=adopted.id)
    assert figure(db, village.id, 2025, "delivery").overall == Ratio(0, 6)
    assert figure(db, village.id, 2027, "delivery").overall.value is None
