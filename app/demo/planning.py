"""A year in the life of a demo village: the plan, and carrying it out.

`make_plan` decides, from a seed and the village's people, everything that happens in
the year: the election (roll, nominations, who votes and how), two meetings (who is
there, how they vote, when the minutes are signed and posted), a compact round (which
groups, who comments and votes, the answers, adoption and delivery) and the surveys
(who answers what). `run_year` carries the plan out through each package's services,
as the staff and villagers would through the pages.

Calendar: the election is dated inside the plan's year with the `today` each ballots
service takes. Other services insist on the real clock, so those events happen now:
a meeting must start in the future (`meetings.services`), a compact round's deadline
cannot be past and its adoption and publication are dated today (`compacts`), and
check-ins, signatures and comments carry the current time. The plan's year is
therefore the current year (China time) and the meetings start later today.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.db import utcnow
from app.demo.plan import (
    CompactPlan,
    ElectionPlan,
    MeetingPlan,
    VoteAct,
    YearPlan,
)
from app.demo.surveys import plan_surveys
from app.registry.models import Group, Household, Person, Village
from app.registry.rules import ADULT_AGE
from app.templating import CHINA_TIME
from meetings.models import MeetingKind, VoteMethod
from meetings.rules import PROFILES


def _adult(person: Person, day: date) -> bool:
    return person.age_on(day.year, day.month) >= ADULT_AGE


def _pick(rng: random.Random, people: list[int], share: float) -> list[int]:
    return sorted(rng.sample(people, round(len(people) * share)))


def _election(rng: random.Random, people: list[Person], year: int) -> ElectionPlan:
    day = date(year, 3, 28)
    roll = [p.id for p in people if _adult(p, day)]
    names: dict[int, str] = {p.id: p.name for p in people}
    adults = [p for p in people if p.id in set(roll) and p.birth_year < day.year - 30]
    first = rng.choice(adults)
    second = rng.choice([p for p in adults if p.name != first.name])
    third = rng.choice([p for p in adults if p.name not in (first.name, second.name)])
    nominations = (first.id, first.id, first.id, second.id, second.id, third.id)
    candidates = (first.id, second.id)
    others = [pid for pid in roll if pid not in candidates]
    rng.shuffle(others)
    paper, proxies, rest = others[:6], others[6:10], others[10:]
    online = [*candidates, *rest[: round(len(rest) * 0.78)]]
    choices = [names[first.id]] * 6 + [names[second.id]] * 4 + [""]
    votes = [VoteAct(pid, "online", rng.choice(choices)) for pid in sorted(online)]
    votes += [VoteAct(pid, "paper", rng.choice(choices)) for pid in paper]
    # Two villagers away from home entrust a neighbour who votes online himself.
    for voter, proxy in ((proxies[0], proxies[1]), (proxies[2], proxies[3])):
        votes.append(VoteAct(proxy, "online", rng.choice(choices)))
        votes.append(VoteAct(voter, "proxy", rng.choice(choices), proxy_id=proxy))
    return ElectionPlan(
        title=f"{year}年计生主任选举",
        roll=tuple(roll),
        nominations=nominations,
        candidates=candidates,
        votes=tuple(votes),
        created_on=date(year, 3, 2),
        roll_published_on=date(year, 3, 2),
        objections_closed_on=date(year, 3, 7),
        candidates_published_on=date(year, 3, 10),
        election_day=day,
    )


def _meeting_start(now: datetime, hours: int) -> datetime:
    """Later today if the year allows (a meeting must start in the future)."""
    local = now.astimezone(CHINA_TIME)
    start = local + timedelta(hours=hours)
    if start.year != local.year:
        start = local + timedelta(minutes=hours)
    return start.replace(second=0, microsecond=0)


def _meetings(
    rng: random.Random, people: list[Person], today: date, now: datetime
) -> tuple[MeetingPlan, ...]:
    plans = []
    specs = (
        ("representatives", MeetingKind.REPRESENTATIVES_ASSEMBLY, "村民代表会议", 0.75, 1),
        ("assembly", MeetingKind.VILLAGERS_ASSEMBLY, "年度村民会议", 0.6, 2),
    )
    for key, kind, title, share, hours in specs:
        method = VoteMethod.QR if kind is MeetingKind.REPRESENTATIVES_ASSEMBLY else VoteMethod.HANDS
        if kind is MeetingKind.REPRESENTATIVES_ASSEMBLY:
            eligible = [p.id for p in people if p.is_villager_representative or p.is_cadre]
            motion = "同意本年度村务公开和财务收支报告"
        else:
            eligible = [p.id for p in people if _adult(p, today)]
            motion = ""
        present = _pick(rng, eligible, share)
        no = set(rng.sample(present, len(present) // 8))
        starts_at = _meeting_start(now, hours)
        notice_days = PROFILES[kind.value.replace("_", "-")].notice_days
        signed_and_posted = key == "assembly"
        plans.append(
            MeetingPlan(
                key=key,
                kind=kind,
                title=f"{today.year}年{title}",
                starts_at=starts_at,
                notice_on=starts_at.date() - timedelta(days=notice_days),
                eligible=tuple(sorted(eligible)),
                present=tuple(present),
                motion=motion,
                method=method,
                yes=tuple(p for p in present if p not in no),
                no=tuple(sorted(no)),
                signers=("host", "recorder"),
                posted_on=today if signed_and_posted else None,
                posted_until=today + timedelta(days=14) if signed_and_posted else None,
            )
        )
    return tuple(plans)


def _compact(
    rng: random.Random,
    people: list[Person],
    groups: list[Group],
    households: list[Household],
    today: date,
    title: str,
) -> CompactPlan:
    by_name = {g.name: g for g in groups}
    # Three groups with no member in common, of two kinds.
    chosen = [by_name["第一村民小组"], by_name["二组育龄妇女小组"], by_name["第三村民小组"]]
    members: dict[int, tuple[int, ...]] = {}
    comments: list[tuple[int, int, str]] = []
    votes: list[tuple[int, int, str]] = []
    texts = ["建议写明红白喜事从简的具体标准。", "赞成，互助一条很好。", "希望增加环境卫生的内容。"]
    for group in chosen:
        ids = sorted(p.id for p in people if any(m.group_id == group.id for m in p.memberships))
        adults = [p.id for p in people if p.id in set(ids) and _adult(p, today)]
        members[group.id] = tuple(adults)
        for pid in _pick(rng, adults, 0.2):
            comments.append((group.id, pid, rng.choice(texts)))
        for pid in _pick(rng, adults, 0.45):
            votes.append(
                (group.id, pid, rng.choice(["approve"] * 4 + ["approve_with_changes", "reject"]))
            )
    all_households = sorted(h.id for h in households)
    return CompactPlan(
        title=title,
        group_ids=tuple(g.id for g in chosen),
        members=members,
        comments=tuple(comments),
        votes=tuple(votes),
        deadline=today,
        households=tuple(all_households),
        delivered=tuple(_pick(rng, all_households, 0.8)),
    )


def make_plan(
    session: Session,
    village: Village,
    year: int,
    *,
    seed: int,
    passwords: dict[str, str],
    now: datetime | None = None,
) -> YearPlan:
    """The year's plan for `village`: the same seed and people give the same plan."""
    now = now or utcnow()
    today = now.astimezone(CHINA_TIME).date()
    if year != today.year:
        # Meetings, the compact and the surveys happen today (see the module docstring).
        raise ValueError(f"a demo year is the current year ({today.year}), not {year}")
    rng = random.Random(seed)
    people = list(
        session.scalars(
            select(Person)
            .where(Person.village_id == village.id, Person.active.is_(True))
            .options(selectinload(Person.memberships))
            .order_by(Person.id)
        )
    )
    groups = list(session.scalars(select(Group).where(Group.village_id == village.id)))
    households = list(session.scalars(select(Household).where(Household.village_id == village.id)))
    plan = YearPlan(
        village_id=village.id,
        year=year,
        today=today,
        passwords=dict(passwords),
        election=_election(rng, people, year),
        meetings=_meetings(rng, people, today, now),
        compact=_compact(rng, people, groups, households, today, f"{village.name}村规民约"),
    )
    return replace(plan, surveys=plan_surveys(rng, people, plan))
