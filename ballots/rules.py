"""Rule profiles: every number the law leaves to a parameter, with its default.

See ../shared/RULES.md. The integer arithmetic (`Threshold`) is the kernel's: app.thresholds.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from app.i18n import gettext_
from app.thresholds import (
    AT_LEAST_ONE_THIRD,
    AT_LEAST_TWO_THIRDS,
    MORE_THAN_HALF,
    Threshold,
    check_threshold,
)


class Basis(enum.StrEnum):
    """What a round's validity or a winning threshold is measured against."""

    REGISTERED = "registered"  # registered voters of the electorate
    CAST = "cast"  # ballots cast in the round, invalid and blank included
    PRESENT = "present"  # people present at the meeting


@dataclass(frozen=True)
class RuleProfile:
    """A named set of parameters; organizers may override any of them per election."""

    name: str
    article: str
    # Validity of a round.
    validity_basis: Basis
    validity: Threshold
    # Meeting quorum (group-meeting profile): members, or households' representatives.
    quorum_members: Threshold | None
    quorum_households: Threshold | None
    # Winning in the first round and in a further round (另行选举).
    first_round_basis: Basis
    first_round: Threshold
    further_round_basis: Basis
    further_round: Threshold
    # A further round's candidates: unfilled seats + this many (the 差额 margin).
    further_round_extra_candidates: int = 1
    write_ins_allowed: bool = True
    # Timetable (days) and proxies.
    roll_publication_days: int = 20
    objection_days: int = 5
    objection_decision_days: int = 3
    candidate_list_days: int = 5
    max_entrustments_per_proxy: int = 3
    candidates_may_be_proxies: bool = False

    def with_overrides(self, overrides: dict[str, Any]) -> RuleProfile:
        """This profile with some parameters changed; ValueError names a bad one."""
        return replace(self, **checked_overrides(self, overrides))

    def parameters(self) -> dict[str, Any]:
        """Every parameter, for the record each result carries."""
        return asdict(self)


VILLAGE_ELECTION = RuleProfile(
    name="village-election",
    article="OL2025 Art 16-19",
    validity_basis=Basis.REGISTERED,
    validity=MORE_THAN_HALF,
    quorum_members=None,
    quorum_households=None,
    first_round_basis=Basis.CAST,
    first_round=MORE_THAN_HALF,
    further_round_basis=Basis.CAST,
    further_round=AT_LEAST_ONE_THIRD,
)

# Group leaders are chosen by the villagers' group meeting (Art 32): quorum of two
# thirds of the group's adults or of its households, then more than half of those
# present. The law has no one-third rule for meetings, so a further round keeps the
# majority of those present.
GROUP_MEETING = RuleProfile(
    name="group-meeting",
    article="OL2025 Art 32",
    validity_basis=Basis.PRESENT,
    validity=MORE_THAN_HALF,  # unused: validity is the quorum below
    quorum_members=AT_LEAST_TWO_THIRDS,
    quorum_households=AT_LEAST_TWO_THIRDS,
    first_round_basis=Basis.PRESENT,
    first_round=MORE_THAN_HALF,
    further_round_basis=Basis.PRESENT,
    further_round=MORE_THAN_HALF,
)

PROFILES: dict[str, RuleProfile] = {p.name: p for p in (VILLAGE_ELECTION, GROUP_MEETING)}


def checked_overrides(profile: RuleProfile, overrides: dict[str, Any]) -> dict[str, Any]:
    """Overrides converted to each parameter's type, or ValueError naming the bad one.

    The profile's name and article are not parameters: a profile stays itself.
    """
    defaults = {f.name: getattr(profile, f.name) for f in fields(profile)}
    checked: dict[str, Any] = {}
    for key, value in overrides.items():
        if key not in defaults or key in ("name", "article"):
            raise ValueError(f"unknown rule parameter: {key}")
        default = defaults[key]
        if isinstance(default, Threshold) or (default is None and key.startswith("quorum_")):
            checked[key] = None if value is None else check_threshold(key, value)
        elif isinstance(default, Basis):
            if value not in {b.value for b in Basis}:
                raise ValueError(f"{key} must be one of {', '.join(b.value for b in Basis)}")
            checked[key] = Basis(value)
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise ValueError(f"{key} must be true or false")
            checked[key] = value
        else:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{key} must be a whole number >= 0")
            checked[key] = value
    return checked


# --- what a written-in name can be ----------------------------------------------------

# The dots between the parts of a name (阿卜杜热合曼·买买提), as typed on phones and PCs.
NAME_DOTS = frozenset("·•・．.")
WRITE_IN_MAX_LENGTH = 20


def write_in_problem(name: str) -> str | None:
    """Why `name` cannot be a person's name written on a ballot, or None when it can:
    letters of any script, joined by a name dot or (between Latin words) a space; no
    digits, punctuation, markup or emoji, and not longer than a name is."""
    if len(name) > WRITE_IN_MAX_LENGTH:
        return gettext_("另选的名字太长了（最多 %(n)s 个字），请只写姓名。", n=WRITE_IN_MAX_LENGTH)
    parts = re.split("[·•・．. ]", name)
    if not name or any(not part for part in parts) or name[0] in NAME_DOTS:
        return gettext_("另选的名字只能是姓名，例如“王芳”或“阿卜杜热合曼·买买提”。")
    for char in name:
        if char in NAME_DOTS or char == " ":
            continue
        if unicodedata.category(char).startswith("C"):  # unseen: naming it shows nothing
            return gettext_("另选的名字里有不能用的字符，请只写姓名。")
        if not unicodedata.category(char).startswith("L"):
            return gettext_("另选的名字里有“%(char)s”，姓名里不会有它。请只写姓名。", char=char)
    return None
