"""Deliberation rounds: a frozen version goes to chosen groups with a deadline; members
comment article by article and vote once through their QR slip, group leaders enter paper
opinions and votes on a member's behalf and file the group's summary; organizers close.

A member sits in at most one group of each kind, so a person can belong to two of a
round's groups (a villagers' group and the women's group, say). Each group deliberates as
a unit, so such a member speaks in each: comments and a vote are made in one named group,
once per group (compacts.rounds.lookup). Minors do not speak and are not counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.actors import Actor
from app.audit.services import record
from app.db import utcnow
from app.errors import Conflict, DomainError, Forbidden, NotFound
from app.i18n import lazy
from app.permissions import Principal, can_see_village
from app.registry.models import Group, Person
from app.registry.rules import today_in_china
from compacts.exceptions import AlreadyVoted, RoundClosed
from compacts.models import (
    Comment,
    Compact,
    DeliberationRound,
    MemberVote,
    RoundGroup,
    Version,
    VoteChoice,
)
from compacts.rounds.lookup import (
    groups_of,
    has_voted,
    is_open,
    member_groups,
    round_groups,
    village_of,
)
from compacts.rounds.text import article_keys
from slips.models import Assembly

MAX_COMMENT = 2000
MAX_SUMMARY = 4000
# Comments and votes a member makes through their own QR slip.
VILLAGER_QR = Actor(label="村民扫码（村规民约征求意见）")


# --- lookups --------------------------------------------------------------------------


def open_rounds_for(
    session: Session, assembly_id: int, person: Person
) -> list[tuple[DeliberationRound, Group]]:
    """Open rounds reached through this assembly's slips, with each group of theirs the
    person speaks in (for the villager's slip page: one entry per group)."""
    rounds = session.scalars(_OPEN_AT_ASSEMBLY, {"assembly_id": assembly_id})
    return [(r, group) for r in rounds for group in member_groups(session, r, person)]


# Built once: every villager's slip page asks it.
_OPEN_AT_ASSEMBLY = (
    select(DeliberationRound)
    .where(DeliberationRound.assembly_id == bindparam("assembly_id"))
    .where(DeliberationRound.closed_at.is_(None))
    .order_by(DeliberationRound.id)
)


def comments_by(
    session: Session, round_: DeliberationRound, person: Person, group: Group
) -> list[Comment]:
    return list(
        session.scalars(
            select(Comment)
            .where(
                Comment.round_id == round_.id,
                Comment.group_id == group.id,
                Comment.person_id == person.id,
            )
            .order_by(Comment.id)
        )
    )


# --- opening --------------------------------------------------------------------------


def open_round(
    session: Session,
    actor: Actor,
    compact: Compact,
    version: Version,
    group_ids: Sequence[int],
    deadline: date,
    assembly_id: int | None,
) -> DeliberationRound:
    if version.compact_id != compact.id:
        raise DomainError(lazy("这个版本不属于这份村规民约，请重新选择版本。"))
    if not group_ids:
        raise DomainError(lazy("请至少选择一个小组来征求意见。"))
    if deadline < today_in_china():
        raise DomainError(lazy("截止日期已经过去了，请选择今天或以后的日期。"))
    groups = [session.get(Group, gid) for gid in dict.fromkeys(group_ids)]
    if any(g is None or g.village_id != compact.village_id for g in groups):
        raise DomainError(lazy("只能选择本村的小组，请重新选择。"))
    if assembly_id is not None:
        assembly = session.get(Assembly, assembly_id)
        if assembly is None or assembly.village_id != compact.village_id:
            raise DomainError(lazy("只能选择本村的二维码纸条批次，请重新选择。"))
        if assembly.drill:  # a drill's assembly (app.drill) deliberates nothing real
            raise DomainError(lazy("演练大会的纸条只用于演练，请选择正式的投票大会。"))
    round_ = DeliberationRound(
        compact_id=compact.id, version_id=version.id, deadline=deadline, assembly_id=assembly_id
    )
    session.add(round_)
    session.flush()
    for group in groups:
        assert group is not None
        session.add(RoundGroup(round_id=round_.id, group_id=group.id))
    session.flush()
    summary = {
        "compact_id": compact.id,
        "version": version.number,
        "groups": [g.id for g in groups if g is not None],
        "deadline": deadline.isoformat(),
        "assembly_id": assembly_id,
    }
    record(
        session,
        actor,
        "compact.round_open",
        "deliberation_round",
        round_.id,
        summary,
        village_id=compact.village_id,
    )
    return round_


# --- member opinions and votes ----------------------------------------------------------


def _check_open(round_: DeliberationRound, *, by_member: bool) -> None:
    if not is_open(round_):
        raise RoundClosed(lazy("这一轮征求意见已经结束，不能再提意见或表态了。"))
    # Members speak until the deadline; leaders may still enter the paper they collected.
    if by_member and today_in_china() > round_.deadline:
        raise RoundClosed(
            lazy("这一轮征求意见已经在 %(day)s 截止了。有话要说，请找您的小组长。"),
            day=round_.deadline.isoformat(),
        )


def speaker_group(
    session: Session, round_: DeliberationRound, person: Person, group_id: int
) -> Group:
    """The round's group a member speaks in through their own slip (refused when it is
    not one of theirs)."""
    for group in member_groups(session, round_, person):
        if group.id == group_id:
            return group
    raise Forbidden(lazy("您不在这一轮征求意见的这个小组里。如有疑问，请找您的小组长。"))


def _check_leader(
    session: Session, leader: Principal, round_: DeliberationRound, person: Person, group_id: int
) -> Group:
    village = village_of(session, round_)
    if not can_see_village(leader, village.id, village.township_id):
        raise Forbidden(lazy("这个村不在您的管辖范围内。"))
    for group in member_groups(session, round_, person):
        if group.id == group_id:
            return group
    raise DomainError(lazy("%(name)s 不是这个小组在这一轮的成员，请重新选择。"), name=person.name)


def _speaker(
    session: Session,
    round_: DeliberationRound,
    person: Person,
    entered_by: Principal | None,
    group_id: int,
) -> Group:
    """The group a member speaks in: by their own link, or as their leader enters it."""
    _check_open(round_, by_member=entered_by is None)
    if entered_by is None:
        return speaker_group(session, round_, person, group_id)
    return _check_leader(session, entered_by, round_, person, group_id)


def add_comment(
    session: Session,
    actor: Actor,
    round_: DeliberationRound,
    person: Person,
    article: str,
    text: str,
    *,
    group_id: int,
    entered_by: Principal | None = None,
) -> Comment:
    """A comment on one article ("" = the whole text) in one of the member's groups;
    `entered_by` for paper opinions."""
    group = _speaker(session, round_, person, entered_by, group_id)
    version = session.get(Version, round_.version_id)
    assert version is not None
    if article and article not in article_keys(version):
        raise DomainError(lazy("没有这一条，请重新选择条文。"))
    if not text.strip():
        raise DomainError(lazy("请写下您的意见。"))
    comment = Comment(
        round_id=round_.id,
        group_id=group.id,
        person_id=person.id,
        article=article,
        text=text.strip()[:MAX_COMMENT],
        entered_by_id=entered_by.id if entered_by else None,
    )
    session.add(comment)
    session.flush()
    summary = {
        "round_id": round_.id,
        "group_id": group.id,
        "person_id": person.id,
        "article": article,
        "paper": entered_by is not None,
    }
    record(
        session,
        actor,
        "compact.comment",
        "compact_comment",
        comment.id,
        summary,
        village_id=group.village_id,
    )
    return comment


def cast_vote(
    session: Session,
    actor: Actor,
    round_: DeliberationRound,
    person: Person,
    choice: VoteChoice,
    *,
    group_id: int,
    entered_by: Principal | None = None,
) -> MemberVote:
    """The member's one vote on the whole version in one of their groups of this round
    (the database refuses a second one even when two phones race)."""
    group = _speaker(session, round_, person, entered_by, group_id)
    already = AlreadyVoted(
        lazy("已投票：%(name)s 在%(group)s这一轮已经表过态了，每个小组里只能一次。"),
        name=person.name,
        group=group.name,
    )
    if has_voted(session, round_, person, group) is not None:
        raise already
    vote = MemberVote(
        round_id=round_.id,
        group_id=group.id,
        person_id=person.id,
        choice=choice,
        entered_by_id=entered_by.id if entered_by else None,
    )
    try:
        with session.begin_nested():
            session.add(vote)
            session.flush()
    except IntegrityError:
        raise already from None
    summary = {
        "round_id": round_.id,
        "group_id": group.id,
        "person_id": person.id,
        "choice": choice.value,
        "paper": entered_by is not None,
    }
    record(
        session,
        actor,
        "compact.vote",
        "compact_vote",
        vote.id,
        summary,
        village_id=group.village_id,
    )
    return vote


def file_summary(
    session: Session,
    leader: Principal,
    actor: Actor,
    round_: DeliberationRound,
    group_id: int,
    text: str,
) -> RoundGroup:
    """The group leader's summary of the group's opinion (may be revised while open)."""
    _check_open(round_, by_member=False)
    village = village_of(session, round_)
    if not can_see_village(leader, village.id, village.township_id):
        raise Forbidden(lazy("这个村不在您的管辖范围内。"))
    row = session.scalar(
        select(RoundGroup).where(RoundGroup.round_id == round_.id, RoundGroup.group_id == group_id)
    )
    if row is None:
        raise NotFound(lazy("这个小组不在这一轮征求意见里。"))
    if not text.strip():
        raise DomainError(lazy("请写下小组的汇总意见。"))
    row.summary = text.strip()[:MAX_SUMMARY]
    row.summary_by_id = leader.id
    row.summary_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "compact.group_summary",
        "deliberation_group",
        row.id,
        {"round_id": round_.id, "group_id": group_id, "length": len(row.summary)},
        village_id=village.id,
    )
    return row


# --- closing --------------------------------------------------------------------------


def silent_groups(session: Session, round_: DeliberationRound) -> list[Group]:
    """Groups with neither a leader's summary nor any member vote."""
    voted = set(
        session.scalars(select(MemberVote.group_id).where(MemberVote.round_id == round_.id))
    )
    silent_ids = {
        rg.group_id
        for rg in round_groups(session, round_)
        if not rg.summary and rg.group_id not in voted
    }
    return [g for g in groups_of(session, round_) if g.id in silent_ids]


def close_round(
    session: Session, actor: Actor, round_: DeliberationRound, close_note: str = ""
) -> DeliberationRound:
    if not is_open(round_):
        raise RoundClosed(lazy("这一轮征求意见已经结束了。"))
    silent = silent_groups(session, round_)
    note = close_note.strip()
    if silent and not note:
        raise Conflict(
            lazy(
                "%(names)s 还没有汇总意见，也没有人表态。请等小组长交来意见，或者在“结束说明”里写明为什么现在就结束。"
            ),
            names="、".join(g.name for g in silent),
        )
    round_.closed_at = utcnow()
    round_.close_note = note
    session.flush()
    village = village_of(session, round_)
    record(
        session,
        actor,
        "compact.round_close",
        "deliberation_round",
        round_.id,
        {"silent_groups": [g.id for g in silent], "note": note},
        village_id=village.id,
    )
    return round_
