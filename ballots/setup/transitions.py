"""The election's stages and which transitions the law allows, as plain functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ballots.models import Stage
from ballots.rules import RuleProfile

ORDER = [
    Stage.DRAFT,
    Stage.ROLL_PUBLISHED,
    Stage.OBJECTIONS_CLOSED,
    Stage.NOMINATIONS,
    Stage.CANDIDATES_PUBLISHED,
    Stage.VOTING_OPEN,
    Stage.COUNTING,
    Stage.ANNOUNCED,
    Stage.CERTIFIED,
]

# Forward one step at a time. A void round goes back to voting through a new round,
# not by moving the election backwards.
ALLOWED: dict[Stage, frozenset[Stage]] = {
    stage: frozenset({ORDER[index + 1]}) for index, stage in enumerate(ORDER[:-1])
}
ALLOWED[Stage.CERTIFIED] = frozenset()
# After an announced round leaves seats unfilled (or a tie), a further round reopens voting.
ALLOWED[Stage.ANNOUNCED] = frozenset({Stage.CERTIFIED, Stage.CANDIDATES_PUBLISHED})


@dataclass(frozen=True)
class TransitionFacts:
    today: date
    election_day: date
    roll_published_on: date | None
    candidates_published_on: date | None
    candidates: int
    seats: int
    open_objections: int


def blockers(
    current: Stage, target: Stage, facts: TransitionFacts, profile: RuleProfile
) -> list[str]:
    """Reasons (message ids) why `current → target` may not happen now; empty when it may."""
    if target not in ALLOWED[current]:
        return ["transition_not_allowed"]
    reasons: list[str] = []
    if target is Stage.ROLL_PUBLISHED:
        latest = facts.election_day - timedelta(days=profile.roll_publication_days)
        if facts.today > latest:
            reasons.append("roll_too_late")
    if target is Stage.OBJECTIONS_CLOSED and facts.roll_published_on is not None:
        if facts.today < facts.roll_published_on + timedelta(days=profile.objection_days):
            reasons.append("objection_period_running")
        if facts.open_objections:
            reasons.append("objections_undecided")
    if target is Stage.CANDIDATES_PUBLISHED and facts.candidates <= facts.seats:
        reasons.append("not_enough_candidates")
    if target is Stage.VOTING_OPEN:
        if facts.roll_published_on is None or facts.today < facts.roll_published_on + timedelta(
            days=profile.roll_publication_days
        ):
            reasons.append("roll_not_published_long_enough")
        if facts.candidates_published_on is None or (
            facts.today
            < facts.candidates_published_on + timedelta(days=profile.candidate_list_days)
        ):
            reasons.append("candidates_not_published_long_enough")
    return reasons
