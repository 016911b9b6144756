"""The organizers' coverage matrix of a round: articles x groups with comment counts,
votes per choice per group, members reached and each group's share taking part.

Each group counts its own speakers (compacts.rounds.lookup.speakers: adult active members),
so a member of two groups counts in both; the round as a whole counts each person once."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.registry.models import Group
from compacts.models import Comment, DeliberationRound, MemberVote, RoundGroup, Version, VoteChoice
from compacts.rounds.lookup import round_groups, speakers
from compacts.rounds.text import article_choices


@dataclass
class GroupCoverage:
    group: Group
    summary: RoundGroup
    members: int = 0
    reached: int = 0  # distinct members who commented or voted (here or on paper)
    # People whose comments or votes count in the group's columns but who are no longer
    # among its speakers (moved out of the group, left the roll): not in the share.
    since_left: int = 0
    votes: dict[VoteChoice, int] = field(default_factory=dict)
    paper: int = 0  # comments and votes a leader entered from paper

    @property
    def share(self) -> int:
        """Whole percent of the group's members who took part."""
        return round(100 * self.reached / self.members) if self.members else 0


@dataclass
class Coverage:
    articles: list[tuple[str, str]]  # (key, label); "" = the whole text
    groups: list[GroupCoverage]
    counts: dict[tuple[str, int], int]  # (article key, group id) -> comments
    people: int = 0  # distinct speakers of all the round's groups
    people_reached: int = 0  # of them, distinct people who commented or voted anywhere

    @property
    def share(self) -> int:
        """Whole percent of the round's people who took part, each person once."""
        return round(100 * self.people_reached / self.people) if self.people else 0

    def count(self, article: str, group_id: int) -> int:
        return self.counts.get((article, group_id), 0)


def coverage(session: Session, round_: DeliberationRound) -> Coverage:
    version = session.get(Version, round_.version_id)
    assert version is not None
    comments = list(session.scalars(select(Comment).where(Comment.round_id == round_.id)))
    votes = list(session.scalars(select(MemberVote).where(MemberVote.round_id == round_.id)))
    counts = Counter((c.article, c.group_id) for c in comments)
    groups: list[GroupCoverage] = []
    everyone: set[int] = set()
    for row in round_groups(session, round_):
        group = session.get(Group, row.group_id)
        assert group is not None
        speaking = {p.id for p in speakers(session, round_, group)}
        everyone |= speaking
        mine_c = [c for c in comments if c.group_id == group.id]
        mine_v = [v for v in votes if v.group_id == group.id]
        people = {c.person_id for c in mine_c} | {v.person_id for v in mine_v}
        groups.append(
            GroupCoverage(
                group=group,
                summary=row,
                members=len(speaking),
                reached=len(people & speaking),
                since_left=len(people - speaking),
                votes=dict(Counter(v.choice for v in mine_v)),
                paper=sum(1 for c in mine_c if c.entered_by_id is not None)
                + sum(1 for v in mine_v if v.entered_by_id is not None),
            )
        )
    articles = [("", ""), *article_choices(version)]
    took_part = {c.person_id for c in comments} | {v.person_id for v in votes}
    return Coverage(
        articles=articles,
        groups=groups,
        counts=dict(counts),
        people=len(everyone),
        people_reached=len(took_part & everyone),
    )
