"""What happens in a demo village's year, decided up front (app.demo.planning) and
carried out by app.demo.year: plain data, shared by the planners and the runners."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from meetings.models import MeetingKind, VoteMethod

YEAR_TELLER = "teller2"  # the second teller a count needs; created by run_year
# The third holder of a sealed box (k+1 = 3 must set a box password); created by run_year.
YEAR_TELLER_3 = "teller3"
YEAR_TELLERS = (YEAR_TELLER, YEAR_TELLER_3)


@dataclass(frozen=True)
class VoteAct:
    """One voter's vote: `channel` online, paper or proxy (cast by `proxy_id`)."""

    person_id: int
    channel: str
    choice: str  # a candidate's name; "" = a blank ballot
    proxy_id: int | None = None


@dataclass(frozen=True)
class ElectionPlan:
    title: str
    roll: tuple[int, ...]  # who the roll must hold (adults on election day)
    nominations: tuple[int, ...]  # nominees, one paper nomination form each
    candidates: tuple[int, ...]  # the two most nominated: the ballot
    votes: tuple[VoteAct, ...]
    created_on: date
    roll_published_on: date
    objections_closed_on: date
    candidates_published_on: date
    election_day: date


@dataclass(frozen=True)
class MeetingPlan:
    key: str  # "assembly" (adopts the compact) or "representatives"
    kind: MeetingKind
    title: str
    starts_at: datetime
    notice_on: date
    eligible: tuple[int, ...]
    present: tuple[int, ...]
    motion: str  # "" for the assembly: its motion is the compact's adoption
    method: VoteMethod  # QR: each votes through their slip; hands: two tellers count
    yes: tuple[int, ...]  # among those present; the others vote no
    no: tuple[int, ...]
    signers: tuple[str, ...]  # "host", "recorder": who signs the minutes after the meeting
    posted_on: date | None  # the minutes' public posting, or None
    posted_until: date | None


@dataclass(frozen=True)
class CompactPlan:
    title: str
    group_ids: tuple[int, ...]
    members: dict[int, tuple[int, ...]]  # group -> who speaks in it: its adult active members
    comments: tuple[tuple[int, int, str], ...]  # (group, person, text)
    votes: tuple[tuple[int, int, str], ...]  # (group, person, a compacts VoteChoice value)
    deadline: date
    households: tuple[int, ...]  # every household of the village
    delivered: tuple[int, ...]  # households that receive the adopted version


@dataclass(frozen=True)
class SurveyPlan:
    key: str  # a key of surveys.templates_builtin.BUILTIN
    audience: tuple[int, ...]
    qr: tuple[tuple[int, dict[str, object]], ...]  # (person, answers) through the slip
    paper: tuple[tuple[int, dict[str, object]], ...]  # (person, answers) entered by staff


@dataclass(frozen=True)
class YearPlan:
    village_id: int
    year: int
    today: date  # the real day the year is run (China time)
    passwords: dict[str, str]  # staff username -> password (signatures, certification)
    election: ElectionPlan
    meetings: tuple[MeetingPlan, ...]
    compact: CompactPlan
    surveys: tuple[SurveyPlan, ...] = field(default=())
