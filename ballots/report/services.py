"""The township's election report: each election's figures, read from the ledger.

Nothing is typed twice. Registered voters are the roll (entries not struck); who took
part, and by which channel, are the credential uses of each round; proxies are the live
entrustments; ballots written with help are the `ballot_help` rows; valid, invalid and
blank ballots are the counted result as announced (the record `count_round` made, read
back, never counted again here); the elected are the certified result, with sex and age
from the registry. Only the polling facilities (ballot boxes, mobile boxes, secret
writing booths) are entered, by the organizer, as append-only records: the newest counts.

Drills are never in a report (app.drill.not_drill) beyond their own page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.actors import Actor
from app.audit.services import record
from app.drill import not_drill
from app.registry.models import Person, Sex, Village
from app.registry.rules import age
from ballots.models import (
    Candidate,
    Channel,
    Election,
    ElectionFacilities,
    Entrustment,
    RollEntry,
    Round,
    RoundOutcome,
    RoundStatus,
)
from ballots.paper.help import helped_counts
from ballots.report.rules import AgeBand, band_of, share
from ballots.results.services import ANNOUNCED, channel_counts_of, result_of

# A round that never opened (a further round still waiting) was not held.
NOT_HELD = frozenset({RoundStatus.PENDING})
# Rounds whose announced winners stand once the election's last round is certified.
STANDING = frozenset({RoundStatus.ANNOUNCED, RoundStatus.CERTIFIED})


@dataclass(frozen=True)
class RoundFigures:
    """One round: who took part by channel, help, and its ballots as counted."""

    round: Round
    channels: dict[str, int]  # Channel value -> voters, every channel listed
    helped: int  # ballots written with help (代写)
    result: dict[str, Any] | None  # the announced result; None before the count

    @property
    def held(self) -> bool:
        return self.round.status not in NOT_HELD

    @property
    def took_part(self) -> int:
        return sum(self.channels.values())

    def _counted(self, key: str) -> int | None:
        return None if self.result is None else int(self.result[key])

    @property
    def ballots_cast(self) -> int | None:
        return self._counted("ballots_cast")

    @property
    def invalid(self) -> int | None:
        return self._counted("invalid_ballots")

    @property
    def blank(self) -> int | None:
        return self._counted("blank_ballots")

    @property
    def valid(self) -> int | None:
        """Ballots cast less the invalid ones: a blank ballot is valid (RULES.md)."""
        cast, invalid = self.ballots_cast, self.invalid
        return None if cast is None or invalid is None else cast - invalid


@dataclass(frozen=True)
class Elected:
    """One person elected, as the registry knows them (a write-in name may be unknown)."""

    name: str
    round_number: int
    sex: Sex | None
    age: int | None  # on election day

    @property
    def band(self) -> AgeBand | None:
        return None if self.age is None else band_of(self.age)


@dataclass(frozen=True)
class Facilities:
    """The polling arrangements as last entered (the newest record counts)."""

    ballot_boxes: int
    mobile_boxes: int
    booths: int
    record: ElectionFacilities


@dataclass(frozen=True)
class ElectionReport:
    election: Election
    village: Village
    registered: int  # the roll, struck entries left out
    proxies: int  # live entrustments (委托投票)
    rounds: list[RoundFigures]
    facilities: Facilities | None  # None: not entered yet
    in_force: bool  # the last round's result is certified (and not annulled)
    annulled: bool  # the last round's certified result was declared void (Art 21)
    elected: list[Elected] = field(default_factory=list)  # only when in force

    @property
    def held(self) -> list[RoundFigures]:
        return [figures for figures in self.rounds if figures.held]

    @property
    def first(self) -> RoundFigures | None:
        """The first round whose vote stood: its turnout is the headline. A first round
        voided (too few voters, say) and held again is not it; with none standing, round 1."""
        standing = [f for f in self.held if f.round.status is not RoundStatus.VOID]
        if standing:
            return standing[0]
        return self.rounds[0] if self.rounds else None

    @property
    def women(self) -> int:
        return sum(person.sex is Sex.FEMALE for person in self.elected)

    @property
    def share_of_women(self) -> Fraction | None:
        """Among the elected whose sex the registry knows (a written-in name may not be)."""
        return share(self.women, sum(person.sex is not None for person in self.elected))

    @property
    def used_channels(self) -> set[str]:
        return {key for r in self.rounds for key, n in r.channels.items() if n}


@dataclass(frozen=True)
class Suggestion:
    """What the facilities form offers before anything is entered, from the ledger:
    a mobile box when anyone voted at one, a box and a booth when paper was handed out."""

    ballot_boxes: int | None
    mobile_boxes: int | None
    booths: int | None


# --- reading ------------------------------------------------------------------------


def _per_key(session: Session, stmt: Select[int, int]) -> dict[int, int]:
    """(key, count) rows as a dict."""
    return {int(key): int(n) for key, n in session.execute(stmt)}


def _announced_results(session: Session, round_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each counted round's result as announced (certifying and annulling copy it)."""
    results: dict[int, dict[str, Any]] = {}
    outcomes = session.scalars(
        select(RoundOutcome)
        .where(RoundOutcome.round_id.in_(round_ids), RoundOutcome.kind == ANNOUNCED)
        .order_by(RoundOutcome.id)
    )
    for outcome in outcomes:
        results.setdefault(outcome.round_id, result_of(outcome))
    return results


def _newest_facilities(session: Session, election_ids: list[int]) -> dict[int, Facilities]:
    found: dict[int, Facilities] = {}
    rows = session.scalars(
        select(ElectionFacilities)
        .where(ElectionFacilities.election_id.in_(election_ids))
        .order_by(ElectionFacilities.id)
    )
    for row in rows:  # oldest first: the newest overwrites
        found[row.election_id] = Facilities(row.ballot_boxes, row.mobile_boxes, row.booths, row)
    return found


def _people_of_candidates(
    session: Session, election_ids: list[int]
) -> dict[tuple[int, str], Person]:
    """(election, candidate name) -> the registry's person, for every candidate who is one.

    By name within the election: a further round's candidates are the first round's."""
    rows = session.execute(
        select(Round.election_id, Candidate.name, Person)
        .join(Candidate, Candidate.round_id == Round.id)
        .join(Person, Person.id == Candidate.person_id)
        .where(Round.election_id.in_(election_ids))
    )
    return {(int(election_id), str(name)): person for election_id, name, person in rows}


def _elected(
    election: Election, rounds: Sequence[RoundFigures], people: dict[tuple[int, str], Person]
) -> list[Elected]:
    elected: list[Elected] = []
    for figures in rounds:
        if figures.round.status not in STANDING or figures.result is None:
            continue
        for name in figures.result.get("elected", []):
            person = people.get((election.id, name))
            elected.append(
                Elected(
                    name=name,
                    round_number=figures.round.number,
                    sex=None if person is None else person.sex,
                    age=None
                    if person is None
                    else age(person.birth_year, person.birth_month, election.election_day),
                )
            )
    return elected


def election_reports(session: Session, elections: Sequence[Election]) -> list[ElectionReport]:
    """Each election's report, in the order given, read in a few grouped statements."""
    election_ids = [e.id for e in elections]
    if not election_ids:
        return []
    registered = _per_key(
        session,
        select(RollEntry.election_id, func.count())
        .where(RollEntry.election_id.in_(election_ids), RollEntry.struck.is_(False))
        .group_by(RollEntry.election_id),
    )
    proxies = _per_key(
        session,
        select(Entrustment.election_id, func.count())
        .where(Entrustment.election_id.in_(election_ids), Entrustment.revoked_at.is_(None))
        .group_by(Entrustment.election_id),
    )
    rounds = list(
        session.scalars(
            select(Round)
            .where(Round.election_id.in_(election_ids))
            .order_by(Round.election_id, Round.number)
        )
    )
    round_ids = [r.id for r in rounds]
    channels = channel_counts_of(session, round_ids)
    helped = helped_counts(session, round_ids)
    results = _announced_results(session, round_ids)
    facilities = _newest_facilities(session, election_ids)
    people = _people_of_candidates(session, election_ids)
    villages = {
        v.id: v
        for v in session.scalars(
            select(Village).where(Village.id.in_({e.village_id for e in elections}))
        )
    }
    by_election: dict[int, list[RoundFigures]] = defaultdict(list)
    for round_ in rounds:
        by_election[round_.election_id].append(
            RoundFigures(round_, channels[round_.id], helped[round_.id], results.get(round_.id))
        )
    reports = []
    for election in elections:
        figures = by_election[election.id]
        last = figures[-1].round.status if figures else None
        in_force = last is RoundStatus.CERTIFIED
        reports.append(
            ElectionReport(
                election=election,
                village=villages[election.village_id],
                registered=registered.get(election.id, 0),
                proxies=proxies.get(election.id, 0),
                rounds=figures,
                facilities=facilities.get(election.id),
                in_force=in_force,
                annulled=last is RoundStatus.ANNULLED,
                elected=_elected(election, figures, people) if in_force else [],
            )
        )
    return reports


def election_report(session: Session, election: Election) -> ElectionReport:
    (report,) = election_reports(session, [election])
    return report


def suggestion(report: ElectionReport) -> Suggestion:
    """Defaults for the facilities form, from how people voted."""
    used = report.used_channels
    paper = Channel.PAPER.value in used
    return Suggestion(
        ballot_boxes=1 if paper else None,
        mobile_boxes=1 if Channel.MOBILE.value in used else 0,
        booths=None,  # nothing in the ledger says how many booths there were: asked, not guessed
    )


@dataclass(frozen=True)
class Period:
    """Election days from `first` to `last`, both included."""

    first: date
    last: date


@dataclass(frozen=True)
class TownshipReport:
    period: Period
    villages: list[Village]  # in scope, in code order
    reports: list[ElectionReport]  # village code, then election day and id


def township_report(
    session: Session,
    township_id: int,
    period: Period,
    village_ids: Sequence[int] | None = None,
) -> TownshipReport:
    """Every real election of the township's villages (or only `village_ids`) whose
    election day falls in the period; drills are left out."""
    stmt = select(Village).where(Village.township_id == township_id)
    if village_ids is not None:
        stmt = stmt.where(Village.id.in_(list(village_ids)))
    villages = list(session.scalars(stmt.order_by(Village.code, Village.id)))
    order = {v.id: n for n, v in enumerate(villages)}
    elections = sorted(
        session.scalars(
            select(Election).where(
                Election.village_id.in_(list(order)),
                not_drill(Election),
                Election.election_day >= period.first,
                Election.election_day <= period.last,
            )
        ),
        key=lambda e: (order[e.village_id], e.election_day, e.id),
    )
    return TownshipReport(period, villages, election_reports(session, elections))


# --- the facilities, entered ----------------------------------------------------------


@dataclass(frozen=True)
class FacilitiesInput:
    ballot_boxes: int
    mobile_boxes: int
    booths: int


def enter_facilities(
    session: Session, actor: Actor, election: Election, entered: FacilitiesInput
) -> ElectionFacilities | None:
    """A new facilities record for the election (a correction is a new record; the newest
    counts). Returns None, writing nothing, when it says what the newest already says."""
    current = _newest_facilities(session, [election.id]).get(election.id)
    if current is not None and (current.ballot_boxes, current.mobile_boxes, current.booths) == (
        entered.ballot_boxes,
        entered.mobile_boxes,
        entered.booths,
    ):
        return None
    assert actor.user_id is not None, "facilities are entered by a signed-in staff member"
    row = ElectionFacilities(
        election_id=election.id,
        ballot_boxes=entered.ballot_boxes,
        mobile_boxes=entered.mobile_boxes,
        booths=entered.booths,
        entered_by_id=actor.user_id,
    )
    session.add(row)
    session.flush()
    summary: dict[str, Any] = {
        "election_id": election.id,
        "ballot_boxes": entered.ballot_boxes,
        "mobile_boxes": entered.mobile_boxes,
        "booths": entered.booths,
    }
    if current is not None:
        summary["replaces_id"] = current.record.id
    record(
        session,
        actor,
        "election.facilities",
        "election_facilities",
        row.id,
        summary,
        village_id=election.village_id,
    )
    return row
