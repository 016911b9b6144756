"""Counting a round: one pure function, used by the app and by `cunyi recount`.

Reading of RULES.md implemented here:
- A ballot marking more names than seats is invalid: it counts as cast, gives no votes.
  A name marked twice on one ballot counts once. A blank ballot is valid, gives no votes.
- A round is void when more ballots come back than were issued, when more ballots are
  cast than there are registered voters, when (village election) no more than half of
  the registered voters cast a ballot, or (group meeting) the quorum is not met or more
  ballots are cast than people are present.
- Winning needs the profile's threshold (first round: more than half of ballots cast;
  further round: at least a third); among those who pass, the most votes win; equal
  votes across the last seat(s) are a tie settled by a re-vote among the tied.
- Unfilled seats: the further round's candidates are the non-elected with the most
  votes, unfilled + margin of them, widened to everyone tied at the cut.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ballots.rules import Basis, RuleProfile


@dataclass(frozen=True)
class RoundInput:
    profile: RuleProfile
    round: int
    seats: int
    candidates: tuple[str, ...]
    ballots: Sequence[Sequence[str]]
    registered: int | None = None
    members: int | None = None
    present: int | None = None
    households: int | None = None
    households_present: int | None = None
    issued: int | None = None
    # Voters who took part, by channel (online, paper, mobile, proxy): they add up to
    # `issued`. Records made before channels were kept have none.
    channels: Mapping[str, int] | None = None


CHANNELS = ("online", "paper", "mobile", "proxy")


def turnout_figures(data: RoundInput) -> dict[str, Any] | None:
    """What the round was measured against, as the result shows it beside the count.

    Only for records that carry channels, so results announced before keep their form.
    """
    if data.channels is None:
        return None
    figures: dict[str, Any] = {}
    if data.registered is not None:
        figures["registered"] = data.registered
    for key in ("members", "present", "households", "households_present"):
        value = getattr(data, key)
        if value is not None:
            figures[key] = value
    figures["issued"] = sum(data.channels.values())
    figures["channels"] = {name: int(data.channels.get(name, 0)) for name in CHANNELS}
    return figures


@dataclass
class RoundResult:
    profile: str
    parameters: dict[str, Any]
    round: int
    seats: int
    valid: bool
    void_reasons: list[str]
    quorum: bool | None
    ballots_cast: int
    invalid_ballots: int
    blank_ballots: int
    counts: dict[str, int]
    elected: list[str]
    unfilled: int
    tie: list[str] = field(default_factory=list)
    runoff_candidates: list[str] = field(default_factory=list)
    turnout: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "kind": "election",
            "rules": self.profile,
            "round": self.round,
            "seats": self.seats,
            "valid": self.valid,
            "void_reasons": self.void_reasons,
            "quorum": self.quorum,
            "ballots_cast": self.ballots_cast,
            "invalid_ballots": self.invalid_ballots,
            "blank_ballots": self.blank_ballots,
            "counts": self.counts,
            "elected": self.elected,
            "unfilled": self.unfilled,
            "tie": self.tie,
            "runoff_candidates": self.runoff_candidates,
            "parameters": self.parameters,
        }
        if self.turnout is not None:
            document["turnout"] = self.turnout
        return document


def _tally(
    ballots: Sequence[Sequence[str]], seats: int, candidates: Sequence[str], write_ins: bool
) -> tuple[dict[str, int], int, int]:
    counts = dict.fromkeys(candidates, 0)
    invalid = blank = 0
    known = set(candidates)
    # A village's ballots say the same few things over and over: judge each distinct
    # ballot once and count it as many times as it was cast (a million ballots in a
    # fraction of a second instead of seconds).
    for ballot, times in Counter(map(tuple, ballots)).items():
        names = list(dict.fromkeys(name.strip() for name in ballot if name.strip()))
        if not names:
            blank += times
            continue
        if len(names) > seats or (not write_ins and any(n not in known for n in names)):
            invalid += times
            continue
        for name in names:
            counts[name] = counts.get(name, 0) + times
    return counts, invalid, blank


def _ranked(counts: dict[str, int], order: Sequence[str]) -> list[str]:
    """Most votes first; equal votes keep the candidate list order, then write-ins by name."""
    position = {name: index for index, name in enumerate(order)}
    return sorted(counts, key=lambda n: (-counts[n], position.get(n, len(order)), n))


def _validity(data: RoundInput, cast: int) -> tuple[list[str], bool | None]:
    profile = data.profile
    reasons: list[str] = []
    quorum: bool | None = None
    if data.issued is not None and cast > data.issued:
        reasons.append("more_returned_than_issued")
    if data.registered is not None and cast > data.registered:
        # Like more returned than issued: ballots nobody could have cast.
        reasons.append("more_ballots_than_registered")
    if profile.quorum_members is not None:
        members, present = data.members or 0, data.present or 0
        quorum = profile.quorum_members.met(present, members)
        if (
            not quorum
            and profile.quorum_households is not None
            and data.households is not None
            and data.households_present is not None
        ):
            quorum = profile.quorum_households.met(data.households_present, data.households)
        if not quorum:
            reasons.append("no_quorum")
        if cast > present:
            reasons.append("more_ballots_than_present")
    if profile.validity_basis is Basis.REGISTERED and not profile.validity.met(
        cast, data.registered or 0
    ):
        reasons.append("turnout_too_low")
    return reasons, quorum


def _base(basis: Basis, data: RoundInput, cast: int) -> int:
    if basis is Basis.CAST:
        return cast
    if basis is Basis.PRESENT:
        return data.present or 0
    return data.registered or 0


def _cut_with_ties(ranked: list[str], counts: dict[str, int], n: int) -> list[str]:
    if n <= 0 or not ranked:
        return []
    if n >= len(ranked):
        return list(ranked)
    cut = counts[ranked[n - 1]]
    return [name for name in ranked if counts[name] >= cut]


def count_round(data: RoundInput) -> RoundResult:
    profile = data.profile
    cast = len(data.ballots)
    counts, invalid, blank = _tally(
        data.ballots, data.seats, data.candidates, profile.write_ins_allowed
    )
    ranked = _ranked(counts, data.candidates)
    counts = {name: counts[name] for name in ranked}
    reasons, quorum = _validity(data, cast)
    result = RoundResult(
        profile=profile.name,
        parameters=profile.parameters(),
        round=data.round,
        seats=data.seats,
        valid=not reasons,
        void_reasons=reasons,
        quorum=quorum,
        ballots_cast=cast,
        invalid_ballots=invalid,
        blank_ballots=blank,
        counts=counts,
        elected=[],
        unfilled=data.seats,
        turnout=turnout_figures(data),
    )
    if reasons:
        return result

    first = data.round == 1
    threshold = profile.first_round if first else profile.further_round
    basis = profile.first_round_basis if first else profile.further_round_basis
    base = _base(basis, data, cast)
    passing = [n for n in ranked if counts[n] > 0 and threshold.met(counts[n], base)]
    if len(passing) <= data.seats:
        elected = passing
    else:
        cut = counts[passing[data.seats - 1]]
        above = [n for n in passing if counts[n] > cut]
        at_cut = [n for n in passing if counts[n] == cut]
        if len(above) + len(at_cut) <= data.seats:
            elected = above + at_cut
        else:
            elected = above
            result.tie = at_cut
    result.elected = elected
    result.unfilled = data.seats - len(elected)
    if result.tie:
        result.runoff_candidates = list(result.tie)
    elif result.unfilled > 0:
        rest = [n for n in ranked if n not in elected]
        wanted = result.unfilled + profile.further_round_extra_candidates
        result.runoff_candidates = _cut_with_ties(rest, counts, wanted)
    return result
