"""Votes in the meeting: motions by QR or by show of hands, election rounds, compacts.

Secrecy of QR votes follows ballots.casting (app.secret_choice, app.sealed_box):
`MotionVoteUse` records that an attendee voted (its unique constraint refuses a second
vote) and the vote itself is sealed into the meeting's box, one box for all of the
meeting's QR motions, held by the tellers named for the meeting. Closing a QR motion
needs k of them to type their box passwords: its votes are opened and written as
`MotionVote` rows, in a random order, in the closing transaction; the other motions'
votes stay sealed, and the key is erased when the meeting closes. Casting writes no
audit entry on purpose (an entry's time next to the order of uses would tell who voted
how). Opening, hand counts and closing are audited.

At close the figures (members, present, households) are frozen on the motion and the
decision is computed by meetings.rules.count_motion: quorum, then more than half of
THOSE PRESENT, so abstentions and people who did not vote count against.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import secret_choice
from app.accounts.models import StaffUser
from app.accounts.services import village_tellers
from app.actors import Actor
from app.audit.services import record
from app.db import utcnow
from app.errors import Forbidden, NotFound
from app.i18n import lazy
from app.registry.models import Person
from app.sealed_box import services as sealed_box
from app.sealed_box.exceptions import BoxNotReady
from meetings import broadcast, refs, rules
from meetings.exceptions import InvalidMeetingInput, MotionAlreadyVoted, VoteRefused
from meetings.models import (
    AgendaItem,
    Choice,
    HandCount,
    ItemKind,
    Meeting,
    MeetingStatus,
    Motion,
    MotionVote,
    MotionVoteUse,
    VoteMethod,
)
from meetings.presence import OPEN_AT_ASSEMBLY, present_people, profile_for, quorum_figures

# A repeat vote says the first one stands; nothing is written for the repeat.
ALREADY_VOTED = lazy("您已经投过票了，这一票已经记下。每人只能投一次，不用再投。")
MOTION_ITEM_KINDS = frozenset({ItemKind.MOTION, ItemKind.COMPACT_ADOPTION})
# Box passwords needed to open a meeting's QR votes (k); k+1 holders must be ready.
BOX_THRESHOLD = 2


# --- looking things up -------------------------------------------------------------


def motion_item(session: Session, motion: Motion) -> tuple[AgendaItem, Meeting]:
    item = session.get(AgendaItem, motion.item_id)
    if item is None:  # the foreign key makes this impossible; keeps mypy honest
        raise NotFound(lazy("找不到这项议程。"))
    return item, item.meeting


def item_motions(session: Session, item: AgendaItem) -> list[Motion]:
    return list(
        session.scalars(select(Motion).where(Motion.item_id == item.id).order_by(Motion.id))
    )


def is_open(motion: Motion) -> bool:
    return motion.opened_at is not None and motion.closed_at is None


def open_motions(session: Session, meeting: Meeting) -> list[Motion]:
    """Motions being voted on now (at most one, see open_motion)."""
    stmt = (
        select(Motion)
        .join(AgendaItem, AgendaItem.id == Motion.item_id)
        .where(
            AgendaItem.meeting_id == meeting.id,
            Motion.opened_at.is_not(None),
            Motion.closed_at.is_(None),
        )
        .order_by(Motion.id)
    )
    return list(session.scalars(stmt))


def result_of(motion: Motion) -> dict[str, object] | None:
    """The stored decision of a closed motion (for pages, projector and minutes)."""
    if not motion.result_json:
        return None
    loaded: dict[str, object] = json.loads(motion.result_json)
    return loaded


# --- creating, opening ---------------------------------------------------------------


def require_meeting_not_over(meeting: Meeting) -> None:
    if meeting.status in (MeetingStatus.CLOSED, MeetingStatus.CANCELLED):
        raise VoteRefused(lazy("会议已经结束或取消了，不能再增加或进行表决。"))


def create_motion(
    session: Session, actor: Actor, item: AgendaItem, text: str, method: VoteMethod
) -> Motion:
    """A motion put to the vote under a motion or compact-adoption item."""
    meeting = item.meeting
    require_meeting_not_over(meeting)
    if item.kind not in MOTION_ITEM_KINDS:
        raise VoteRefused(lazy("这项议程不是表决事项，不能在这里提出表决。"))
    text = text.strip()
    if item.kind is ItemKind.COMPACT_ADOPTION:
        ref = item.compact_version_ref.strip()
        if not ref:
            raise VoteRefused(lazy("请先在议程里写明要通过的村规民约版本，再提出表决。"))
        words = refs.version_words(session, ref)
        if ref not in text and words not in text:
            raise VoteRefused(
                lazy("表决内容要写明村规民约的版本“%(ref)s”，请把版本写进表决内容。"), ref=words
            )
    motion = Motion(item_id=item.id, text=text, method=method, result_json="")
    session.add(motion)
    session.flush()
    record(
        session,
        actor,
        "motion.create",
        "motion",
        motion.id,
        {"item_id": item.id, "method": method.value, "text": text},
        village_id=meeting.village_id,
    )
    return motion


def open_motion(session: Session, actor: Actor, motion: Motion) -> None:
    item, meeting = motion_item(session, motion)
    if meeting.status is not MeetingStatus.OPEN:
        raise VoteRefused(lazy("会议还没有开始（或已经结束），要先宣布开会，才能开始表决。"))
    if motion.opened_at is not None:
        raise VoteRefused(lazy("这项表决已经开始过了，不能再开始一次。"))
    if open_motions(session, meeting):
        raise VoteRefused(lazy("另一项表决还在进行。请先结束那一项，再开始这一项。"))
    if motion.method is VoteMethod.QR:
        seal_meeting_box(session, meeting)
    motion.opened_at = utcnow()
    session.flush()
    broadcast.announce(session, meeting.id)
    record(
        session,
        actor,
        "motion.open",
        "motion",
        motion.id,
        {"item_id": item.id, "method": motion.method.value},
        village_id=meeting.village_id,
    )


# --- the meeting's sealed box ---------------------------------------------------------


def box_status(session: Session, meeting: Meeting) -> sealed_box.BoxStatus:
    return sealed_box.box_status(session, sealed_box.MEETING, meeting.id)


def teller_choices(session: Session, meeting: Meeting) -> list[StaffUser]:
    """The village's active teller accounts: who may hold the meeting's box."""
    return village_tellers(session, meeting.village_id)


def name_box_holders(
    session: Session, actor: Actor, meeting: Meeting, teller_ids: Sequence[int]
) -> None:
    """Name the tellers who hold the box of the meeting's QR votes (before the first one)."""
    require_meeting_not_over(meeting)
    if box_status(session, meeting).sealed:
        raise VoteRefused(lazy("扫码表决已经开始过，票箱保管人不能再换了。"))
    allowed = {user.id for user in teller_choices(session, meeting)}
    chosen = sorted(set(teller_ids))
    if not set(chosen) <= allowed:
        raise VoteRefused(lazy("只能从本村的监计票人账号中选择。"))
    if len(chosen) < BOX_THRESHOLD + 1:
        raise VoteRefused(
            lazy(
                "请至少选择 %(n)s 名监计票人保管票箱（开箱要其中 %(k)s 位，多一位防止有人忘记密码）。"
            ),
            n=BOX_THRESHOLD + 1,
            k=BOX_THRESHOLD,
        )
    sealed_box.name_holders(
        session, sealed_box.MEETING, meeting.id, chosen, threshold=BOX_THRESHOLD
    )
    record(
        session,
        actor,
        "meeting.box_holders",
        "meeting",
        meeting.id,
        {"teller_ids": chosen},
        village_id=meeting.village_id,
    )


def set_box_password(
    session: Session, meeting: Meeting, teller_id: int, password: str, confirm: str
) -> None:
    sealed_box.set_box_password(
        session, sealed_box.MEETING, meeting.id, teller_id, password, confirm
    )


def seal_meeting_box(session: Session, meeting: Meeting) -> None:
    """Before the first QR motion opens: the meeting's box gets its key."""
    if box_status(session, meeting).sealed:
        return
    try:
        sealed_box.seal(session, sealed_box.MEETING, meeting.id)
    except BoxNotReady as refusal:
        raise VoteRefused(refusal.render_message()) from None


# --- voting by QR --------------------------------------------------------------------


def _lock_open(session: Session, motion: Motion) -> None:
    """Refuse unless the motion is open, holding it open until this transaction ends
    (app.secret_choice.lock_open: closing the motion waits for every vote in flight)."""
    secret_choice.lock_open(
        session,
        motion,
        Motion.opened_at,
        Motion.closed_at,
        is_open=lambda row: row.opened_at is not None and row.closed_at is None,
        refused=VoteRefused(lazy("这项表决还没有开始，或者已经结束了。请听主持人宣布。")),
    )


def has_voted(session: Session, motion: Motion, person: Person) -> bool:
    found = session.scalar(
        select(MotionVoteUse.id).where(
            MotionVoteUse.motion_id == motion.id, MotionVoteUse.person_id == person.id
        )
    )
    return found is not None


def is_present(session: Session, meeting: Meeting, person: Person) -> bool:
    return any(p.id == person.id for p in present_people(session, meeting))


def check_may_vote(session: Session, motion: Motion, person: Person) -> None:
    """Why this attendee cannot vote on the motion now, as a DomainError; else nothing."""
    if motion.method is not VoteMethod.QR:
        raise VoteRefused(lazy("这项表决是举手表决，不用扫码。请听主持人的安排举手。"))
    if has_voted(session, motion, person):
        raise MotionAlreadyVoted(ALREADY_VOTED)
    if not is_open(motion):
        raise VoteRefused(lazy("这项表决还没有开始，或者已经结束了。请听主持人宣布。"))
    _item, meeting = motion_item(session, motion)
    if not is_present(session, meeting, person):
        raise Forbidden(
            lazy("只有已经签到、还在会场的人才能表决。如果您在会场，请先找工作人员签到。")
        )


def cast_qr_vote(session: Session, motion: Motion, person: Person, choice: Choice) -> None:
    """One attendee's secret vote. All in the caller's transaction, no audit entry."""
    check_may_vote(session, motion, person)
    _lock_open(session, motion)
    # The unique constraint is what refuses a second vote racing the first.
    secret_choice.use_once(
        session,
        MotionVoteUse(motion_id=motion.id, person_id=person.id),
        MotionAlreadyVoted(ALREADY_VOTED),
    )
    meeting = motion_item(session, motion)[1]
    sealed_box.seal_choice(
        session, sealed_box.MEETING, meeting.id, {"motion": motion.id, "choice": choice.value}
    )
    broadcast.announce(session, meeting.id)


def qr_tally(session: Session, motion: Motion) -> dict[Choice, int]:
    rows = session.execute(
        select(MotionVote.choice, func.count())
        .where(MotionVote.motion_id == motion.id)
        .group_by(MotionVote.choice)
    )
    tally = {choice: 0 for choice in Choice}
    for choice, count in rows:
        tally[choice] = int(count)
    return tally


def votes_cast(session: Session, motion: Motion) -> int:
    """How many attendees voted (shown while a QR vote is open; choices stay hidden)."""
    count = session.scalar(
        select(func.count()).select_from(MotionVoteUse).where(MotionVoteUse.motion_id == motion.id)
    )
    return int(count or 0)


# --- show of hands -------------------------------------------------------------------


@dataclass(frozen=True)
class HandsState:
    counts: list[HandCount]
    agreed: bool  # at least two tellers, all with the same figures
    differing: frozenset[str]  # which of yes/no/abstain the tellers disagree on

    @property
    def figures(self) -> tuple[int, int, int] | None:
        if not self.agreed:
            return None
        first = self.counts[0]
        return first.yes, first.no, first.abstain


def hands_state(session: Session, motion: Motion) -> HandsState:
    counts = list(
        session.scalars(
            select(HandCount).where(HandCount.motion_id == motion.id).order_by(HandCount.id)
        )
    )
    differing = frozenset(
        name for name in ("yes", "no", "abstain") if len({getattr(c, name) for c in counts}) > 1
    )
    return HandsState(counts, len(counts) >= 2 and not differing, differing)


def record_hand_count(
    session: Session, actor: Actor, motion: Motion, teller_id: int, yes: int, no: int, abstain: int
) -> HandCount:
    """A teller's count of the show of hands; counting again replaces their own count."""
    if motion.method is not VoteMethod.HANDS:
        raise VoteRefused(lazy("这项表决是扫码表决，不用录入举手人数。"))
    if not is_open(motion):
        raise VoteRefused(lazy("这项表决还没有开始，或者已经结束了，不能录入举手人数。"))
    _item, meeting = motion_item(session, motion)
    present = len(present_people(session, meeting))
    if yes + no + abstain > present:
        message = lazy(
            "赞成、反对、弃权加起来有 %(total)s 人，比现在在场的 %(present)s 人还多。请重新数一次。"
        )
        raise InvalidMeetingInput(
            {"hands": str(message) % {"total": yes + no + abstain, "present": present}}
        )
    count = session.scalar(
        select(HandCount).where(HandCount.motion_id == motion.id, HandCount.teller_id == teller_id)
    )
    if count is None:
        count = HandCount(motion_id=motion.id, teller_id=teller_id, yes=yes, no=no, abstain=abstain)
        session.add(count)
    else:
        count.yes, count.no, count.abstain, count.at = yes, no, abstain, utcnow()
    session.flush()
    record(
        session,
        actor,
        "motion.hand_count",
        "motion",
        motion.id,
        {"teller_id": teller_id, "yes": yes, "no": no, "abstain": abstain},
        village_id=meeting.village_id,
    )
    return count


# --- closing -------------------------------------------------------------------------


def _figures(session: Session, motion: Motion) -> tuple[int, int, int]:
    if motion.method is VoteMethod.QR:
        tally = qr_tally(session, motion)
        return tally[Choice.YES], tally[Choice.NO], tally[Choice.ABSTAIN]
    state = hands_state(session, motion)
    if len(state.counts) < 2:
        raise VoteRefused(
            lazy("举手表决要有两位计票员分别录入人数，现在只有 %(n)s 位。"), n=len(state.counts)
        )
    if state.figures is None:
        raise VoteRefused(lazy("计票员录入的人数不一致，请一起重新数一次，改好以后再结束表决。"))
    return state.figures


def _open_votes(
    session: Session, meeting: Meeting, motion: Motion, passwords: Mapping[int, str]
) -> int:
    """Open this motion's sealed votes with k tellers' box passwords and write them."""
    opened = sealed_box.open_box(
        session,
        sealed_box.MEETING,
        meeting.id,
        passwords,
        take=lambda sealed: sealed.get("motion") == motion.id,
        forget_key=False,
    )
    session.add_all(
        MotionVote(id=secret_choice.new_key(), motion_id=motion.id, choice=Choice(c["choice"]))
        for c in opened.choices
    )
    session.flush()
    return len(opened.choices)


def close_motion(
    session: Session,
    actor: Actor,
    motion: Motion,
    passwords: Mapping[int, str] | None = None,
) -> rules.MotionResult:
    """Freeze who was eligible and present now, count, store the decision.

    A QR motion's votes are sealed: `passwords` ({teller id: box password}) of k of the
    meeting's box holders open them; a wrong or missing one refuses and changes nothing.
    """
    item, meeting = motion_item(session, motion)
    if not is_open(motion):
        raise VoteRefused(lazy("这项表决没有在进行，不能结束。"))
    if motion.method is VoteMethod.QR:
        _open_votes(session, meeting, motion, passwords or {})
    yes, no, abstain = _figures(session, motion)
    now = quorum_figures(session, meeting)
    result = rules.count_motion(
        profile_for(meeting),
        yes=yes,
        no=no,
        abstain=abstain,
        members=now.eligible,
        present=now.present,
        households=now.households,
        households_present=now.households_present,
    )
    motion.closed_at = utcnow()
    motion.members_at_close = now.eligible
    motion.present_at_close = now.present
    motion.households_at_close = now.households
    motion.households_present_at_close = now.households_present
    stored = {
        **result.to_json(),
        **now.head_count(),
        "item_id": item.id,
        "method": motion.method.value,
        # Voted by QR and then left: their vote stands, the base is who is present now.
        "not_voting": max(now.present - yes - no - abstain, 0),
    }
    motion.result_json = json.dumps(stored, ensure_ascii=False, sort_keys=True)
    session.flush()
    broadcast.announce(session, meeting.id)
    record(
        session, actor, "motion.close", "motion", motion.id, stored, village_id=meeting.village_id
    )
    return result


def slip_motions(session: Session, assembly_id: int, person: Person) -> list[tuple[Motion, bool]]:
    """Open QR motions of the meetings a slip's assembly checks in at, for the slip page:
    each with whether this person has voted on it. Only for people in the hall."""
    meetings = session.scalars(OPEN_AT_ASSEMBLY, {"assembly_id": assembly_id})
    found: list[tuple[Motion, bool]] = []
    for meeting in meetings:
        if not is_present(session, meeting, person):
            continue
        for motion in open_motions(session, meeting):
            if motion.method is VoteMethod.QR:
                found.append((motion, has_voted(session, motion, person)))
    return found
