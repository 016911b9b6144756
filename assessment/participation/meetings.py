"""Attendance, quorum and minutes of a village's closed meetings in a year.

A meeting belongs to the year of its start (China time). Eligible: the people the
meeting is for, as meetings.services.eligible_people says (mirrored here over one load
of the village's people, so the query count does not grow with the meetings); present:
the eligible who checked in at any time during the meeting — the "到会" of the signed
minutes. Quorum: the meeting's profile (meetings.rules.check_quorum) on those figures.

Minutes are on time when both host and recorder signed them within the profile's
`minutes_sign_days` whole days (China time) of the meeting's end: signed on the
D-th day after counts, the day after that does not. Posted: a public posting of at
least 15 days, both ends counted (minutes.rules.posting_days).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.drill import not_drill
from app.i18n import gettext_
from app.registry.models import GroupMembership, Person
from app.registry.rules import ADULT_AGE, today_in_china
from app.tables import Column, Table
from assessment.participation.types import (
    Evidence,
    ParticipationFigure,
    Ratio,
    local_date,
    pooled,
    year_instants,
    yes_no,
)
from assessment.standards import BY_CODE
from meetings import rules
from meetings.forms import KIND_LABELS
from meetings.models import AttendanceEvent, Meeting, MeetingKind, MeetingStatus
from meetings.presence import profile_for
from minutes.models import Minutes, Posting, Signature, SignerRole
from minutes.rules import MIN_POSTING_DAYS, posting_days


@dataclass(frozen=True)
class Villager:
    id: int
    household_id: int
    household_representative: bool
    villager_representative: bool
    cadre: bool
    association_member: bool
    adult: bool


@dataclass
class MeetingFacts:
    meeting: Meeting
    eligible: set[int] = field(default_factory=set)
    households: int = 0
    present: int = 0
    households_present: int = 0
    signed_at: datetime | None = None
    posting_days: int | None = None
    posted_on: date | None = None

    @property
    def day(self) -> date:
        return local_date(self.meeting.starts_at)

    @property
    def ended_on(self) -> date:
        return local_date(self.meeting.ends_at or self.meeting.starts_at)


def closed_meetings(session: Session, village_id: int, year: int) -> list[Meeting]:
    start, end = year_instants(year)
    return list(
        session.scalars(
            select(Meeting)
            .where(
                Meeting.village_id == village_id,
                not_drill(Meeting),  # a drill (app.drill) is counted nowhere
                Meeting.status == MeetingStatus.CLOSED,
                Meeting.starts_at >= start,
                Meeting.starts_at < end,
            )
            .order_by(Meeting.starts_at, Meeting.id)
        )
    )


def _villagers(session: Session, village_id: int) -> list[Villager]:
    today = today_in_china()
    people = session.scalars(
        select(Person).where(Person.village_id == village_id, Person.active.is_(True))
    )
    return [
        Villager(
            p.id,
            p.household_id,
            p.is_household_representative,
            p.is_villager_representative,
            p.is_cadre,
            p.is_association_member,
            p.age_on(today.year, today.month) >= ADULT_AGE,
        )
        for p in people
    ]


def eligible_ids(meeting: Meeting, people: Iterable[Villager], group: set[int]) -> set[int]:
    """meetings.services.eligible_people, over loaded rows; `group` = the meeting's group's
    members (group meetings)."""
    kind = meeting.kind
    if kind is MeetingKind.HOUSEHOLD_ASSEMBLY:
        chosen = [p for p in people if p.household_representative]
    elif kind is MeetingKind.REPRESENTATIVES_ASSEMBLY:
        chosen = [p for p in people if p.villager_representative or p.cadre]
    elif kind is MeetingKind.GROUP_MEETING:
        chosen = [p for p in people if p.id in group]
    elif kind is MeetingKind.ASSOCIATION_CONGRESS:
        chosen = [p for p in people if p.association_member]
    elif kind is MeetingKind.ASSOCIATION_COUNCIL:
        chosen = [p for p in people if p.association_member and p.cadre]
    else:
        chosen = list(people)
    if kind in (MeetingKind.VILLAGERS_ASSEMBLY, MeetingKind.GROUP_MEETING):
        chosen = [p for p in chosen if p.adult]
    return {p.id for p in chosen}


def _attendance(session: Session, village_id: int, facts: list[MeetingFacts]) -> None:
    ids = [f.meeting.id for f in facts]
    people = _villagers(session, village_id)
    by_id = {p.id: p for p in people}
    group_ids = {f.meeting.group_id for f in facts if f.meeting.group_id is not None}
    members: dict[int, set[int]] = defaultdict(set)
    if group_ids:
        for group_id, person_id in session.execute(
            select(GroupMembership.group_id, GroupMembership.person_id).where(
                GroupMembership.group_id.in_(group_ids)
            )
        ):
            members[group_id].add(person_id)
    arrived: dict[int, dict[int, bool]] = defaultdict(dict)  # meeting -> person -> for hh
    for meeting_id, person_id, for_household in session.execute(
        select(AttendanceEvent.meeting_id, AttendanceEvent.person_id, AttendanceEvent.for_household)
        .where(AttendanceEvent.meeting_id.in_(ids), AttendanceEvent.arrived.is_(True))
        .distinct()
    ):
        seen = arrived[meeting_id]
        seen[person_id] = seen.get(person_id, False) or bool(for_household)
    for fact in facts:
        group = members.get(fact.meeting.group_id or -1, set())
        fact.eligible = eligible_ids(fact.meeting, people, group)
        fact.households = len({by_id[i].household_id for i in fact.eligible})
        came = {i: hh for i, hh in arrived[fact.meeting.id].items() if i in fact.eligible}
        fact.present = len(came)
        representing = {
            by_id[i].household_id
            for i, hh in came.items()
            if hh or by_id[i].household_representative
        }
        fact.households_present = min(len(representing), fact.households)


def _minutes(session: Session, facts: list[MeetingFacts]) -> None:
    by_meeting = {f.meeting.id: f for f in facts}
    minutes = {
        minutes_id: meeting_id
        for minutes_id, meeting_id in session.execute(
            select(Minutes.id, Minutes.meeting_id).where(Minutes.meeting_id.in_(list(by_meeting)))
        )
    }
    if not minutes:
        return
    signed: dict[int, dict[SignerRole, datetime]] = defaultdict(dict)
    for minutes_id, role, at in session.execute(
        select(Signature.minutes_id, Signature.role, Signature.at).where(
            Signature.minutes_id.in_(minutes), Signature.addendum_id.is_(None)
        )
    ):
        signed[minutes_id][SignerRole(role)] = at
    for minutes_id, roles in signed.items():
        if set(roles) == set(SignerRole):
            by_meeting[minutes[minutes_id]].signed_at = max(roles.values())
    for minutes_id, posted_on, until in session.execute(
        select(Posting.minutes_id, Posting.posted_on, Posting.until).where(
            Posting.minutes_id.in_(minutes)
        )
    ):
        fact = by_meeting[minutes[minutes_id]]
        days = posting_days(posted_on, until)
        if fact.posting_days is None or days > fact.posting_days:
            fact.posting_days, fact.posted_on = days, posted_on


def meeting_facts(session: Session, village_id: int, year: int) -> list[MeetingFacts]:
    facts = [MeetingFacts(m) for m in closed_meetings(session, village_id, year)]
    if facts:
        _attendance(session, village_id, facts)
        _minutes(session, facts)
    return facts


def _meeting_evidence(facts: list[MeetingFacts], route: str) -> list[Evidence]:
    """One link per meeting: its page (attendance) or its minutes."""
    return [
        Evidence(
            gettext_("%(day)s %(title)s 的会议记录", day=f.day.isoformat(), title=f.meeting.title)
            if route == "minutes:minutes"
            else gettext_(
                "%(day)s %(title)s 的到会情况", day=f.day.isoformat(), title=f.meeting.title
            ),
            route,
            {"meeting_id": f.meeting.id},
        )
        for f in facts
    ]


def attendance(facts: list[MeetingFacts]) -> ParticipationFigure:
    rows = []
    ratios = []
    for f in facts:
        profile = profile_for(f.meeting)
        check = rules.check_quorum(
            profile, len(f.eligible), f.present, f.households, f.households_present
        )
        ratio = Ratio(f.present, len(f.eligible))
        ratios.append(ratio)
        rows.append(
            {
                "meeting": f.meeting.title,
                "kind": str(KIND_LABELS[f.meeting.kind]),
                "day": f.day,
                "eligible": ratio.denominator,
                "present": ratio.numerator,
                "share": ratio.value,
                "rule": check.rule,
                "quorum": yes_no(check.holds),
            }
        )
    table = Table(
        gettext_("各次会议的到会情况"),
        [
            Column("meeting", gettext_("会议"), "text"),
            Column("kind", gettext_("会议类型"), "text"),
            Column("day", gettext_("日期"), "date"),
            Column("eligible", gettext_("应到人数"), "int"),
            Column("present", gettext_("到会人数"), "int"),
            Column("share", gettext_("到会率"), "percent"),
            Column("rule", gettext_("法定人数规则"), "text"),
            Column("quorum", gettext_("达到法定人数"), "text"),
        ],
        rows,
    )
    return ParticipationFigure(
        "attendance",
        str(BY_CODE["attendance"].title),
        gettext_(
            "本年度（按开会日期）已结束的每次会议：会议期间签到过的应到人员 ÷ 应到人数；"
            "各次会议相加得全年数。是否达到法定人数按该会议的规则判断。"
        ),
        pooled(ratios),
        [table],
        _meeting_evidence(facts, "meetings:meeting"),
    )


def minutes_on_time(facts: list[MeetingFacts], today: date) -> ParticipationFigure:
    """Minutes signed within the window: a meeting whose window is still open and whose
    minutes are not yet signed is pending — neither on time nor late — until it ends."""
    rows = []
    on_time = decided = 0
    for f in facts:
        allowed = profile_for(f.meeting).minutes_sign_days
        signed_on = local_date(f.signed_at) if f.signed_at else None
        ok = signed_on is not None and (signed_on - f.ended_on).days <= allowed
        pending = signed_on is None and (today - f.ended_on).days <= allowed
        on_time += ok
        decided += not pending
        rows.append(
            {
                "meeting": f.meeting.title,
                "ended": f.ended_on,
                "days": allowed,
                "signed": signed_on,
                "on_time": gettext_("签名期内，还没到期") if pending else yes_no(ok),
            }
        )
    table = Table(
        gettext_("各次会议记录的签名"),
        [
            Column("meeting", gettext_("会议"), "text"),
            Column("ended", gettext_("散会日期"), "date"),
            Column("days", gettext_("规定天数"), "int"),
            Column("signed", gettext_("主持人和记录人都签名的日期"), "date"),
            Column("on_time", gettext_("按时签名"), "text"),
        ],
        rows,
        gettext_(
            "签名日期为空：会议记录还没有由两人都签名。散会后还在规定天数内、还没签名的，"
            "等期满再算，不计入分母。"
        ),
    )
    return ParticipationFigure(
        "minutes_on_time",
        str(BY_CODE["minutes_on_time"].title),
        gettext_(
            "本年度已结束的会议中，主持人和记录人都在散会后规定天数内（按日历日，"
            "正好第 N 天也算按时；天数见会议规则，默认 7 天）签名的会议记录 ÷ 已结束的会议"
            "（签名期还没过、也还没签名的会议不算在内）。"
        ),
        Ratio(on_time, decided),
        [table],
        _meeting_evidence(facts, "minutes:minutes"),
    )


def minutes_posted(facts: list[MeetingFacts]) -> ParticipationFigure:
    signed = [f for f in facts if f.signed_at is not None]
    rows = []
    posted = 0
    for f in signed:
        ok = f.posting_days is not None and f.posting_days >= MIN_POSTING_DAYS
        posted += ok
        rows.append(
            {
                "meeting": f.meeting.title,
                "signed": local_date(f.signed_at) if f.signed_at else None,
                "posted": f.posted_on,
                "days": f.posting_days,
                "ok": yes_no(ok),
            }
        )
    table = Table(
        gettext_("已签名会议记录的公示"),
        [
            Column("meeting", gettext_("会议"), "text"),
            Column("signed", gettext_("签名日期"), "date"),
            Column("posted", gettext_("公示开始"), "date"),
            Column("days", gettext_("公示天数"), "int"),
            Column("ok", gettext_("公示满 %(days)s 天", days=MIN_POSTING_DAYS), "text"),
        ],
        rows,
        gettext_("公示天数为无数据：还没有在村务公开栏公示。"),
    )
    return ParticipationFigure(
        "minutes_posted",
        str(BY_CODE["minutes_posted"].title),
        gettext_(
            "本年度已结束的会议中，已由主持人和记录人签名的会议记录里，在村务公开栏公示"
            "满 15 天（首尾两天都算）的 ÷ 已签名的会议记录。"
        ),
        Ratio(posted, len(signed)),
        [table],
        _meeting_evidence(signed, "minutes:minutes"),
    )
