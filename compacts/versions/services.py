"""Compacts, the organizers' working draft, and frozen numbered versions.

A version is the draft as it stood when saved as version N: its source, its parsed
structure and a SHA-256 of the source are stored and never change (the database refuses
UPDATE and DELETE). Services never commit; every change is audited.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import CompoundSelect, func, select, union
from sqlalchemy.orm import Session

from app.actors import Actor
from app.audit.services import record
from app.db import utcnow
from app.errors import Forbidden, InvalidInput
from app.i18n import gettext_, lazy
from app.registry.models import Village
from compacts.exceptions import CompactNotFound, CompactStateError
from compacts.models import Compact, Draft, Filing, FilingDecision, OrderAnswer, Version
from compacts.text import Structure, clean_source, parse

MAX_SOURCE_CHARS = 50_000
MAX_NOTE_CHARS = 2_000

# A starting point for a village's own text (the village rewrites it in deliberation).
# It is the compact's content, written in Chinese like the compact itself, so it is not
# run through translation. No penalties, no fines, no record of anyone's family life.
MODEL_TEXT = """本公约由全体村民共同商议制定，是村民自我管理、自我教育、自我服务的约定。

# 总则
## 目的
为了倡导文明婚育新风，建设和睦家庭和文明村庄，根据有关法律法规，结合本村实际，制定本公约。
## 自愿平等
婚育是家庭自己的事，由夫妻双方平等协商、自主决定，任何人不得干涉或施加压力。
村民在本公约面前一律平等。

# 家庭与邻里
## 男女平等
男孩女孩一样好。女儿和儿子平等享有继承、赡养、分配等权利。
## 尊老爱幼
子女应当关心、照顾老人；家庭成员之间互相尊重，不打骂孩子。
## 邻里互助
邻里之间互相帮助，有困难的家庭，大家伸把手。

# 服务与参与
## 健康服务
村里定期请医务人员讲解健康知识，村民自愿参加。
## 共同商议
本公约的修改，由村民会议讨论决定。每位村民都可以通过小组提出意见，村委会应当逐条答复。

# 附则
## 施行
本公约经村民会议通过，报乡镇人民政府备案后公布施行。
"""


def _author(actor: Actor) -> int:
    if actor.user_id is None:
        raise Forbidden(lazy("只有村里的工作人员可以修改公约文本。"))
    return actor.user_id


def sha256_of(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


# --- reading ------------------------------------------------------------------------------


def compact_in(session: Session, compact_id: int) -> Compact:
    compact = session.get(Compact, compact_id)
    if compact is None:
        raise CompactNotFound(lazy("没有这份公约，链接可能有误。"))
    return compact


def village_compacts(session: Session, village_id: int) -> list[Compact]:
    stmt = select(Compact).where(Compact.village_id == village_id).order_by(Compact.id)
    return list(session.scalars(stmt))


def versions_of(session: Session, compact: Compact) -> list[Version]:
    stmt = select(Version).where(Version.compact_id == compact.id).order_by(Version.number)
    return list(session.scalars(stmt))


def latest_version(session: Session, compact: Compact) -> Version | None:
    stmt = (
        select(Version)
        .where(Version.compact_id == compact.id)
        .order_by(Version.number.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def draft_of(session: Session, compact: Compact) -> Draft:
    draft = session.scalars(select(Draft).where(Draft.compact_id == compact.id)).first()
    if draft is None:  # every compact is created with one; kept safe for old rows
        draft = Draft(compact_id=compact.id, source="", updated_by_id=compact.created_by_id)
        session.add(draft)
        session.flush()
    return draft


def structure_of(version: Version) -> Structure:
    """The numbered chapters, articles and clauses frozen with the version."""
    return Structure.from_json(version.structure_json)


def answered_orders(compact_id: int, up_to_number: int | None = None) -> CompoundSelect[tuple[int]]:
    """The ids of correction orders some version of the compact answers (up to a version
    number when given): marked when the version was saved, or afterwards (OrderAnswer)."""
    saved = select(Version.answers_filing_id).where(
        Version.compact_id == compact_id, Version.answers_filing_id.is_not(None)
    )
    marked = (
        select(OrderAnswer.filing_id)
        .join(Version, Version.id == OrderAnswer.version_id)
        .where(Version.compact_id == compact_id)
    )
    if up_to_number is not None:
        saved = saved.where(Version.number <= up_to_number)
        marked = marked.where(Version.number <= up_to_number)
    return union(saved, marked)


def answering_version_ids(session: Session, compact: Compact) -> set[int]:
    """The versions that answer a correction order, however the answer was marked."""
    saved = select(Version.id).where(
        Version.compact_id == compact.id, Version.answers_filing_id.is_not(None)
    )
    marked = (
        select(OrderAnswer.version_id)
        .join(Version, Version.id == OrderAnswer.version_id)
        .where(Version.compact_id == compact.id)
    )
    return set(session.scalars(union(saved, marked)))


def open_correction_orders(session: Session, compact: Compact) -> list[Filing]:
    """Orders to correct (责令改正) on this compact that no version answers yet."""
    answered = answered_orders(compact.id)
    stmt = (
        select(Filing)
        .join(Version, Version.id == Filing.version_id)
        .where(
            Version.compact_id == compact.id,
            Filing.decision == FilingDecision.CORRECTION_ORDERED,
            Filing.id.not_in(answered),
        )
        .order_by(Filing.id)
    )
    return list(session.scalars(stmt))


def orders_a_version_may_answer(
    session: Session, compact: Compact, version: Version
) -> list[Filing]:
    """Open orders on versions older than this one: a later version may answer them."""
    older = set(
        session.scalars(
            select(Version.id).where(
                Version.compact_id == compact.id, Version.number < version.number
            )
        )
    )
    return [f for f in open_correction_orders(session, compact) if f.version_id in older]


def mark_order_answered(
    session: Session, actor: Actor, compact: Compact, version: Version, filing_id: int
) -> OrderAnswer:
    """Mark a saved version as the one that answers an open correction order (the version
    itself is frozen; the mark is a record, one per order)."""
    if version.compact_id != compact.id:
        raise InvalidInput({"filing_id": str(lazy("这个版本不属于这份村规民约。"))})
    if version.id in answering_version_ids(session, compact):
        raise InvalidInput(
            {"filing_id": gettext_("第 %(n)s 版已经回应过一份改正通知了。", n=version.number)}
        )
    if filing_id not in {f.id for f in orders_a_version_may_answer(session, compact, version)}:
        raise InvalidInput(
            {
                "filing_id": str(
                    lazy("请从列表里选择还没有回应的改正通知；只有比它更新的版本才能回应。")
                )
            }
        )
    row = OrderAnswer(filing_id=filing_id, version_id=version.id, marked_by_id=_author(actor))
    session.add(row)
    session.flush()
    record(
        session,
        actor,
        "compact.order_answer",
        "compact_version",
        version.id,
        {"compact_id": compact.id, "version": version.number, "filing_id": filing_id},
        village_id=compact.village_id,
    )
    return row


# --- changing -----------------------------------------------------------------------------


def create_compact(
    session: Session, actor: Actor, village: Village, title: str, *, from_model: bool = True
) -> Compact:
    """A new compact with its draft (the model text, or empty)."""
    author = _author(actor)
    title = title.strip()
    if not title:
        raise InvalidInput({"title": str(lazy("请填写公约名称。"))})
    compact = Compact(village_id=village.id, title=title[:200], created_by_id=author)
    session.add(compact)
    session.flush()
    source = clean_source(MODEL_TEXT) if from_model else ""
    session.add(Draft(compact_id=compact.id, source=source, updated_by_id=author))
    session.flush()
    record(
        session,
        actor,
        "compact.create",
        "compact",
        compact.id,
        {"title": compact.title, "from_model": from_model},
        village_id=village.id,
    )
    return compact


def save_draft(session: Session, actor: Actor, compact: Compact, source: str) -> Draft:
    author = _author(actor)
    source = clean_source(source)
    if len(source) > MAX_SOURCE_CHARS:
        raise InvalidInput(
            {"source": str(lazy("公约文本太长了，最多 5 万字。请删去重复或多余的内容。"))}
        )
    draft = draft_of(session, compact)
    draft.source = source
    draft.updated_by_id = author
    draft.updated_at = utcnow()
    session.flush()
    structure = parse(source)
    record(
        session,
        actor,
        "compact.draft_save",
        "compact",
        compact.id,
        {"chars": len(source), "articles": len(structure.articles), "sha256": sha256_of(source)},
        village_id=compact.village_id,
    )
    return draft


def _check_filing(session: Session, compact: Compact, filing_id: int) -> None:
    if filing_id not in {f.id for f in open_correction_orders(session, compact)}:
        raise InvalidInput(
            {
                "answers_filing_id": str(
                    lazy("请从列表里选择乡镇的改正通知；这个通知不属于本公约，或已有版本答复过。")
                )
            }
        )


def freeze_version(
    session: Session,
    actor: Actor,
    compact: Compact,
    change_note: str,
    answers_filing_id: int | None = None,
) -> Version:
    """Save the draft as the next numbered version, frozen from then on."""
    author = _author(actor)
    change_note = change_note.strip()
    if len(change_note) > MAX_NOTE_CHARS:
        raise InvalidInput({"change_note": str(lazy("修改说明最多 2000 字。"))})
    source = draft_of(session, compact).source
    structure = parse(source)
    if not structure.articles:
        raise CompactStateError(
            lazy("草稿里还没有条文。请先在草稿里用“## ”写出至少一条，保存后再定稿。")
        )
    if answers_filing_id is not None:
        _check_filing(session, compact, answers_filing_id)
    latest = latest_version(session, compact)
    if latest is not None and latest.sha256 == sha256_of(source) and answers_filing_id:
        # The latest version already is the corrected text: mark it, do not copy it.
        message = gettext_(
            "草稿和第 %(n)s 版一字不差。第 %(n)s 版就是按改正通知修改的，请在第 %(n)s 版的"
            "“表决、备案和送达”页面标明它回应改正通知，不用再存一版。",
            n=latest.number,
        )
        raise InvalidInput({"answers_filing_id": message})
    if latest is not None and latest.sha256 == sha256_of(source):
        raise CompactStateError(
            lazy("草稿和第 %(n)s 版一字不差，没有需要保存的新版本。请先修改草稿。"),
            n=latest.number,
        )
    if latest is not None and not change_note:
        raise InvalidInput(
            {"change_note": str(lazy("请写一句修改说明：这一版改了什么、为什么改。"))}
        )
    number = (
        session.scalar(select(func.max(Version.number)).where(Version.compact_id == compact.id))
        or 0
    ) + 1
    version = Version(
        compact_id=compact.id,
        number=number,
        source=source,
        structure_json=structure.to_json(),
        sha256=sha256_of(source),
        change_note=change_note,
        answers_filing_id=answers_filing_id,
        author_id=author,
    )
    session.add(version)
    session.flush()
    record(
        session,
        actor,
        "compact.version_freeze",
        "compact_version",
        version.id,
        {
            "compact_id": compact.id,
            "number": number,
            "sha256": version.sha256,
            "articles": len(structure.articles),
            "answers_filing_id": answers_filing_id,
        },
        village_id=compact.village_id,
    )
    return version
