"""Storing and applying a roll against a real database (SQLite or PostgreSQL)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.actors import Actor
from app.audit.models import AuditEntry
from app.permissions import Role
from app.registry.exceptions import ImportAlreadyApplied
from app.registry.models import Group, GroupKind, GroupMembership, Household, Person, Village
from app.registry.roll.importing import ImportNoLongerValid, analyse, apply_import, store_upload
from tests import factories

HEADER = "编号,姓名,性别,出生年月,户号,户代表,村民小组,育龄妇女小组,协会联户组,村民代表,村干部,协会会员,登记类别,住址"


def roll(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


FIRST = roll(
    "P001,张三,男,1968-03,012,是,第一村民小组,,协会联户组1,是,否,是,,山前路1号",
    "P002,李秀英,女,1970-05,012,否,第一村民小组,一组育龄妇女小组,,否,否,否,,山前路1号",
    "P003,王五,男,1955-07,013,是,第二村民小组,,,否,是,否,户籍在本村外出,",
)


def apply(db: Session, village: Village, content: bytes) -> None:
    staff = factories.staff(Role.ORGANIZER, village)
    actor = Actor(label="测试", user_id=staff.id, village_id=village.id)
    stored = store_upload(db, actor, village, staff.id, "roll.csv", content)
    apply_import(db, actor, village, stored)
    db.flush()
    db.expire_all()


def person(db: Session, village: Village, roll_number: str) -> Person:
    found = db.scalar(
        select(Person).where(Person.village_id == village.id, Person.roll_number == roll_number)
    )
    assert found is not None
    return found


def test_first_import_creates_people_households_groups_and_one_audit_entry(db: Session) -> None:
    village = factories.VillageFactory()
    apply(db, village, FIRST)
    people = db.scalars(select(Person).where(Person.village_id == village.id)).all()
    assert sorted(p.name for p in people) == ["张三", "李秀英", "王五"]
    households = db.scalars(select(Household).where(Household.village_id == village.id)).all()
    assert sorted((h.number, h.address) for h in households) == [("012", "山前路1号"), ("013", "")]
    groups = db.scalars(select(Group).where(Group.village_id == village.id)).all()
    assert sorted((g.kind.value, g.name) for g in groups) == [
        ("association", "协会联户组1"),
        ("villagers", "第一村民小组"),
        ("villagers", "第二村民小组"),
        ("women", "一组育龄妇女小组"),
    ]
    li = person(db, village, "P002")
    assert li.group_of(GroupKind.WOMEN).name == "一组育龄妇女小组"  # type: ignore[union-attr]
    assert li.group_of(GroupKind.ASSOCIATION) is None
    assert not li.is_household_representative and not li.is_association_member
    wang = person(db, village, "P003")
    assert wang.is_cadre and wang.residence.value == "registered_away"
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "roll.import")).all()
    summary = json.loads(entry.summary)
    assert summary["sha256"] == hashlib.sha256(FIRST).hexdigest()
    assert (summary["added"], summary["changed"], summary["households_created"]) == (3, 0, 2)
    assert summary["groups_created"] == 4
    assert entry.village_id == village.id


def test_representative_swap_move_and_group_changes_in_one_import(db: Session) -> None:
    village = factories.VillageFactory()
    apply(db, village, FIRST)
    apply(
        db,
        village,
        roll(
            # 张三 hands the household over to 李秀英 and leaves every group. 李秀英 comes
            # first, so she is made representative before 张三 stops being one.
            "P002,李秀英,女,1970-05,012,是,第二村民小组,一组育龄妇女小组,,否,否,否,,山前路1号",
            "P001,张三,男,1968-03,012,否,,,,是,否,是,,山前路1号",
            # 王五 moves to a new household and becomes its representative.
            "P003,王五,男,1955-07,014,是,第二村民小组,,,否,是,否,户籍在本村外出,新村路",
        ),
    )
    zhang, li, wang = (person(db, village, n) for n in ("P001", "P002", "P003"))
    assert not zhang.is_household_representative and li.is_household_representative
    assert zhang.memberships == []
    assert li.group_of(GroupKind.VILLAGERS).name == "第二村民小组"  # type: ignore[union-attr]
    assert wang.household.number == "014" and wang.household.address == "新村路"
    assert wang.is_household_representative
    summary = json.loads(
        db.scalars(select(AuditEntry.summary).where(AuditEntry.action == "roll.import")).all()[-1]
    )
    assert summary["changes"]["P002"]["villagers_group"] == ["第一村民小组", "第二村民小组"]
    assert summary["changes"]["P003"]["household"] == ["013", "014"]


def test_an_import_is_applied_once(db: Session) -> None:
    village = factories.VillageFactory()
    staff = factories.staff(Role.ORGANIZER, village)
    actor = Actor(label="测试", user_id=staff.id)
    stored = store_upload(db, actor, village, staff.id, "roll.csv", FIRST)
    apply_import(db, actor, village, stored)
    with pytest.raises(ImportAlreadyApplied) as caught:
        apply_import(db, actor, village, stored)
    assert "已经导入过了" in caught.value.render_message()


def test_apply_checks_the_village_as_it_is_now(db: Session) -> None:
    village = factories.VillageFactory()
    staff = factories.staff(Role.ORGANIZER, village)
    actor = Actor(label="测试", user_id=staff.id)
    stored = store_upload(db, actor, village, staff.id, "roll.csv", FIRST)
    # After the preview, someone else makes 孙七 the representative of household 012.
    household = factories.HouseholdFactory(village_id=village.id, number="012")
    factories.PersonFactory(household=household, name="孙七", is_household_representative=True)
    with pytest.raises(ImportNoLongerValid) as caught:
        apply_import(db, actor, village, stored)
    (problem,) = caught.value.analysis.problems
    assert (problem.row, problem.column) == (2, "户代表")
    assert "户 012 已有户代表 孙七" in problem.message


@contextmanager
def count_statements(db: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = db.get_bind()

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def big_roll(size: int, *, renamed: int = 0) -> bytes:
    rows = []
    for n in range(size):
        household = n // 4
        name = f"村民{n}" + ("改" if n < renamed else "")
        rows.append(
            f"R{n:05d},{name},{'男' if n % 2 else '女'},19{50 + n % 50}-{1 + n % 12:02d},"
            f"H{household:04d},{'是' if n % 4 == 0 else '否'},第{household % 9}村民小组,"
            f",协会联户组{household % 20},否,否,{'是' if n % 3 == 0 else '否'},,{household}号"
        )
    return roll(*rows)


def test_a_big_roll_uses_a_fixed_number_of_queries(db: Session) -> None:
    """Bulk statements, no per-row SELECT: the statement count does not grow with the roll.

    It prints the time as well (asserting none); bench/roll_import.py measures properly.
    """
    counts = []
    for size in (300, 3000):
        village = factories.VillageFactory()
        staff = factories.staff(Role.ORGANIZER, village)
        actor = Actor(label="测试", user_id=staff.id)
        content = big_roll(size)
        started = time.perf_counter()
        with count_statements(db) as statements:
            stored = store_upload(db, actor, village, staff.id, "big.csv", content)
            apply_import(db, actor, village, stored)
            db.flush()
        print(f"\n{size} people imported in {time.perf_counter() - started:.2f}s")
        counts.append(len(statements))
        total = db.scalar(select(func.count()).where(Person.village_id == village.id))
        assert total == size
    print("statements:", counts)
    # Big INSERTs go out in batches of about a thousand rows: a few more statements.
    assert counts[1] <= counts[0] + 10, counts
    memberships = db.scalar(
        select(func.count())
        .select_from(GroupMembership)
        .join(Person)
        .where(Person.village_id == village.id)
    )
    assert memberships == 6000


def test_a_big_reimport_with_changes_is_previewed_right(db: Session) -> None:
    village = factories.VillageFactory()
    apply(db, village, big_roll(1000))
    analysis = analyse(db, village.id, "big.csv", big_roll(1000, renamed=50))
    assert analysis.ok and analysis.diff is not None
    assert (len(analysis.diff.added), len(analysis.diff.changed)) == (0, 50)
    assert len(analysis.diff.unchanged) == 950


def test_uploads_abandoned_for_a_week_are_dropped_at_the_next_upload(db: Session) -> None:
    from datetime import timedelta

    from app.db import utcnow
    from app.registry.models import RollImport
    from app.registry.roll.importing import ABANDONED_AFTER

    village = factories.VillageFactory()
    staff = factories.staff(Role.ORGANIZER, village)
    actor = Actor(label="测试", user_id=staff.id)
    old = store_upload(db, actor, village, staff.id, "old.csv", FIRST)
    recent = store_upload(db, actor, village, staff.id, "recent.csv", FIRST)
    applied = store_upload(db, actor, village, staff.id, "applied.csv", FIRST)
    apply_import(db, actor, village, applied)
    long_ago = utcnow() - ABANDONED_AFTER - timedelta(hours=1)
    for row in (old, applied):
        row.created_at = long_ago
    recent.created_at = utcnow() - ABANDONED_AFTER + timedelta(hours=1)
    db.flush()
    store_upload(db, actor, village, staff.id, "new.csv", FIRST)
    db.expire_all()
    kept = set(db.scalars(select(RollImport.filename).where(RollImport.village_id == village.id)))
    assert kept == {"recent.csv", "applied.csv", "new.csv"}
    uploads = db.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "roll.upload"))  # fmt: skip
    assert uploads == 4  # the audit log still names the dropped upload
