"""Meeting rules: quorum, decision, recall and the Art 29 composition warnings.

Pure functions, integer arithmetic only (see ../shared/RULES.md "Meeting decisions").
Every threshold is a named parameter of a `MeetingProfile`; a meeting may override
any of them (Meeting.profile_overrides). The same `count_motion` serves the app (M3
closes a motion with it) and `cunyi recount` (kind "motion").

Choices the law leaves open, documented here:
- household assembly (户代表会议): it stands for the villagers' assembly held through
  the households' representatives, so its quorum is the assembly's household test
  (at least two thirds of the households' representatives) and its notice 10 days;
- association congress and council: more than half of their members (the usual rule
  of association charters), 5 days' notice;
- representatives' assembly and group meeting: 5 days' notice (the law sets none).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from app.i18n import _
from app.thresholds import (
    AT_LEAST_TWO_THIRDS,
    MORE_THAN_HALF,
    Threshold,
    check_threshold,
    in_words,
)

AT_LEAST_FOUR_FIFTHS = Threshold(4, 5, strict=False)
AT_LEAST_ONE_THIRD = Threshold(1, 3, strict=False)


@dataclass(frozen=True)
class MeetingProfile:
    """The parameters of one body. `recall` measures turnout, not presence."""

    name: str
    article: str
    # Quorum: present/members, OR households_present/households. None = no such test.
    quorum_members: Threshold | None
    quorum_households: Threshold | None
    # Decision: yes votes against everyone present (abstaining and silent count against).
    decision: Threshold
    notice_days: int
    # Recall (Art 19): valid when this share of registered voters votes.
    recall: bool = False
    # Minutes are due signed by host and recorder within this many days of the end.
    minutes_sign_days: int = 7

    def with_overrides(self, overrides: dict[str, Any]) -> MeetingProfile:
        """This profile with some parameters changed; ValueError names a bad one."""
        defaults = {f.name: getattr(self, f.name) for f in fields(self)}
        checked: dict[str, Any] = {}
        for key, value in overrides.items():
            if key not in defaults or key in ("name", "article", "recall"):
                raise ValueError(f"unknown rule parameter: {key}")
            if key in ("notice_days", "minutes_sign_days"):
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError(f"{key} must be a whole number >= 0")
                checked[key] = value
            elif key == "decision":
                checked[key] = check_threshold(key, value)
            else:
                checked[key] = None if value is None else check_threshold(key, value)
        return replace(self, **checked)

    def parameters(self) -> dict[str, Any]:
        return asdict(self)


VILLAGERS_ASSEMBLY = MeetingProfile(
    "villagers-assembly", "OL2025 Art 26", MORE_THAN_HALF, AT_LEAST_TWO_THIRDS, MORE_THAN_HALF, 10
)
HOUSEHOLD_ASSEMBLY = MeetingProfile(
    "household-assembly", "OL2025 Art 26", AT_LEAST_TWO_THIRDS, None, MORE_THAN_HALF, 10
)
REPRESENTATIVES_ASSEMBLY = MeetingProfile(
    "representatives-assembly", "OL2025 Art 30", AT_LEAST_TWO_THIRDS, None, MORE_THAN_HALF, 5
)
GROUP_MEETING = MeetingProfile(
    "group-meeting",
    "OL2025 Art 32",
    AT_LEAST_TWO_THIRDS,
    AT_LEAST_TWO_THIRDS,
    MORE_THAN_HALF,
    5,
)
ASSOCIATION_CONGRESS = MeetingProfile(
    "association-congress", "association charter", MORE_THAN_HALF, None, MORE_THAN_HALF, 5
)
ASSOCIATION_COUNCIL = MeetingProfile(
    "association-council", "association charter", MORE_THAN_HALF, None, MORE_THAN_HALF, 5
)
RECALL = MeetingProfile(
    "recall", "OL2025 Art 19", MORE_THAN_HALF, None, MORE_THAN_HALF, 0, recall=True
)

PROFILES: dict[str, MeetingProfile] = {
    p.name: p
    for p in (
        VILLAGERS_ASSEMBLY,
        HOUSEHOLD_ASSEMBLY,
        REPRESENTATIVES_ASSEMBLY,
        GROUP_MEETING,
        ASSOCIATION_CONGRESS,
        ASSOCIATION_COUNCIL,
        RECALL,
    )
}
# The bodies `cunyi recount` accepts (the contract in README "cunyi recount").
RECOUNT_BODIES = ("villagers-assembly", "representatives-assembly", "group-meeting", "recall")


@dataclass(frozen=True)
class QuorumCheck:
    holds: bool
    rule: str  # the rule applied, in words
    reason: str  # why it holds or not, with the figures


def quorum_rule(profile: MeetingProfile) -> str:
    parts = []
    if profile.quorum_members is not None:
        parts.append(_("到会人数%(t)s", t=in_words(profile.quorum_members, _("应到人数"))))
    if profile.quorum_households is not None:
        parts.append(_("到会户代表%(t)s", t=in_words(profile.quorum_households, _("总户数"))))
    if not parts:
        return _("不需要法定人数")
    return _("，或").join(parts)


def check_quorum(
    profile: MeetingProfile,
    members: int,
    present: int,
    households: int | None = None,
    households_present: int | None = None,
) -> QuorumCheck:
    """Quorum: the members test OR (when both figures are given) the households test."""
    rule = quorum_rule(profile)
    tests = []
    if profile.quorum_members is not None:
        tests.append(profile.quorum_members.met(present, members) and members > 0)
    if (
        profile.quorum_households is not None
        and households is not None
        and households_present is not None
    ):
        tests.append(
            profile.quorum_households.met(households_present, households) and households > 0
        )
    holds = any(tests) if tests else True
    figures = _("应到 %(members)s 人，实到 %(present)s 人", members=members, present=present)
    if households is not None and households_present is not None:
        figures += _(
            "；共 %(households)s 户，到会户代表 %(hp)s 户",
            households=households,
            hp=households_present,
        )
    verdict = _("达到法定人数") if holds else _("未达到法定人数")
    return QuorumCheck(holds, rule, f"{figures}：{verdict}")


@dataclass(frozen=True)
class MotionResult:
    body: str
    quorum: bool
    passed: bool
    yes: int
    no: int
    abstain: int
    base: int  # present (meetings) or voting (recall): what "more than half" is of
    rule: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def decision_rule(profile: MeetingProfile) -> str:
    if profile.recall:
        return _(
            "投票人数%(v)s才有效；赞成票%(d)s为通过",
            v=in_words(_turnout(profile), _("登记选民")),
            d=in_words(profile.decision, _("投票人数")),
        )
    return _(
        "%(q)s；赞成票%(d)s为通过（弃权和未表态的都不算赞成）",
        q=quorum_rule(profile),
        d=in_words(profile.decision, _("到会人数")),
    )


def count_motion(
    profile: MeetingProfile,
    *,
    yes: int,
    no: int,
    abstain: int,
    members: int = 0,
    present: int = 0,
    households: int | None = None,
    households_present: int | None = None,
    registered: int = 0,
) -> MotionResult:
    """Quorum first, then more than half of THOSE PRESENT (recall: of those voting).

    Figures must be consistent (callers validate: votes <= present <= members).
    """
    if profile.recall:
        return _count_recall(profile, yes=yes, no=no, abstain=abstain, registered=registered)
    quorum = check_quorum(profile, members, present, households, households_present)
    carried = profile.decision.met(yes, present) and present > 0
    passed = quorum.holds and carried
    majority = in_words(profile.decision, _("到会人数 %(p)s 人", p=present))
    if not quorum.holds:
        why = _("未达到法定人数，表决不成立，未通过")
    elif passed:
        why = _("赞成票%(m)s：通过", m=majority)
    else:
        why = _("赞成票没有%(m)s：未通过", m=majority)
    reason = _(
        "%(quorum)s。赞成 %(yes)s，反对 %(no)s，弃权 %(abstain)s。%(why)s",
        quorum=quorum.reason,
        yes=yes,
        no=no,
        abstain=abstain,
        why=why,
    )
    rule = decision_rule(profile)
    return MotionResult(profile.name, quorum.holds, passed, yes, no, abstain, present, rule, reason)


def _turnout(profile: MeetingProfile) -> Threshold:
    return profile.quorum_members or MORE_THAN_HALF


def _count_recall(
    profile: MeetingProfile, *, yes: int, no: int, abstain: int, registered: int
) -> MotionResult:
    voting = yes + no + abstain
    valid = _turnout(profile).met(voting, registered) and registered > 0
    passed = valid and profile.decision.met(yes, voting) and voting > 0
    if not valid:
        turnout = in_words(_turnout(profile), _("登记选民"))
        why = _("投票人数没有%(t)s，罢免表决无效", t=turnout)
    elif passed:
        why = _("赞成票%(d)s：罢免通过", d=in_words(profile.decision, _("投票人数")))
    else:
        why = _("赞成票没有%(d)s：罢免未通过", d=in_words(profile.decision, _("投票人数")))
    reason = _(
        "登记选民 %(r)s 人，投票 %(v)s 人。赞成 %(yes)s，反对 %(no)s，弃权 %(abstain)s。%(why)s",
        r=registered,
        v=voting,
        yes=yes,
        no=no,
        abstain=abstain,
        why=why,
    )
    rule = decision_rule(profile)
    return MotionResult(profile.name, valid, passed, yes, no, abstain, voting, rule, reason)


def representatives_body_warnings(members: int, representatives: int, women: int) -> list[str]:
    """Art 29: representatives at least 4/5 of the body, women at least 1/3."""
    warnings = []
    if members > 0 and not AT_LEAST_FOUR_FIFTHS.met(representatives, members):
        warnings.append(
            _(
                "村民代表只有 %(r)s 人，不到组成人员 %(m)s 人的五分之四（第二十九条）",
                r=representatives,
                m=members,
            )
        )
    if members > 0 and not AT_LEAST_ONE_THIRD.met(women, members):
        warnings.append(
            _(
                "妇女只有 %(w)s 人，不到组成人员 %(m)s 人的三分之一（第二十九条）",
                w=women,
                m=members,
            )
        )
    return warnings


def notice_is_short(profile: MeetingProfile, days_before: int) -> bool:
    """Whether a notice published `days_before` whole days ahead is shorter than the rule."""
    return days_before < profile.notice_days
