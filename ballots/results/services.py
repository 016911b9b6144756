"""Counting a round from the database, closing voting, announcing, further rounds.

The counting itself is `ballots.counting.count_round`, the same function `cunyi recount`
runs; this module only gathers its input from the database (`round_input`) and records
what it returned. Results are immutable records (`RoundOutcome`): announcing,
certifying and annulling (ballots.results_certify) each add one; nothing is edited.

Secrecy: nothing here reads or writes anything that links a voter to a ballot, and the
audit entries hold only counts and published results.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.actors import Actor
from app.audit.services import record
from app.drill import today_of
from app.i18n import LazyText, lazy
from app.registry.models import Person
from app.sealed_box import services as sealed_box
from app.thresholds import Threshold
from ballots.counting import RoundInput, RoundResult, count_round
from ballots.counting.export import export_bytes, export_document
from ballots.exceptions import AttendanceRefused, Conflict, ElectionError, StageError
from ballots.models import (
    Ballot,
    Candidate,
    Channel,
    CredentialUse,
    Election,
    RollEntry,
    Round,
    RoundKind,
    RoundOutcome,
    RoundStatus,
    Stage,
)
from ballots.paper.services import paper_counting_done
from ballots.setup import (
    SpeechEngine,
    advance,
    latest_round,
    new_round,
    profile_for,
    round_candidates,
    speak_round,
)
from ballots.voting.casting import store_opened_ballots

ANNOUNCED, CERTIFIED, ANNULLED = "announced", "certified", "annulled"

# The reasons `count_round` gives for a void round, in words for the public page.
VOID_REASONS: dict[str, LazyText] = {
    "turnout_too_low": lazy("投票的人数没有超过登记选民的一半"),
    "more_returned_than_issued": lazy("收回的选票比发出的选票多"),
    "more_ballots_than_registered": lazy("投出的选票比登记的选民多"),
    "no_quorum": lazy("到会的人数不够法定人数"),
    "more_ballots_than_present": lazy("投出的选票比到会的人数多"),
}


def result_text(result: RoundResult) -> str:
    """The stored result: key order kept, so `counts` stays most votes first."""
    return json.dumps(result.to_json(), ensure_ascii=False, separators=(",", ":"))


def describe_void(reasons: Sequence[str]) -> str:
    return "；".join(str(VOID_REASONS.get(reason, reason)) for reason in reasons)


def audit_round(
    session: Session, actor: Actor, action: str, round_: Round, summary: dict[str, Any]
) -> None:
    election = round_.election
    record(
        session,
        actor,
        action,
        "election_round",
        round_.id,
        {"election_id": election.id, "round": round_.number, **summary},
        village_id=election.village_id,
    )


# --- Reading a round --------------------------------------------------------------------


def rules_round(round_: Round) -> int:
    """1 for a first round; 2 (另行选举 rules) for a further round or a tie re-vote.

    A void first round held again is still a first round.
    """
    return 1 if round_.kind is RoundKind.FIRST else 2


def candidate_names(session: Session, round_: Round) -> list[str]:
    return [candidate.name for candidate in round_candidates(session, round_)]


def ballot_marks(session: Session, round_: Round) -> list[tuple[str, ...]]:
    """Every ballot's marks, in the order of the ballots' random ids: a fixed shuffle.

    Identical ballots share one parsed (immutable) tuple: a round holds few distinct
    ballots, so a million rows parse in a few thousand json.loads calls.
    """
    # Through the Core connection: plain rows, without the ORM's per-row bookkeeping.
    rows = (
        session.connection()
        .execute(select(Ballot.marks).where(Ballot.round_id == round_.id).order_by(Ballot.id))
        .scalars()
    )
    parsed: dict[str, tuple[str, ...]] = {}
    out: list[tuple[str, ...]] = []
    append = out.append
    for marks in rows:
        names = parsed.get(marks)
        if names is None:
            names = parsed[marks] = tuple(json.loads(marks))
        append(names)
    return out


def credential_uses(session: Session, round_: Round) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(CredentialUse)
            .where(CredentialUse.round_id == round_.id)
        )
        or 0
    )


def channel_counts(session: Session, round_: Round) -> dict[str, int]:
    """How many voters took part in the round by each channel (QR, paper, mobile box,
    proxy), every channel listed: the credential uses, which say that, never how."""
    return channel_counts_of(session, [round_.id])[round_.id]


def channel_counts_of(session: Session, round_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """`channel_counts` of each of these rounds, in one statement (the election report)."""
    found: dict[int, dict[str, int]] = {round_id: {} for round_id in round_ids}
    rows = session.execute(
        select(CredentialUse.round_id, CredentialUse.channel, func.count())
        .where(CredentialUse.round_id.in_(list(round_ids)))
        .group_by(CredentialUse.round_id, CredentialUse.channel)
    )
    for round_id, channel, n in rows:
        found[int(round_id)][Channel(channel).value] = int(n)
    return {
        round_id: {channel.value: counts.get(channel.value, 0) for channel in Channel}
        for round_id, counts in found.items()
    }


def round_input(session: Session, round_: Round) -> RoundInput:
    """What `count_round` needs, read from the database.

    registered: the roll without struck entries (frozen since voting opened);
    issued: every use of a credential in the round, whatever the channel;
    channels: those uses by channel.
    """
    election = round_.election
    registered = session.scalar(
        select(func.count())
        .select_from(RollEntry)
        .where(RollEntry.election_id == election.id, RollEntry.struck.is_(False))
    )
    return RoundInput(
        profile=profile_for(election),
        round=rules_round(round_),
        seats=round_.seats,
        candidates=tuple(candidate_names(session, round_)),
        ballots=ballot_marks(session, round_),
        registered=int(registered or 0),
        members=round_.members,
        present=round_.present,
        households=round_.households,
        households_present=round_.households_present,
        issued=credential_uses(session, round_),
        channels=channel_counts(session, round_),
    )


def announced_input(session: Session, round_: Round) -> RoundInput:
    """The round's input in the form its announced result was counted from.

    A result announced before channels were recorded was counted (and its export
    hashed) without them; the tracker, the public export and `cunyi verify-audit` must
    rebuild exactly that record, so the channels are left out for it.
    """
    data = round_input(session, round_)
    announced = announced_outcome(session, round_)
    if announced is not None and "turnout" not in result_of(announced):
        return replace(data, channels=None)
    return data


def outcomes_of(session: Session, round_: Round) -> list[RoundOutcome]:
    return list(
        session.scalars(
            select(RoundOutcome).where(RoundOutcome.round_id == round_.id).order_by(RoundOutcome.id)
        )
    )


def latest_outcome(session: Session, round_: Round) -> RoundOutcome | None:
    outcomes = outcomes_of(session, round_)
    return outcomes[-1] if outcomes else None


def announced_outcome(session: Session, round_: Round) -> RoundOutcome | None:
    return next((o for o in outcomes_of(session, round_) if o.kind == ANNOUNCED), None)


def result_of(outcome: RoundOutcome) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(outcome.result_json)
    return result


def is_latest(session: Session, round_: Round) -> bool:
    last = latest_round(session, round_.election)
    return last is not None and last.id == round_.id


# --- Attendance (group-meeting elections) ---------------------------------------------


def require_not_announced(round_: Round) -> None:
    if round_.status not in (RoundStatus.PENDING, RoundStatus.OPEN, RoundStatus.COUNTING):
        raise StageError(lazy("本轮结果已经公布，不能再修改。"))


def needs_attendance(election: Election) -> bool:
    """A group-meeting election is counted against the meeting's attendance."""
    return profile_for(election).quorum_members is not None


@dataclass(frozen=True)
class GroupRoll:
    """Who a group meeting is measured against: its roll, never a typed-in figure."""

    members: int  # the group's voters (18+) on the election's roll
    households: int  # the households they belong to


def group_roll(session: Session, election: Election) -> GroupRoll:
    members, households = session.execute(
        select(func.count(RollEntry.id), func.count(func.distinct(Person.household_id)))
        .join(Person, Person.id == RollEntry.person_id)
        .where(RollEntry.election_id == election.id, RollEntry.struck.is_(False))
    ).one()
    return GroupRoll(int(members), int(households))


@dataclass(frozen=True)
class QuorumVerdict:
    """Whether a group meeting's attendance reaches its quorum, with the figures why."""

    met: bool
    by_households: bool  # met only through the households' representatives
    members: int
    present: int
    needed: int  # people present the member quorum needs
    households: int | None
    households_present: int | None
    households_needed: int | None


def least_meeting(threshold: Threshold, base: int) -> int:
    """The smallest whole number that meets `threshold` of `base`."""
    return next(n for n in range(base + 2) if threshold.met(n, base))


def quorum_verdict(round_: Round) -> QuorumVerdict | None:
    """The quorum of a group-meeting round as recorded, or None before attendance is."""
    profile = profile_for(round_.election)
    if profile.quorum_members is None or round_.members is None or round_.present is None:
        return None
    members_met = profile.quorum_members.met(round_.present, round_.members)
    households = round_.households
    households_present = round_.households_present
    households_needed = None
    households_met = False
    if profile.quorum_households is not None and households is not None:
        households_needed = least_meeting(profile.quorum_households, households)
        households_met = households_present is not None and profile.quorum_households.met(
            households_present, households
        )
    return QuorumVerdict(
        met=members_met or households_met,
        by_households=households_met and not members_met,
        members=round_.members,
        present=round_.present,
        needed=least_meeting(profile.quorum_members, round_.members),
        households=households,
        households_present=households_present,
        households_needed=households_needed,
    )


def record_attendance(
    session: Session,
    actor: Actor,
    round_: Round,
    *,
    present: int,
    households_present: int | None,
) -> None:
    """Who came to the group meeting, as counted in the hall.

    Those who should come are the group's roll (members and their households), so the
    quorum cannot be made up: nobody present beyond the roll, never fewer present than
    voters who took part, and never more households represented than people present.
    Refused with AttendanceRefused naming the field.
    """
    require_not_announced(round_)
    election = round_.election
    if not needs_attendance(election):
        raise ElectionError(lazy("这次选举不是小组会议选举，不需要填写到会人数。"))
    roll = group_roll(session, election)
    took_part = credential_uses(session, round_)
    if present > roll.members:
        raise AttendanceRefused(
            "present",
            lazy("实到人数不能多于本组选民名单上的 %(members)s 人。"),
            members=roll.members,
        )
    if present < took_part:
        raise AttendanceRefused(
            "present",
            lazy("本轮已经有 %(n)s 人投了票，实到人数不能少于 %(n)s。请按会场清点的人数填写。"),
            n=took_part,
        )
    if households_present is not None:
        if households_present > roll.households:
            raise AttendanceRefused(
                "households_present",
                lazy("实到户代表数不能多于本组选民名单上的 %(households)s 户。"),
                households=roll.households,
            )
        if households_present > present:
            raise AttendanceRefused(
                "households_present", lazy("实到户代表数不能多于实到人数（每户代表也是到会的人）。")
            )
        members_quorum = profile_for(election).quorum_members
        assert members_quorum is not None  # needs_attendance
        if not members_quorum.met(present, roll.members) and households_present < took_part:
            # The quorum then rests on the households, each voting through one
            # representative: a ballot more than the representatives present is made up.
            raise AttendanceRefused(
                "households_present",
                lazy(
                    "按户代表计算法定人数时，每户由一位代表投票：本轮已经有 %(n)s 人投了票，"
                    "实到户代表数不能少于 %(n)s。"
                ),
                n=took_part,
            )
    round_.members, round_.present = roll.members, present
    round_.households = roll.households if households_present is not None else None
    round_.households_present = households_present
    session.flush()
    audit_round(
        session,
        actor,
        "election.attendance",
        round_,
        {
            "members": round_.members,
            "present": present,
            "households": round_.households,
            "households_present": households_present,
            "took_part": took_part,
        },
    )


# --- Closing, announcing ----------------------------------------------------------------


def close_voting(session: Session, actor: Actor, round_: Round, today: date | None = None) -> None:
    """Voting ends: the round goes to counting, and so does the election.

    Refused unless the round is open. Votes in flight finish first: casting holds the
    round row FOR SHARE (ballots.casting), and this changes it.
    """
    if round_.status is not RoundStatus.OPEN:
        raise StageError(lazy("这一轮没有在投票，不能结束投票。"))
    advance(session, actor, round_.election, Stage.COUNTING, today or today_of(round_.election))
    round_.status = RoundStatus.COUNTING
    session.flush()
    # The online ballots stay sealed in the round's box until k tellers open it
    # (open_ballot_box).
    audit_round(
        session,
        actor,
        "election.close_voting",
        round_,
        {"credentials_used": credential_uses(session, round_)},
    )


def box_status(session: Session, round_: Round) -> sealed_box.BoxStatus:
    """The round's sealed box as the round page shows it: holders, readiness, count."""
    return sealed_box.box_status(session, sealed_box.ELECTION_ROUND, round_.id)


def set_box_password(
    session: Session, round_: Round, teller_id: int, password: str, confirm: str
) -> None:
    """A named teller's box password for the round (app.sealed_box.set_box_password)."""
    sealed_box.set_box_password(
        session, sealed_box.ELECTION_ROUND, round_.id, teller_id, password, confirm
    )


def open_ballot_box(
    session: Session, actor: Actor, round_: Round, passwords: Mapping[int, str]
) -> int:
    """At the count, k tellers open the round's sealed box with their box passwords.

    The online ballots and receipts are written in a random order in this transaction
    and the box's key is forgotten (app.sealed_box.open_box). Returns how many ballots
    the box held. A wrong or missing password changes nothing.
    """
    if round_.status is not RoundStatus.COUNTING:
        raise StageError(lazy("请先结束投票，再开箱计票。"))
    opened = sealed_box.open_box(session, sealed_box.ELECTION_ROUND, round_.id, passwords)
    store_opened_ballots(session, round_, opened.choices)
    uses = credential_uses(session, round_)
    audit_round(
        session,
        actor,
        "election.open_box",
        round_,
        {
            "online_ballots": len(opened.choices),
            "credentials_used": uses,
            "opened_by": opened.opened_by,
        },
    )
    return len(opened.choices)


def _check_ready_to_count(session: Session, round_: Round) -> None:
    if round_.status is not RoundStatus.COUNTING:
        raise StageError(lazy("请先结束投票，再公布结果。"))
    if box_status(session, round_).sealed:
        raise ElectionError(
            lazy("网上投的选票还封在票箱里。请 %(k)s 位监计票人先输入开箱密码开箱，再公布结果。"),
            k=box_status(session, round_).threshold,
        )
    if not paper_counting_done(session, round_):
        raise ElectionError(
            lazy("纸质选票还没有计完。请监计票人先结束纸质选票的计票，再公布结果。")
        )
    if needs_attendance(round_.election) and (round_.members is None or round_.present is None):
        raise ElectionError(lazy("这是小组会议选举，请先填写应到人数和实到人数，再公布结果。"))


def announce(
    session: Session, actor: Actor, round_: Round, today: date | None = None
) -> RoundOutcome:
    """Count the round and record the result as announced on the spot."""
    _check_ready_to_count(session, round_)
    data = round_input(session, round_)
    result = count_round(data)
    export = export_bytes(export_document(session, round_, data))
    outcome = RoundOutcome(
        round_id=round_.id,
        kind=ANNOUNCED,
        result_json=result_text(result),
        # Binds the announced result to the exact export anyone can download and recount.
        sha256=hashlib.sha256(export).hexdigest(),
        by_id=actor.user_id,
    )
    session.add(outcome)
    round_.status = RoundStatus.ANNOUNCED if result.valid else RoundStatus.VOID
    round_.status_reason = ",".join(result.void_reasons)
    advance(session, actor, round_.election, Stage.ANNOUNCED, today or today_of(round_.election))
    session.flush()
    audit_round(
        session,
        actor,
        "election.announce",
        round_,
        {
            "valid": result.valid,
            "void_reasons": result.void_reasons,
            "ballots_cast": result.ballots_cast,
            "elected": result.elected,
            "unfilled": result.unfilled,
            "tie": result.tie,
            "export_sha256": outcome.sha256,
        },
    )
    return outcome


# --- Further rounds ----------------------------------------------------------------------


def next_round_plan(
    round_: Round, result: Mapping[str, Any], names: list[str]
) -> tuple[RoundKind, list[str], int]:
    """What the next round is: (kind, candidates, seats), or Conflict when none is due."""
    if round_.status is RoundStatus.VOID:
        # A void round is held again as it was: same kind, candidates and seats.
        return round_.kind, names, round_.seats
    if result.get("tie"):
        return RoundKind.TIE_REVOTE, list(result["tie"]), int(result["unfilled"])
    if int(result.get("unfilled", 0)) > 0:
        return RoundKind.FURTHER, list(result["runoff_candidates"]), int(result["unfilled"])
    raise Conflict(lazy("应选名额都已选出，不需要另行选举。"))


def further_round(
    session: Session,
    actor: Actor,
    election: Election,
    result: RoundResult | Mapping[str, Any],
    today: date | None = None,
    *,
    speech: SpeechEngine | None = None,
) -> Round:
    """A new round of the same election: the 另行选举, a tie re-vote, or a void round again.

    Its candidates are the announced result's runoff candidates (the tied, for a tie),
    its seats the unfilled ones. It waits (PENDING) until voting is opened for it. With
    a `speech` engine its ballot is read aloud (ballots.setup.speech).
    """
    if isinstance(result, RoundResult):
        result = result.to_json()
    last = latest_round(session, election)
    if last is None or last.status not in (RoundStatus.ANNOUNCED, RoundStatus.VOID):
        raise StageError(lazy("只有在上一轮结果公布以后，才能安排新一轮投票。"))
    previous = round_candidates(session, last)
    kind, names, seats = next_round_plan(last, result, [c.name for c in previous])
    if not names:
        raise ElectionError(lazy("没有可以进入新一轮的候选人。"))
    persons = {c.name: c.person_id for c in previous}
    created = new_round(session, election, kind, seats)
    session.add_all(
        Candidate(round_id=created.id, person_id=persons.get(name), name=name, position=n)
        for n, name in enumerate(names, start=1)
    )
    session.flush()
    advance(session, actor, election, Stage.CANDIDATES_PUBLISHED, today or today_of(election))
    audit_round(
        session,
        actor,
        "election.further_round",
        created,
        {"kind": kind.value, "seats": seats, "candidates": names},
    )
    speak_round(session, actor, speech, created)
    return created
