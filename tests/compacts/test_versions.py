"""Compacts, drafts and frozen versions (services)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.actors import Actor, actor_for
from app.audit.models import AuditEntry
from app.errors import Forbidden, InvalidInput
from app.permissions import Role
from compacts.exceptions import CompactStateError
from compacts.models import Filing, FilingDecision, Version
from compacts.text import clean_source, parse
from compacts.versions.diff import ChangeKind, compare
from compacts.versions.services import (
    MODEL_TEXT,
    create_compact,
    draft_of,
    freeze_version,
    open_correction_orders,
    save_draft,
    structure_of,
)
from tests import factories


def _setup(db: Session):  # type: ignore[no-untyped-def]
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    return village, organizer, actor_for(organizer)


def _actions(db: Session) -> list[str]:
    return list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_create_starts_from_the_model_text(db: Session) -> None:
    village, _, actor = _setup(db)
    compact = create_compact(db, actor, village, "  婚育新风村民公约 ")

    assert compact.title == "婚育新风村民公约"
    assert draft_of(db, compact).source == clean_source(MODEL_TEXT)
    assert "compact.create" in _actions(db)


def test_the_model_text_has_no_penalties_and_parses_into_chapters() -> None:
    structure = parse(MODEL_TEXT)

    assert len(structure.chapters) >= 3 and len(structure.articles) >= 5
    for banned in ("罚", "罚款", "处罚", "取消", "扣", "违约金", "避孕", "上环", "结扎"):
        assert banned not in MODEL_TEXT


def test_freeze_numbers_versions_and_keeps_the_text(db: Session) -> None:
    village, organizer, actor = _setup(db)
    compact = create_compact(db, actor, village, "公约", from_model=False)
    save_draft(db, actor, compact, "## 目的\r\n为了和睦，制定本公约。\r\n")
    first = freeze_version(db, actor, compact, "")
    save_draft(db, actor, compact, "## 目的\n为了和睦，制定本公约。\n## 施行\n通过后施行。")
    second = freeze_version(db, actor, compact, "加一条施行日期")

    assert (first.number, second.number) == (1, 2)
    assert first.source == "## 目的\n为了和睦，制定本公约。"
    assert first.author_id == organizer.id
    assert len(first.sha256) == 64 and first.sha256 != second.sha256
    assert [a.label for a in structure_of(second).articles] == ["第一条", "第二条"]
    changes = compare(structure_of(first), structure_of(second))
    assert [c.kind for c in changes] == [ChangeKind.UNCHANGED, ChangeKind.ADDED]
    assert _actions(db).count("compact.version_freeze") == 2


def test_freeze_refuses_an_empty_draft_and_an_unchanged_one(db: Session) -> None:
    village, _, actor = _setup(db)
    compact = create_compact(db, actor, village, "公约", from_model=False)

    with pytest.raises(CompactStateError, match="还没有条文"):
        freeze_version(db, actor, compact, "")
    save_draft(db, actor, compact, "## 目的\n内容")
    freeze_version(db, actor, compact, "")
    with pytest.raises(CompactStateError) as raised:
        freeze_version(db, actor, compact, "又存一次")
    assert "第 1 版一字不差" in raised.value.render_message()


def test_a_later_version_needs_a_change_note(db: Session) -> None:
    village, _, actor = _setup(db)
    compact = create_compact(db, actor, village, "公约")
    freeze_version(db, actor, compact, "")
    save_draft(db, actor, compact, MODEL_TEXT + "\n## 新增\n新的一条。")

    with pytest.raises(InvalidInput) as raised:
        freeze_version(db, actor, compact, "  ")
    assert "请写一句修改说明" in raised.value.errors["change_note"]


def test_only_staff_may_write_the_text(db: Session) -> None:
    village, _, actor = _setup(db)
    compact = create_compact(db, actor, village, "公约")

    with pytest.raises(Forbidden):
        save_draft(db, Actor(label="villager"), compact, "## 改\n改")


def test_a_version_answers_only_an_open_correction_order_of_its_compact(db: Session) -> None:
    village, organizer, actor = _setup(db)
    compact = create_compact(db, actor, village, "公约")
    first = freeze_version(db, actor, compact, "")
    other = create_compact(db, actor, village, "另一份")
    other_first = freeze_version(db, actor, other, "")
    order, foreign = (
        Filing(
            version_id=v.id,
            submitted_by_id=organizer.id,
            decision=FilingDecision.CORRECTION_ORDERED,
            order_text="第三条与法律不符",
        )
        for v in (first, other_first)
    )
    db.add_all([order, foreign])
    db.flush()
    save_draft(db, actor, compact, MODEL_TEXT.replace("夫妻双方", "夫妻"))

    with pytest.raises(InvalidInput):
        freeze_version(db, actor, compact, "改正", answers_filing_id=foreign.id)
    second = freeze_version(db, actor, compact, "按通知改正", answers_filing_id=order.id)

    assert second.answers_filing_id == order.id
    assert open_correction_orders(db, compact) == []


def test_the_database_refuses_to_change_a_version(db: Session) -> None:
    village, _, actor = _setup(db)
    compact = create_compact(db, actor, village, "公约")
    version = freeze_version(db, actor, compact, "")

    with pytest.raises(DBAPIError), db.begin_nested():
        db.execute(
            text("UPDATE compact_version SET source = 'x' WHERE id = :id"), {"id": version.id}
        )
    db.expire(version)
    assert version.source == clean_source(MODEL_TEXT)
    assert db.scalar(select(func.count(Version.id)).where(Version.id == version.id)) == 1
