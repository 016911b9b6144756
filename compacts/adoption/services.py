"""Adoption of a compact version at the assembly, and its filing with the township.

The assembly decides by a meetings motion (meetings.votes): quorum, then more than half
of those present (RULES.md). This module puts the version on a meeting's agenda as a
compact-adoption item with its motion, and afterwards reads the closed motion's frozen
result into an Adoption row. Filing (备案) follows an adoption that passed; a township
user acknowledges it or orders a correction naming articles, which a later version
answers (Version.answers_filing_id) before it is deliberated and adopted again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.actors import Actor
from app.audit.services import record
from app.db import utcnow
from app.errors import NotFound
from app.i18n import gettext_, lazy
from app.registry.models import Village
from app.templating import CHINA_TIME
from compacts.adoption.answers import actor_id, compact_of, require_ready
from compacts.exceptions import AdoptionRefused, FilingRefused
from compacts.models import Adoption, Compact, Filing, FilingDecision, Version
from compacts.versions.services import open_correction_orders
from meetings import votes
from meetings.agenda import ItemInput, add_item
from meetings.models import AgendaItem, ItemKind, Meeting, MeetingKind, Motion, VoteMethod
from meetings.refs import VersionName

# RULES.md: the villagers' assembly makes and amends the compact; a representatives'
# assembly only where the province allows it. Off by default, for every village.
REPRESENTATIVES_MAY_ADOPT = False


def version_ref(version: Version) -> str:
    """How a meetings agenda item names the version (AgendaItem.compact_version_ref)."""
    return f"compact_version:{version.id}"


def version_name(session: Session, ref: str) -> VersionName | None:
    """A version_ref in words ("《title》第 3 版") and its public page; None for any
    other text (registered in meetings.refs.VERSION_NAMES)."""
    prefix, _, number = ref.strip().partition(":")
    if prefix != "compact_version" or not number.isdigit():
        return None
    version = session.get(Version, int(number))
    if version is None:
        return None
    compact = compact_of(session, version)
    words = gettext_("《%(title)s》第 %(n)s 版", title=compact.title, n=version.number)
    return VersionName(words, "compacts:public_version", {"version_id": version.id})


def today() -> date:
    return utcnow().astimezone(CHINA_TIME).date()


def adopting_kinds() -> frozenset[MeetingKind]:
    kinds = {MeetingKind.VILLAGERS_ASSEMBLY}
    if REPRESENTATIVES_MAY_ADOPT:
        kinds.add(MeetingKind.REPRESENTATIVES_ASSEMBLY)
    return frozenset(kinds)


def adoptions_of(session: Session, version: Version) -> list[Adoption]:
    return list(
        session.scalars(
            select(Adoption).where(Adoption.version_id == version.id).order_by(Adoption.id)
        )
    )


def adopted(session: Session, version: Version) -> Adoption | None:
    return next((a for a in adoptions_of(session, version) if a.adopted), None)


def _check_meeting(version: Version, meeting: Meeting, village_id: int) -> None:
    if meeting.village_id != village_id:
        raise AdoptionRefused(lazy("这个会议不是本村的，请选择本村的村民会议。"))
    if meeting.kind not in adopting_kinds():
        raise AdoptionRefused(
            lazy("村规民约要由村民会议表决通过。请选择一个村民会议（不能用其他会议代替）。")
        )


def put_to_assembly(
    session: Session, actor: Actor, version: Version, meeting: Meeting, method: VoteMethod
) -> Motion:
    """Add a compact-adoption item with its motion to the meeting's agenda."""
    compact = compact_of(session, version)
    _check_meeting(version, meeting, compact.village_id)
    require_ready(session, version)
    if open_correction_orders(session, compact):
        raise AdoptionRefused(
            lazy("乡镇责令改正的意见还没有在新版本里回应。请先根据改正意见修改，保存新版本。")
        )
    if adopted(session, version) is not None:
        raise AdoptionRefused(lazy("这个版本已经表决通过了，不用再表决。"))
    title = gettext_("表决通过《%(title)s》第 %(n)s 版", title=compact.title, n=version.number)
    ref = version_ref(version)
    item = add_item(
        session,
        actor,
        meeting,
        ItemInput(title[:200], "", ItemKind.COMPACT_ADOPTION, None, "", ref),
    )
    # The text names the version in words ("《title》第 n 版"), as people read it.
    return votes.create_motion(session, actor, item, title, method)


def motions_for(session: Session, version: Version) -> list[Motion]:
    return list(
        session.scalars(
            select(Motion)
            .join(AgendaItem, AgendaItem.id == Motion.item_id)
            .where(
                AgendaItem.kind == ItemKind.COMPACT_ADOPTION,
                AgendaItem.compact_version_ref == version_ref(version),
            )
            .order_by(Motion.id)
        )
    )


def record_adoption(session: Session, actor: Actor, version: Version, motion: Motion) -> Adoption:
    """Freeze the closed motion's decision (quorum, passed, figures) as the adoption."""
    if motion.id not in {m.id for m in motions_for(session, version)}:
        raise NotFound(lazy("这项表决不是这个版本的，请回到表决页面重新选择。"))
    result = votes.result_of(motion)
    if motion.closed_at is None or result is None:
        raise AdoptionRefused(lazy("大会还没有结束这项表决。请等主持人宣布表决结果后再登记。"))
    if any(a.motion_id == motion.id for a in adoptions_of(session, version)):
        raise AdoptionRefused(lazy("这项表决的结果已经登记过了。"))
    row = Adoption(
        version_id=version.id,
        motion_id=motion.id,
        adopted=bool(result.get("passed")) and bool(result.get("quorum")),
        figures_json=json.dumps(result, ensure_ascii=False, sort_keys=True),
        adopted_on=motion.closed_at.astimezone(CHINA_TIME).date(),
        recorded_by_id=actor_id(actor),
    )
    session.add(row)
    session.flush()
    compact = compact_of(session, version)
    record(
        session,
        actor,
        "compact.adoption",
        "compact_version",
        version.id,
        {"motion_id": motion.id, "adopted": row.adopted, "figures": result},
        village_id=compact.village_id,
    )
    return row


def figures(adoption: Adoption) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(adoption.figures_json)
    return loaded


# --- filing (备案) ----------------------------------------------------------------------


def filings_of(session: Session, version: Version) -> list[Filing]:
    return list(
        session.scalars(select(Filing).where(Filing.version_id == version.id).order_by(Filing.id))
    )


def acknowledged(session: Session, version: Version) -> Filing | None:
    return next(
        (f for f in filings_of(session, version) if f.decision is FilingDecision.ACKNOWLEDGED),
        None,
    )


def submit_filing(session: Session, actor: Actor, version: Version) -> Filing:
    if adopted(session, version) is None:
        raise FilingRefused(lazy("这个版本还没有经村民会议表决通过，不能报乡镇备案。"))
    if any(
        f.decision is not FilingDecision.CORRECTION_ORDERED for f in filings_of(session, version)
    ):
        raise FilingRefused(lazy("这个版本已经报送备案了，请等乡镇答复。"))
    if filings_of(session, version):
        raise FilingRefused(
            lazy("乡镇已责令改正这个版本。请按改正意见修改、保存新版本，重新表决后再报备案。")
        )
    filing = Filing(version_id=version.id, submitted_by_id=actor_id(actor), articles_json="[]")
    session.add(filing)
    session.flush()
    _audit_filing(session, actor, version, filing, "compact.filing_submit", {})
    return filing


def decide_filing(
    session: Session,
    actor: Actor,
    filing: Filing,
    decision: FilingDecision,
    order_text: str = "",
    articles: list[str] | None = None,
) -> Filing:
    """The township acknowledges the filing, or orders a correction naming articles; never
    by the person who submitted it (a filing is a second pair of eyes)."""
    if filing.decision is not None:
        raise FilingRefused(lazy("这次备案已经答复过了，不能再改。"))
    if actor_id(actor) == filing.submitted_by_id:
        raise FilingRefused(
            lazy("这份备案是您自己报送的，不能由您自己答复。请乡镇另一位工作人员答复。")
        )
    articles = articles or []
    if decision is FilingDecision.CORRECTION_ORDERED and (not order_text.strip() or not articles):
        raise FilingRefused(lazy("责令改正要写明理由，并写出要改正的条款号。"))
    filing.decision = decision
    filing.order_text = order_text.strip()
    filing.articles_json = json.dumps(articles, ensure_ascii=False)
    filing.decided_by_id = actor_id(actor)
    filing.decided_at = utcnow()
    session.flush()
    version = session.get(Version, filing.version_id)
    assert version is not None
    summary: dict[str, object] = {
        "decision": decision.value,
        "order_text": filing.order_text,
        "articles": articles,
    }
    _audit_filing(session, actor, version, filing, "compact.filing_decide", summary)
    return filing


@dataclass(frozen=True)
class WaitingFiling:
    """A filing waiting for the township's answer, with what its list shows."""

    filing: Filing
    version: Version
    compact: Compact
    village: Village
    submitted_by: str

    def days_waiting(self, today: date) -> int:
        return (today - self.filing.submitted_at.astimezone(CHINA_TIME).date()).days


def waiting_filings(session: Session, township_id: int) -> list[WaitingFiling]:
    """Every filing of the township's villages still waiting for an answer, oldest first."""
    rows = session.execute(
        select(Filing, Version, Compact, Village, StaffUser.display_name)
        .join(Version, Version.id == Filing.version_id)
        .join(Compact, Compact.id == Version.compact_id)
        .join(Village, Village.id == Compact.village_id)
        .join(StaffUser, StaffUser.id == Filing.submitted_by_id)
        .where(Village.township_id == township_id, Filing.decision.is_(None))
        .order_by(Filing.submitted_at, Filing.id)
    )
    return [WaitingFiling(f, v, c, village, name) for f, v, c, village, name in rows]


def pending_filing(session: Session, version: Version) -> Filing | None:
    return next((f for f in filings_of(session, version) if f.decision is None), None)


def filing_articles(filing: Filing) -> list[str]:
    loaded: list[str] = json.loads(filing.articles_json or "[]")
    return loaded


def _audit_filing(
    session: Session,
    actor: Actor,
    version: Version,
    filing: Filing,
    action: str,
    summary: dict[str, object],
) -> None:
    compact = compact_of(session, version)
    record(
        session,
        actor,
        action,
        "compact_filing",
        filing.id,
        {"version_id": version.id, **summary},
        village_id=compact.village_id,
    )
