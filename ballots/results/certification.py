"""Naming a round's tellers, their certification of its result, and annulment (Art 21).

Each named teller (at least two) confirms the announced result with their own
password; when all have, a `certified` outcome is added and the election reaches its
last stage. An auditor may later record that a certified result is void, with a reason;
that too is a new outcome, never an edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.accounts.services import verify_password, village_tellers
from app.actors import Actor, actor_for
from app.drill import today_of
from app.i18n import lazy
from app.ordering import counting_key
from app.sealed_box import services as sealed_box
from ballots.exceptions import Conflict, ElectionError, NotNamedTeller, WrongPassword
from ballots.models import (
    Certification,
    Election,
    Round,
    RoundOutcome,
    RoundStatus,
    RoundTeller,
    Stage,
)
from ballots.results.services import (
    ANNOUNCED,
    ANNULLED,
    CERTIFIED,
    audit_round,
    is_latest,
    latest_outcome,
    require_not_announced,
)
from ballots.setup import advance

MIN_TELLERS = 2


def teller_choices(session: Session, election: Election) -> list[StaffUser]:
    """The village's active teller accounts: who may be named for a round."""
    return village_tellers(session, election.village_id)


def named_tellers(session: Session, round_: Round) -> list[StaffUser]:
    """The round's tellers, in the order a person counts their names (甲 before 乙)."""
    found = session.scalars(
        select(StaffUser)
        .join(RoundTeller, RoundTeller.teller_id == StaffUser.id)
        .where(RoundTeller.round_id == round_.id)
        .order_by(StaffUser.id)
    )
    return sorted(found, key=lambda user: counting_key(user.display_name))


def set_tellers(session: Session, actor: Actor, round_: Round, teller_ids: Sequence[int]) -> None:
    """Name the round's tellers (replacing any named before), until the result is announced."""
    require_not_announced(round_)
    allowed = {user.id for user in teller_choices(session, round_.election)}
    chosen = set(teller_ids)
    if not chosen <= allowed:
        raise ElectionError(lazy("只能从本村的监计票人账号中选择。"))
    if len(chosen) < MIN_TELLERS:
        raise ElectionError(lazy("请至少选择两名监计票人。"))
    current = {
        row.teller_id: row
        for row in session.scalars(select(RoundTeller).where(RoundTeller.round_id == round_.id))
    }
    for teller_id, row in current.items():
        if teller_id not in chosen:
            session.delete(row)
    session.add_all(
        RoundTeller(round_id=round_.id, teller_id=teller_id)
        for teller_id in sorted(chosen - set(current))
    )
    session.flush()
    # The named tellers hold the round's sealed box (until voting opens; then the box's
    # holders are fixed and tellers named later only certify).
    sealed_box.name_holders(session, sealed_box.ELECTION_ROUND, round_.id, sorted(chosen))
    audit_round(session, actor, "election.tellers", round_, {"teller_ids": sorted(chosen)})


def certifications(session: Session, outcome: RoundOutcome) -> list[Certification]:
    return list(
        session.scalars(
            select(Certification)
            .where(Certification.outcome_id == outcome.id)
            .order_by(Certification.id)
        )
    )


def _check_certifiable(session: Session, teller: StaffUser, outcome: RoundOutcome) -> Round:
    round_ = session.get(Round, outcome.round_id)
    assert round_ is not None
    latest = latest_outcome(session, round_)
    if outcome.kind != ANNOUNCED or latest is None or latest.id != outcome.id:
        raise Conflict(lazy("这个结果已经确认过，或已被宣布无效。"))
    if round_.status is RoundStatus.VOID:
        raise ElectionError(lazy("本轮选举无效，不能确认结果；请组织者安排重新投票。"))
    if not is_latest(session, round_):
        raise ElectionError(lazy("这次选举已经开始了新一轮投票，请确认最后一轮的结果。"))
    tellers = named_tellers(session, round_)
    if len(tellers) < MIN_TELLERS:
        raise ElectionError(lazy("请组织者先为本轮指定至少两名监计票人。"))
    if teller.id not in {t.id for t in tellers}:
        raise NotNamedTeller(lazy("只有本轮指定的监计票人才能确认结果。"))
    if any(c.teller_id == teller.id for c in certifications(session, outcome)):
        raise Conflict(lazy("您已经确认过这个结果了。"))
    return round_


def certify(
    session: Session,
    teller: StaffUser,
    outcome: RoundOutcome,
    password: str,
    today: date | None = None,
) -> RoundOutcome | None:
    """One named teller confirms the announced result with their password.

    A wrong password raises WrongPassword before anything is written. When every named
    teller has confirmed, the result is certified (a new outcome record, returned) and
    the election moves to its last stage; until then None is returned.
    """
    round_ = _check_certifiable(session, teller, outcome)
    if not verify_password(teller.password_hash, password):
        raise WrongPassword(lazy("密码不对，结果没有确认。请输入您登录时用的密码。"))
    actor = actor_for(teller)
    session.add(Certification(outcome_id=outcome.id, teller_id=teller.id))
    session.flush()
    audit_round(session, actor, "election.confirm_result", round_, {"outcome_id": outcome.id})
    confirmed = {c.teller_id for c in certifications(session, outcome)}
    if not {t.id for t in named_tellers(session, round_)} <= confirmed:
        return None
    certified = RoundOutcome(
        round_id=round_.id,
        kind=CERTIFIED,
        result_json=outcome.result_json,
        sha256=outcome.sha256,
        by_id=teller.id,
    )
    session.add(certified)
    round_.status = RoundStatus.CERTIFIED
    advance(session, actor, round_.election, Stage.CERTIFIED, today or today_of(round_.election))
    session.flush()
    audit_round(session, actor, "election.certify", round_, {"tellers": sorted(confirmed)})
    return certified


def annul(session: Session, auditor: Actor, outcome: RoundOutcome, reason: str) -> RoundOutcome:
    """Art 21: a certified result won by fraud is void. Recorded, with its reason."""
    round_ = session.get(Round, outcome.round_id)
    assert round_ is not None
    latest = latest_outcome(session, round_)
    if outcome.kind != CERTIFIED or latest is None or latest.id != outcome.id:
        raise Conflict(lazy("只能宣布已经确认的结果无效，而且只能宣布一次。"))
    reason = reason.strip()
    if not reason:
        raise ElectionError(lazy("请写明宣布结果无效的理由。"))
    annulled = RoundOutcome(
        round_id=round_.id,
        kind=ANNULLED,
        result_json=outcome.result_json,
        sha256=outcome.sha256,
        reason=reason,
        by_id=auditor.user_id,
    )
    session.add(annulled)
    round_.status = RoundStatus.ANNULLED
    round_.status_reason = reason
    session.flush()
    audit_round(session, auditor, "election.annul", round_, {"reason": reason})
    return annulled
