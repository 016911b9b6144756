"""代写: a voter who cannot write asks a person of their choosing to write the ballot.

Who may write it: a person of the village registry, in the register (not 注销), whom the
voter names; a helper need not be a voter (a grandchild of 17 may write). Refused: the
voter themself, any candidate on the round's ballot and any member of a candidate's
household (Person.household_id). A candidate listed with a person of the registry is
told apart from a namesake by that person; a candidate listed by name alone cannot be,
so whoever bears that name is refused.

The teller records the help when issuing a paper ballot
(ballots.paper.services.issue_paper_ballot) or, at the mobile ballot box, chooses the
helper before handing the phone over and the record is written with the voter's ballot
(ballots.paper.mobile.cast_at_mobile_box). Either way it is written in the same
transaction as the use of the voter's credential, after every check has passed, so each
BallotHelp row is a ballot that was written with help, and a refusal writes nothing.

A BallotHelp names the voter and the helper, never the ballot: nothing of what was
written, no ballot or receipt refers to it, and its time is the day only.

`helped_count` (`helped_counts` for many rounds, `helped_by_channel`) count the rows of a round: the figure the
round's pages and the township's election report show as 代写选票.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.drill import today_of
from app.i18n import gettext_, join_list
from app.registry.models import Person
from app.registry.services import PeopleFilter, search_people
from ballots.exceptions import HelpRefused
from ballots.models import BallotHelp, Channel, RollEntry, Round
from ballots.paper.reading import ballot_candidates

HELPED_CHANNELS = (Channel.PAPER, Channel.MOBILE)
# How many of the registry's matches the helper search lists.
HELPER_SEARCH_LIMIT = 20


# Who may not write -------------------------------------------------------------------------


@dataclass(frozen=True)
class HelperRules:
    """Who may not write a ballot of one round, read once for a page of choices."""

    village_id: int
    candidates: Mapping[int, str]  # person id -> the candidate's name on the ballot
    names_only: frozenset[str]  # candidates listed without a person of the registry
    households: Mapping[int, tuple[str, ...]]  # household id -> its candidates' names

    def problem(self, voter: RollEntry, helper: Person) -> str | None:
        """Why `helper` may not write `voter`'s ballot, in words; None when they may."""
        name = helper.name
        if helper.village_id != self.village_id:
            return gettext_("代写人要是本村村民名册上的人。请选民另请一位代写人。")
        if not helper.active:
            return gettext_(
                "%(name)s 已从村民名册注销，不能记为代写人。请选民另请一位代写人。", name=name
            )
        if helper.id == voter.person_id:
            return gettext_("选民不能给自己代写。请选民另请一位代写人。")
        if helper.id in self.candidates:
            return gettext_(
                "候选人不能为选民代写：%(name)s 是本轮的候选人。请选民另请一位代写人。", name=name
            )
        if name in self.names_only:
            return gettext_(
                "候选人不能为选民代写：%(name)s 与本轮候选人同名，候选人名单上的 %(name)s"
                " 没有关联村民名册，分不清是不是同一个人。请选民另请一位代写人。",
                name=name,
            )
        household = self.households.get(helper.household_id)
        if household:
            return gettext_(
                "候选人的家庭成员不能代写：%(name)s 与候选人 %(candidate)s 同户。"
                "请选民另请一位代写人。",
                name=name,
                candidate=join_list(household),
            )
        return None


def helper_rules(session: Session, round_: Round) -> HelperRules:
    """The round's candidates (on its ballot now: not those withdrawn) and their households."""
    candidates = ballot_candidates(session, round_)
    known = {c.person_id: c.name for c in candidates if c.person_id is not None}
    households: dict[int, list[str]] = {}
    if known:
        rows = session.execute(
            select(Person.id, Person.household_id)
            .where(Person.id.in_(known))
            .order_by(Person.roll_number)
        )
        for person_id, household_id in rows:
            households.setdefault(household_id, []).append(known[person_id])
    return HelperRules(
        village_id=round_.election.village_id,
        candidates=known,
        names_only=frozenset(c.name for c in candidates if c.person_id is None),
        households={h: tuple(names) for h, names in households.items()},
    )


# Recording -----------------------------------------------------------------------------------


def helper_of(session: Session, round_: Round, voter: RollEntry) -> Person | None:
    """Who was recorded as writing this voter's ballot of the round, if anyone."""
    return session.scalar(
        select(Person)
        .join(BallotHelp, BallotHelp.helper_person_id == Person.id)
        .where(BallotHelp.round_id == round_.id, BallotHelp.roll_entry_id == voter.id)
    )


def check_helper(session: Session, round_: Round, voter: RollEntry, helper: Person) -> None:
    """Raise HelpRefused (saying why) unless `helper` may write `voter`'s ballot.

    Whether the voter has voted is the credential's to say (AlreadyVoted), and a voter
    votes once a round, so a ballot issued or cast with help is helped once; the unique
    (round, voter) constraint holds that too.
    """
    problem = helper_rules(session, round_).problem(voter, helper)
    if problem is not None:
        raise HelpRefused(problem)


def add_help(
    session: Session,
    round_: Round,
    voter: RollEntry,
    helper: Person,
    channel: Channel,
    *,
    today: date | None = None,
) -> BallotHelp:
    """Write the record; the caller checked the helper (check_helper) before it wrote
    anything, and writes the record in the transaction that uses the voter's credential.

    No audit entry, on purpose, for the reason issuing a paper ballot writes none: an
    entry's timestamp would tell when this voter voted. The row, which the database
    refuses to change or delete, is the record, and it holds the day only.
    """
    assert channel in HELPED_CHANNELS, channel
    help_ = BallotHelp(
        round_id=round_.id,
        roll_entry_id=voter.id,
        helper_person_id=helper.id,
        channel=channel,
        recorded_on=today or today_of(round_.election),
    )
    session.add(help_)
    session.flush()
    return help_


# Choosing a helper ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HelperChoice:
    """A person of the registry the teller found, with why they may not write, if so."""

    person: Person
    problem: str | None
    helped: int  # voters this person has already written for in the round


@dataclass(frozen=True)
class HelperSearch:
    choices: list[HelperChoice]
    more: bool  # the registry holds more matches than are listed


def find_helpers(session: Session, round_: Round, voter: RollEntry, query: str) -> HelperSearch:
    """People of the village registry (in the register) by name or 村民编号."""
    query = query.strip()
    if not query:
        return HelperSearch([], more=False)
    found = search_people(session, round_.election.village_id, PeopleFilter(q=query))
    people = found.people[:HELPER_SEARCH_LIMIT]
    rules = helper_rules(session, round_)
    helped = times_helped(session, round_, [p.id for p in people])
    return HelperSearch(
        [HelperChoice(p, rules.problem(voter, p), helped.get(p.id, 0)) for p in people],
        more=found.paging.total > len(people),
    )


# Counting ------------------------------------------------------------------------------------


def helped_by_channel(session: Session, round_: Round) -> dict[str, int]:
    """Ballots of the round written with help, by channel (paper, mobile), both listed."""
    rows = session.execute(
        select(BallotHelp.channel, func.count())
        .where(BallotHelp.round_id == round_.id)
        .group_by(BallotHelp.channel)
    )
    found = {Channel(channel).value: int(n) for channel, n in rows}
    return {channel.value: found.get(channel.value, 0) for channel in HELPED_CHANNELS}


def helped_count(session: Session, round_: Round) -> int:
    """Ballots of the round written with help (代写选票): the round's BallotHelp rows."""
    return helped_counts(session, [round_.id])[round_.id]


def helped_counts(session: Session, round_ids: Sequence[int]) -> dict[int, int]:
    """`helped_count` of each of these rounds, in one statement (the election report)."""
    found = {round_id: 0 for round_id in round_ids}
    rows = session.execute(
        select(BallotHelp.round_id, func.count())
        .where(BallotHelp.round_id.in_(list(round_ids)))
        .group_by(BallotHelp.round_id)
    )
    found.update({int(round_id): int(n) for round_id, n in rows})
    return found


def times_helped(session: Session, round_: Round, person_ids: Sequence[int]) -> dict[int, int]:
    """How many voters each of these people has written for in the round."""
    if not person_ids:
        return {}
    rows = session.execute(
        select(BallotHelp.helper_person_id, func.count())
        .where(BallotHelp.round_id == round_.id, BallotHelp.helper_person_id.in_(person_ids))
        .group_by(BallotHelp.helper_person_id)
    )
    return {person_id: int(n) for person_id, n in rows}


def helpers_of(session: Session, round_: Round, entry_ids: Sequence[int]) -> dict[int, str]:
    """Roll entry -> the name of who wrote that voter's ballot, for the helped ones."""
    if not entry_ids:
        return {}
    rows = session.execute(
        select(BallotHelp.roll_entry_id, Person.name)
        .join(Person, Person.id == BallotHelp.helper_person_id)
        .where(BallotHelp.round_id == round_.id, BallotHelp.roll_entry_id.in_(entry_ids))
    )
    return {entry_id: name for entry_id, name in rows}
