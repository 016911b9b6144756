"""Election set-up rules as plain functions: no database, so each is easy to test.

Services (ballots.setup) load what a rule needs and call it. Rules return the Chinese
message to show (already translated) or None when all is well.

Day counting follows ballots.setup.transitions.blockers: the roll published on day D may be
objected to on D and the following `objection_days - 1` days; the objection period is
over (and may be closed) from D + objection_days.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from app.forms import whole_number
from app.i18n import LazyText, gettext_, join_list, lazy
from app.registry.rules import ADULT_AGE
from ballots.models import Electorate, Office, Stage
from ballots.rules import PROFILES, RuleProfile
from ballots.setup.transitions import ORDER, TransitionFacts

STAGE_LABELS: dict[Stage, LazyText] = {
    Stage.DRAFT: lazy("准备"),
    Stage.ROLL_PUBLISHED: lazy("选民名单公示"),
    Stage.OBJECTIONS_CLOSED: lazy("异议期结束"),
    Stage.NOMINATIONS: lazy("提名"),
    Stage.CANDIDATES_PUBLISHED: lazy("候选人公布"),
    Stage.VOTING_OPEN: lazy("投票"),
    Stage.COUNTING: lazy("计票"),
    Stage.ANNOUNCED: lazy("当场公布结果"),
    Stage.CERTIFIED: lazy("结果确认"),
}

# The button that moves an election into each stage.
STAGE_ACTIONS: dict[Stage, LazyText] = {
    Stage.ROLL_PUBLISHED: lazy("公示选民名单"),
    Stage.OBJECTIONS_CLOSED: lazy("结束异议期"),
    Stage.NOMINATIONS: lazy("开始提名"),
    Stage.CANDIDATES_PUBLISHED: lazy("公布候选人名单"),
    Stage.VOTING_OPEN: lazy("开始投票"),
    Stage.COUNTING: lazy("结束投票，开始计票"),
    Stage.ANNOUNCED: lazy("公布结果"),
    Stage.CERTIFIED: lazy("确认结果"),
}

OFFICE_LABELS: dict[Office, LazyText] = {
    Office.DIRECTOR: lazy("计生主任"),
    Office.ASSOCIATION_HEAD: lazy("计生协会会长"),
    Office.GROUP_LEADER: lazy("自管小组长"),
    Office.OTHER: lazy("其他职务"),
}

ELECTORATE_LABELS: dict[Electorate, LazyText] = {
    Electorate.VILLAGE: lazy("全村选民"),
    Electorate.GROUP: lazy("一个小组的成员"),
    Electorate.ASSOCIATION: lazy("协会会员"),
}

PROFILE_LABELS: dict[str, LazyText] = {
    "village-election": lazy("村级选举规则（选民过半投票有效，得票过半当选）"),
    "group-meeting": lazy("小组会议规则（到会三分之二以上，到会过半当选）"),
}

# Parameters an organizer may override on the election form (whole days or counts).
OVERRIDABLE_NUMBERS: dict[str, LazyText] = {
    "roll_publication_days": lazy("选民名单至少公示天数"),
    "objection_days": lazy("提出异议的天数"),
    "objection_decision_days": lazy("答复异议的天数"),
    "candidate_list_days": lazy("候选人名单至少公布天数"),
    "max_entrustments_per_proxy": lazy("每人最多接受委托数"),
}


def default_profile_name(office: Office) -> str:
    """Group leaders are chosen by the group meeting (Art 32); other offices village-wide."""
    return "group-meeting" if office is Office.GROUP_LEADER else "village-election"


def canonical_overrides(overrides: Mapping[str, Any]) -> str:
    return json.dumps(dict(overrides), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@lru_cache(maxsize=256)
def resolve_profile(profile_name: str, overrides_json: str) -> RuleProfile:
    # Cached: profiles are frozen, and every vote asks for its election's.
    return PROFILES[profile_name].with_overrides(json.loads(overrides_json or "{}"))


# --- the roll ---------------------------------------------------------------------------


def is_adult_on(birth_year: int, birth_month: int, day: date) -> bool:
    """18 or older on `day`. The birth day is not kept: a person turns 18 at the start
    of their birth month (the same reading as Person.age_on)."""
    age = day.year - birth_year - (1 if day.month < birth_month else 0)
    return age >= ADULT_AGE


def in_electorate(
    electorate: Electorate,
    election_group_id: int | None,
    person_group_ids: Collection[int],
    is_association_member: bool,
) -> bool:
    if electorate is Electorate.GROUP:
        return election_group_id is not None and election_group_id in person_group_ids
    if electorate is Electorate.ASSOCIATION:
        return is_association_member
    return True


def roll_change_problem(stage: Stage) -> str | None:
    """The roll is built in draft, corrected only by objection decisions while it is
    on public display, settled once objections close and frozen once voting opens."""
    if stage in (Stage.DRAFT, Stage.ROLL_PUBLISHED):
        return None
    if ORDER.index(stage) >= ORDER.index(Stage.VOTING_OPEN):
        return gettext_("投票已经开始，选民名单已冻结，不能再修改。")
    return gettext_("异议期已经结束，选民名单已经确定，不能再修改。")


def rebuild_problem(stage: Stage) -> str | None:
    if stage is Stage.DRAFT:
        return None
    return roll_change_problem(stage) or gettext_(
        "选民名单已经公示，不能重新生成。名单有错漏的，请登记异议并作出决定。"
    )


# --- objections -------------------------------------------------------------------------


def objection_last_day(published_on: date, profile: RuleProfile) -> date:
    return published_on + timedelta(days=profile.objection_days - 1)


def objection_decision_due(filed_on: date, profile: RuleProfile) -> date:
    return filed_on + timedelta(days=profile.objection_decision_days)


def objection_filing_problem(
    stage: Stage, published_on: date | None, today: date, profile: RuleProfile
) -> str | None:
    if stage is Stage.DRAFT or published_on is None:
        return gettext_("选民名单还没有公示，公示后才能登记异议。")
    if stage is not Stage.ROLL_PUBLISHED:
        return gettext_("异议期已经结束，不能再登记异议。")
    last = objection_last_day(published_on, profile)
    if today > last:
        return gettext_("提出异议的期限是 %(last)s，已经过了，不能再登记。", last=last.isoformat())
    return None


# --- stage transitions ------------------------------------------------------------------


def next_stage(stage: Stage) -> Stage | None:
    index = ORDER.index(stage)
    return ORDER[index + 1] if index + 1 < len(ORDER) else None


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def blocker_message(
    reason: str, current: Stage, target: Stage, facts: TransitionFacts, profile: RuleProfile
) -> str:
    """The Chinese sentence for one reason from ballots.setup.transitions.blockers (or ours)."""
    if reason == "transition_not_allowed":
        following = next_stage(current)
        return gettext_(
            "选举现在处于“%(current)s”阶段，不能进入“%(target)s”。下一步是：%(next)s。",
            current=STAGE_LABELS[current],
            target=STAGE_LABELS[target],
            next=STAGE_ACTIONS[following] if following else gettext_("没有了，选举已经结束"),
        )
    if reason == "roll_too_late":
        return gettext_(
            "选民名单须在选举日（%(day)s）前至少 %(days)s 天公示，最晚 %(latest)s，"
            "现在已经来不及了。请把选举日改晚一些后再公示。",
            day=_day(facts.election_day),
            days=profile.roll_publication_days,
            latest=_day(facts.election_day - timedelta(days=profile.roll_publication_days)),
        )
    if reason == "objection_period_running":
        published = facts.roll_published_on or facts.today
        return gettext_(
            "异议期还没有结束：异议可以提到 %(last)s，%(start)s 起才能结束异议期。",
            last=_day(objection_last_day(published, profile)),
            start=_day(published + timedelta(days=profile.objection_days)),
        )
    if reason == "objections_undecided":
        return gettext_(
            "还有 %(n)s 件异议没有答复。请逐件作出决定并写明理由，再结束异议期。",
            n=facts.open_objections,
        )
    if reason == "not_enough_candidates":
        return gettext_(
            "候选人必须多于应选人数（差额选举）：应选 %(seats)s 人，现在只有 %(n)s 名候选人。",
            seats=facts.seats,
            n=facts.candidates,
        )
    if reason == "roll_not_published_long_enough":
        if facts.roll_published_on is None:
            return gettext_("选民名单还没有公示，不能开始投票。")
        return gettext_(
            "选民名单 %(published)s 公示，须满 %(days)s 天，%(start)s 起才能开始投票。",
            published=_day(facts.roll_published_on),
            days=profile.roll_publication_days,
            start=_day(facts.roll_published_on + timedelta(days=profile.roll_publication_days)),
        )
    if reason == "candidates_not_published_long_enough":
        if facts.candidates_published_on is None:
            return gettext_("候选人名单还没有公布，不能开始投票。")
        return gettext_(
            "候选人名单 %(published)s 公布，须满 %(days)s 天，%(start)s 起才能开始投票。",
            published=_day(facts.candidates_published_on),
            days=profile.candidate_list_days,
            start=_day(facts.candidates_published_on + timedelta(days=profile.candidate_list_days)),
        )
    text = _OWN_REASONS.get(reason, _OWN_REASONS["unknown"])
    return str(text) % {"day": _day(facts.election_day)}


# Reasons this module adds to ballots.setup.transitions.blockers.
_OWN_REASONS: dict[str, LazyText] = {
    "roll_empty": lazy(
        "选民名单是空的，不能公示。请先生成选民名单，并检查村民的出生年月和所属小组。"
    ),
    "before_election_day": lazy("还没到选举日（%(day)s），不能开始投票。"),
    "no_pending_round": lazy("还没有待投票的候选人名单，请先公布候选人。"),
    "candidates_via_publish": lazy("请在“候选人”页面按提名票数确定候选人，公布候选人名单。"),
    "unknown": lazy("现在还不能进入这个阶段。"),
}


def extra_blockers(
    target: Stage, facts: TransitionFacts, roll_size: int, has_pending_round: bool
) -> list[str]:
    """Reasons of our own, beside ballots.setup.transitions.blockers."""
    reasons: list[str] = []
    if target is Stage.ROLL_PUBLISHED and roll_size == 0:
        reasons.append("roll_empty")
    if target is Stage.CANDIDATES_PUBLISHED and not has_pending_round:
        reasons.append("candidates_via_publish")
    if target is Stage.VOTING_OPEN:
        if not has_pending_round:
            reasons.append("no_pending_round")
        elif facts.candidates <= facts.seats:
            reasons.append("not_enough_candidates")
        if facts.today < facts.election_day:
            reasons.append("before_election_day")
    return reasons


# --- nominations and candidates ----------------------------------------------------------


class NomineeTally(NamedTuple):
    """One nominee and how many nominations they received."""

    nominee_key: str
    name: str
    nominations: int


def person_key(person_id: int) -> str:
    return f"person:{person_id}"


def name_key(name: str) -> str:
    return f"name:{name}"


def person_id_of(nominee_key: str) -> int | None:
    kind, _, value = nominee_key.partition(":")
    return whole_number(value) if kind == "person" else None


def ranked(tally: Sequence[NomineeTally]) -> list[NomineeTally]:
    """Most nominations first; equal counts by name, so the order is stable."""
    return sorted(tally, key=lambda t: (-t.nominations, t.name, t.nominee_key))


def candidate_count_problem(count: int, seats: int, nominees: int) -> str | None:
    """差额 (Art 18): more candidates than seats, and no more than were nominated."""
    if count <= seats:
        return gettext_(
            "候选人必须多于应选人数（差额选举）：应选 %(seats)s 人，候选人至少要 %(least)s 人。",
            seats=seats,
            least=seats + 1,
        )
    if count > nominees:
        return gettext_("只有 %(n)s 人被提名，候选人人数不能超过被提名的人数。", n=nominees)
    return None


@dataclass(frozen=True)
class Selection:
    """Candidates picked by nomination count. When several nominees are tied across the
    cut, `tied` lists them and `places` says how many of them the organizer must pick."""

    chosen: list[NomineeTally]
    tied: list[NomineeTally]
    places: int

    @property
    def decided(self) -> bool:
        return not self.tied


def select_candidates(
    tally: Sequence[NomineeTally], count: int, picked_at_cut: Collection[str] = ()
) -> Selection:
    """The top `count` nominees. Ties at the cut are never broken silently: the organizer
    picks among the tied (`picked_at_cut`, nominee keys), exactly as many as remain."""
    order = ranked(tally)
    if count <= 0:
        return Selection([], [], 0)
    if count >= len(order):
        return Selection(order, [], 0)
    cut = order[count - 1].nominations
    above = [t for t in order if t.nominations > cut]
    at_cut = [t for t in order if t.nominations == cut]
    places = count - len(above)
    if len(at_cut) == places:
        return Selection(above + at_cut, [], 0)
    picked = [t for t in at_cut if t.nominee_key in picked_at_cut]
    if len(picked) == places and len(set(picked_at_cut)) == places:
        return Selection(above + picked, [], 0)
    return Selection(above, at_cut, places)


def tie_message(selection: Selection, count: int, seats: int) -> str:
    names = join_list(t.name for t in selection.tied)
    alternatives = [
        n for n in (len(selection.chosen), len(selection.chosen) + len(selection.tied)) if n > seats
    ]
    message = gettext_(
        "%(names)s 的提名数相同（%(votes)s 票），要列为候选人的还剩 %(places)s 个名额。"
        "请在他们中勾选 %(places)s 人，",
        names=names,
        votes=selection.tied[0].nominations,
        places=selection.places,
    )
    if alternatives:
        message += gettext_(
            "或把候选人人数改为 %(options)s 人。",
            options=f" {gettext_('或')} ".join(str(n) for n in alternatives),
        )
    else:
        message += gettext_("再重新提交。")
    return message


def replacement_options(
    tally: Sequence[NomineeTally], taken_keys: Collection[str]
) -> list[NomineeTally]:
    """Who replaces a withdrawn candidate: the nominees with the most nominations not yet
    on the list; more than one means a tie the organizer decides."""
    rest = [t for t in ranked(tally) if t.nominee_key not in taken_keys]
    if not rest:
        return []
    return [t for t in rest if t.nominations == rest[0].nominations]


def ballot_names(entries: Sequence[tuple[str, str, str]]) -> dict[str, str]:
    """Names as printed on the ballot, by nominee key. Two people of the same name are
    told apart by their group (or another hint): ballots are counted by name.

    `entries` are (nominee_key, name, hint)."""
    counts: dict[str, int] = {}
    for _key, name, _hint in entries:
        counts[name] = counts.get(name, 0) + 1
    names: dict[str, str] = {}
    used: set[str] = set()
    for key, name, hint in entries:
        shown = f"{name}（{hint}）" if counts[name] > 1 and hint else name
        # Same name and same hint: number them, the ballot must still tell them apart.
        number = 2
        base = shown
        while shown in used:
            shown = f"{base}（{number}）"
            number += 1
        used.add(shown)
        names[key] = shown
    return names
