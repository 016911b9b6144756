"""Importing a roll: analyse an upload, keep it for the preview, apply it once.

The upload is read, every row checked, and compared with the village as it is now
(`analyse`). A valid upload is stored as a `RollImport` so the preview and the
confirmation may run in different workers. `apply_import` claims the import (so it
can only be applied once), analyses it again against the current database, and writes
everything with bulk statements: a few queries for the whole roll, none per row.
Nothing here commits; the request layer does, and rolls back on any error.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from app.actors import Actor
from app.audit.services import record
from app.db import utcnow
from app.errors import Conflict
from app.i18n import lazy
from app.registry.exceptions import ImportAlreadyApplied, RollFileError
from app.registry.models import (
    Group,
    GroupKind,
    GroupMembership,
    Household,
    Person,
    Residence,
    RollImport,
    Village,
)
from app.registry.roll.diff import (
    PersonChange,
    RollDiff,
    VillageState,
    compute_diff,
    final_representative,
    load_state,
)
from app.registry.roll.read import read_table
from app.registry.roll.validate import Problem, RollRow, Validation, code_key, name_key, validate
from app.registry.rules import today_in_china

# Keeps each IN (...) list well under every database's parameter limit.
_CHUNK = 500


@dataclass
class Analysis:
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    validation: Validation | None = None
    diff: RollDiff | None = None
    state: VillageState | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.diff is not None


class ImportNoLongerValid(Conflict):
    """The village changed since the preview and the roll no longer fits it; carries the
    new analysis for the preview page (so it lives beside `Analysis`)."""

    title = lazy("名单需要先修改")

    def __init__(self, analysis: Analysis) -> None:
        super().__init__(lazy("村里的名册在预览之后有了变化，这份名单现在有问题，没有导入。"))
        self.analysis = analysis


def analyse(
    session: Session, village_id: int, filename: str, content: bytes, today: date | None = None
) -> Analysis:
    try:
        table = read_table(filename, content)
    except RollFileError as error:
        return Analysis(problems=[Problem(None, "", error.render_message())])
    validation = validate(table, today or today_in_china())
    analysis = Analysis(list(validation.problems), list(validation.warnings), validation)
    if not validation.ok:
        return analysis
    analysis.state = load_state(session, village_id)
    analysis.diff = compute_diff(validation, analysis.state)
    analysis.problems = list(analysis.diff.problems)
    return analysis


# Uploads previewed but never applied are dropped after this long: each can hold up to
# 10 MB, and the audit log keeps the upload's name and SHA-256 anyway.
ABANDONED_AFTER = timedelta(days=7)


def _drop_abandoned_uploads(session: Session, village: Village) -> None:
    session.execute(
        delete(RollImport).where(
            RollImport.village_id == village.id,
            RollImport.applied_at.is_(None),
            RollImport.created_at < utcnow() - ABANDONED_AFTER,
        )
    )


def store_upload(
    session: Session,
    actor: Actor,
    village: Village,
    uploaded_by_id: int,
    filename: str,
    content: bytes,
) -> RollImport:
    _drop_abandoned_uploads(session, village)
    digest = hashlib.sha256(content).hexdigest()
    roll_import = RollImport(
        village_id=village.id,
        uploaded_by_id=uploaded_by_id,
        filename=filename[:200],
        content=content,
        sha256=digest,
    )
    session.add(roll_import)
    session.flush()
    record(
        session,
        actor,
        "roll.upload",
        "roll_import",
        roll_import.id,
        {"filename": roll_import.filename, "sha256": digest, "bytes": len(content)},
        village_id=village.id,
        township_id=village.township_id,
    )
    return roll_import


def same_file_applied_before(session: Session, roll_import: RollImport) -> RollImport | None:
    """An earlier applied upload of exactly this file, if any (shown on the preview)."""
    stmt = (
        select(RollImport)
        .where(
            RollImport.village_id == roll_import.village_id,
            RollImport.sha256 == roll_import.sha256,
            RollImport.applied_at.is_not(None),
            RollImport.id != roll_import.id,
        )
        .order_by(RollImport.applied_at.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def apply_import(
    session: Session, actor: Actor, village: Village, roll_import: RollImport
) -> Analysis:
    # One import at a time per village (PostgreSQL; SQLite writers queue anyway), so two
    # imports cannot both create the same new group or household.
    session.execute(select(Village.id).where(Village.id == village.id).with_for_update())
    _claim(session, roll_import)
    analysis = analyse(session, village.id, roll_import.filename, roll_import.content)
    if not analysis.ok:
        raise ImportNoLongerValid(analysis)
    assert analysis.diff is not None and analysis.state is not None
    groups = _create_groups(session, village.id, analysis.diff)
    households = _write_households(session, village.id, analysis.diff)
    _write_people(session, village.id, analysis.diff, analysis.state, groups, households)
    diff = analysis.diff
    record(
        session,
        actor,
        "roll.import",
        "roll_import",
        roll_import.id,
        {
            "filename": roll_import.filename,
            "sha256": roll_import.sha256,
            "added": len(diff.added),
            "changed": len(diff.changed),
            "unchanged": len(diff.unchanged),
            "not_in_file": len(diff.not_in_file),
            "households_created": len(diff.new_households),
            "addresses_changed": len(diff.address_changes),
            "groups_created": len(diff.new_groups),
            # Who changed what; the added people are in the stored file itself.
            "changes": {
                change.person.roll_number: {c.key: [c.old, c.new] for c in change.changes}
                for change in diff.changed
            },
        },
        village_id=village.id,
        township_id=village.township_id,
    )
    return analysis


def _claim(session: Session, roll_import: RollImport) -> None:
    """Mark applied first: a second apply, even a concurrent one, finds it taken.

    The loaded object is left as it was: if the apply then fails, the page shown before
    the rollback must not claim the import was applied.
    """
    result = session.execute(
        update(RollImport)
        .where(RollImport.id == roll_import.id, RollImport.applied_at.is_(None))
        .values(applied_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise ImportAlreadyApplied(
            lazy("这份名单已经导入过了，不能再导入一次。如需再改，请重新上传修改后的名单。")
        )


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


# New rows are inserted with plain executemany and their ids read back with one SELECT:
# INSERT ... RETURNING in parameter order falls back to one statement per row on SQLite.


def _create_groups(
    session: Session, village_id: int, diff: RollDiff
) -> dict[tuple[GroupKind, str], int]:
    if diff.new_groups:
        session.execute(
            insert(Group),
            [{"village_id": village_id, "kind": k, "name": name} for k, name in diff.new_groups],
        )
    rows = session.execute(
        select(Group.id, Group.kind, Group.name).where(Group.village_id == village_id)
    )
    return {(kind, name_key(name)): group_id for group_id, kind, name in rows}


def _write_households(session: Session, village_id: int, diff: RollDiff) -> dict[str, int]:
    ids = {key: plan.existing.id for key, plan in diff.households.items() if plan.existing}
    new = {plan.number: plan.key for plan in diff.new_households}
    if new:
        session.execute(
            insert(Household),
            [
                {"village_id": village_id, "number": plan.number, "address": plan.address or ""}
                for plan in diff.new_households
            ],
        )
        rows = session.execute(
            select(Household.id, Household.number).where(Household.village_id == village_id)
        )
        ids.update({new[number]: household_id for household_id, number in rows if number in new})
    updates = [
        {"id": plan.existing.id, "address": plan.address}
        for plan in diff.address_changes
        if plan.existing
    ]
    if updates:
        session.execute(update(Household), updates)
    return ids


def _values(
    row: RollRow, household_id: int, representative: bool, *, new: bool
) -> dict[str, object]:
    values: dict[str, object] = {
        "name": row.name,
        "sex": row.sex,
        "birth_year": row.birth_year,
        "birth_month": row.birth_month,
        "household_id": household_id,
        "is_household_representative": representative,
        "active": True,
        "updated_at": utcnow(),
    }
    if row.residence is not None or new:
        values["residence"] = row.residence or Residence.REGISTERED_RESIDENT
    if new:
        values.update(
            {"is_villager_representative": False, "is_cadre": False, "is_association_member": False}
        )
    values.update(row.flags)
    return values


def _write_people(
    session: Session,
    village_id: int,
    diff: RollDiff,
    state: VillageState,
    groups: dict[tuple[GroupKind, str], int],
    households: dict[str, int],
) -> None:
    # The database allows one representative per household at every moment, so first
    # take the flag off everyone who is changing, then write the final values.
    was_representative = [
        c.person.id for c in diff.changed if c.person.flags["is_household_representative"]
    ]
    for ids in _chunks(was_representative):
        session.execute(
            update(Person)
            .where(Person.id.in_(ids))
            .values(is_household_representative=False)
            .execution_options(synchronize_session=False)
        )
    if diff.changed:
        session.execute(
            update(Person), [_changed_values(c, state, households) for c in diff.changed]
        )
    added_ids = _insert_people(session, village_id, diff.added, households)
    _write_memberships(session, diff, groups, added_ids)


def _insert_people(
    session: Session, village_id: int, added: list[RollRow], households: dict[str, int]
) -> dict[str, int]:
    """Insert the new people; return their ids by roll number."""
    if not added:
        return {}
    rows = [
        {
            "village_id": village_id,
            "roll_number": row.roll_number,
            **_values(
                row,
                households[code_key(row.household)],
                final_representative(row, None, False),
                new=True,
            ),
        }
        for row in added
    ]
    session.execute(insert(Person), rows)
    wanted = {row.roll_number for row in added}
    found = session.execute(
        select(Person.id, Person.roll_number).where(Person.village_id == village_id)
    )
    return {number: person_id for person_id, number in found if number in wanted}


def _write_memberships(
    session: Session,
    diff: RollDiff,
    groups: dict[tuple[GroupKind, str], int],
    added_ids: dict[str, int],
) -> None:
    def wanted(row: RollRow) -> dict[GroupKind, int | None]:
        return {
            kind: groups[(kind, name_key(name))] if name else None
            for kind, name in row.groups.items()
        }

    stale: list[int] = []
    memberships: list[dict[str, object]] = []
    for change in diff.changed:
        for kind, group_id in wanted(change.row).items():
            if change.person.groups.get(kind) == group_id:
                continue
            if kind in change.person.memberships:
                stale.append(change.person.memberships[kind])
            if group_id is not None:
                memberships.append(
                    {"person_id": change.person.id, "group_id": group_id, "kind": kind}
                )
    for row in diff.added:
        person_id = added_ids[row.roll_number]
        for kind, group_id in wanted(row).items():
            if group_id is not None:
                memberships.append({"person_id": person_id, "group_id": group_id, "kind": kind})
    for ids in _chunks(stale):
        session.execute(
            delete(GroupMembership)
            .where(GroupMembership.id.in_(ids))
            .execution_options(synchronize_session=False)
        )
    if memberships:
        session.execute(insert(GroupMembership), memberships)


def _changed_values(
    change: PersonChange, state: VillageState, households: dict[str, int]
) -> dict[str, object]:
    person, row = change.person, change.row
    current = state.households[person.household_id]
    same = code_key(current.number) == code_key(row.household)
    household_id = current.id if same else households[code_key(row.household)]
    representative = final_representative(row, person, same)
    return {"id": person.id, **_values(row, household_id, representative, new=False)}
