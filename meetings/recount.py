"""`cunyi recount` of a meeting motion or a recall vote (kind "motion"), counted by
meetings.rules.count_motion; the record is read with the election recount's field rules."""

from __future__ import annotations

from typing import Any

from ballots.counting.recount import count_field, fail
from meetings.rules import PROFILES as BODIES
from meetings.rules import RECOUNT_BODIES, count_motion


def recount_motion(data: dict[str, Any]) -> dict[str, Any]:
    """A meeting motion or a recall vote, counted by meetings.rules.count_motion."""
    body = data.get("body")
    if body not in RECOUNT_BODIES:
        known = "、".join(RECOUNT_BODIES)
        raise fail(f"body 必须是 {known} 之一", f"body must be one of {', '.join(RECOUNT_BODIES)}")
    votes = {key: count_field(data, key, required=True) or 0 for key in ("yes", "no", "abstain")}
    voting = sum(votes.values())
    if body == "recall":
        registered = count_field(data, "registered", required=True) or 0
        if voting > registered:
            raise fail("投票人数（yes+no+abstain）不能多于 registered", "votes > registered")
        result = count_motion(BODIES["recall"], registered=registered, **votes)
        return result.to_json()
    members = count_field(data, "members", required=True) or 0
    present = count_field(data, "present", required=True) or 0
    households = count_field(data, "households", required=False)
    households_present = count_field(data, "households_present", required=False)
    if (households is None) != (households_present is None):
        raise fail(
            "households 和 households_present 要么都填，要么都不填",
            "give both households and households_present, or neither",
        )
    if present > members:
        raise fail("present（到会人数）不能多于 members（应到人数）", "present > members")
    if (
        households is not None
        and households_present is not None
        and households_present > households
    ):
        raise fail("households_present 不能多于 households", "households_present > households")
    if voting > present:
        raise fail("表决票数（yes+no+abstain）不能多于 present（到会人数）", "votes > present")
    result = count_motion(
        BODIES[str(body)],
        members=members,
        present=present,
        households=households,
        households_present=households_present,
        **votes,
    )
    return result.to_json()
