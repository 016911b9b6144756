"""Moving an election through its stages (ballots.setup.transitions says which moves the law allows).

`advance` is the one way any area changes an election's stage: it checks the blockers,
does what entering the stage means (publication dates, opening the pending round) and
writes the audit entry, all in the caller's transaction.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.actors import Actor
from app.audit.services import record
from app.sealed_box import services as sealed_box
from ballots.exceptions import StageBlocked
from ballots.models import (
    Candidate,
    Election,
    Objection,
    RollEntry,
    Round,
    RoundKind,
    RoundStatus,
    Stage,
)
from ballots.rules import RuleProfile
from ballots.setup import rules as setup_rules
from ballots.setup.credentials import ensure_credentials
from ballots.setup.transitions import TransitionFacts, blockers


def profile_for(election: Election) -> RuleProfile:
    """The election's rule profile with its overrides applied."""
    return setup_rules.resolve_profile(election.profile_name, election.profile_overrides)


def latest_round(session: Session, election: Election) -> Round | None:
    return session.scalar(
        select(Round).where(Round.election_id == election.id).order_by(Round.number.desc()).limit(1)
    )


def pending_round(session: Session, election: Election) -> Round | None:
    found = latest_round(session, election)
    return found if found is not None and found.status is RoundStatus.PENDING else None


def new_round(session: Session, election: Election, kind: RoundKind, seats: int) -> Round:
    """The next round of the election, pending until voting opens."""
    previous = latest_round(session, election)
    created = Round(
        election_id=election.id,
        number=(previous.number + 1) if previous else 1,
        kind=kind,
        seats=seats,
        status=RoundStatus.PENDING,
    )
    session.add(created)
    session.flush()
    return created


def round_candidates(session: Session, round_: Round, *, live_only: bool = True) -> list[Candidate]:
    """A round's candidates in ballot order (withdrawn ones left out unless asked)."""
    stmt = select(Candidate).where(Candidate.round_id == round_.id)
    if live_only:
        stmt = stmt.where(Candidate.withdrawn.is_(False))
    return list(session.scalars(stmt.order_by(Candidate.position)))


def roll_size(session: Session, election: Election) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(RollEntry)
            .where(RollEntry.election_id == election.id, RollEntry.struck.is_(False))
        )
        or 0
    )


def open_objections(session: Session, election: Election) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Objection)
            .where(Objection.election_id == election.id, Objection.decided_on.is_(None))
        )
        or 0
    )


def transition_facts(session: Session, election: Election, today: date) -> TransitionFacts:
    """What the stage rules look at. Candidates and seats are those of the round waiting
    to be voted (or the latest round), so a further round is judged on its own list."""
    round_ = latest_round(session, election)
    candidates = len(round_candidates(session, round_)) if round_ is not None else 0
    return TransitionFacts(
        today=today,
        election_day=election.election_day,
        roll_published_on=election.roll_published_on,
        candidates_published_on=election.candidates_published_on,
        candidates=candidates,
        seats=round_.seats if round_ is not None else election.seats,
        open_objections=open_objections(session, election),
    )


def refusals(session: Session, election: Election, target: Stage, today: date) -> list[str]:
    """Why `target` may not be entered now, in Chinese; empty when it may."""
    return _check(session, election, target, today)[1]


def _check(
    session: Session, election: Election, target: Stage, today: date
) -> tuple[list[str], list[str]]:
    profile = profile_for(election)
    facts = transition_facts(session, election, today)
    reasons = blockers(election.stage, target, facts, profile)
    if reasons != ["transition_not_allowed"]:
        reasons += setup_rules.extra_blockers(
            target,
            facts,
            roll_size(session, election) if target is Stage.ROLL_PUBLISHED else 1,
            pending_round(session, election) is not None,
        )
    if "candidates_via_publish" in reasons:
        # Without a list there is nothing to count yet: say where the list is made.
        reasons = ["candidates_via_publish"]
    messages = [
        setup_rules.blocker_message(reason, election.stage, target, facts, profile)
        for reason in dict.fromkeys(reasons)
    ]
    opening = pending_round(session, election) if target is Stage.VOTING_OPEN else None
    if opening is not None and reasons != ["transition_not_allowed"]:
        # The round's sealed box needs k+1 tellers with a box password (app.sealed_box).
        box = sealed_box.box_status(session, sealed_box.ELECTION_ROUND, opening.id)
        if not box.can_seal:
            reasons.append("box_not_ready")
            messages.append(sealed_box.not_ready_message(box))
    return list(dict.fromkeys(reasons)), messages


def advance(session: Session, actor: Actor, election: Election, target: Stage, today: date) -> None:
    """Move the election to `target`, or raise StageBlocked saying why not (in Chinese).

    Entering ROLL_PUBLISHED dates the publication; CANDIDATES_PUBLISHED dates the first
    candidate list (a further round, voted on the spot, keeps that date); VOTING_OPEN
    opens the pending round and thereby freezes the roll.
    """
    reasons, messages = _check(session, election, target, today)
    if reasons:
        raise StageBlocked(messages, reasons)
    previous = election.stage
    summary: dict[str, object] = {"from": previous.value, "to": target.value}
    if target is Stage.ROLL_PUBLISHED:
        election.roll_published_on = today
        summary["roll_size"] = roll_size(session, election)
    if target is Stage.CANDIDATES_PUBLISHED and election.candidates_published_on is None:
        election.candidates_published_on = today
    if target is Stage.VOTING_OPEN:
        opening = pending_round(session, election)
        assert opening is not None  # refused above otherwise
        # The round's sealed box gets its key now, split among the tellers who set a
        # box password; refused unless k+1 have (app.sealed_box.seal).
        sealed_box.seal(session, sealed_box.ELECTION_ROUND, opening.id)
        opening.status = RoundStatus.OPEN
        summary["round"] = opening.number
        # Every voter on the roll holds a credential before the first ballot is cast, so
        # no two concurrent first votes race to create the same one.
        summary["credentials_made"] = ensure_credentials(session, election)
    election.stage = target
    session.flush()
    summary["on"] = today.isoformat()
    record(
        session,
        actor,
        "election.stage",
        "election",
        election.id,
        summary,
        village_id=election.village_id,
    )
