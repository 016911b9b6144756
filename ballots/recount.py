"""`cunyi recount`: read an election record (JSON), validate it, count it.

The input contract is fixed (auditors rely on it); see README "cunyi recount".
Bad input raises `RecountInputError` with a message in Chinese and English naming
the field and what it must be; the CLI prints it on stderr and exits 2.
"""

from __future__ import annotations

import json
from itertools import chain
from typing import Any

from ballots.counting import RoundInput, count_round
from ballots.rules import PROFILES


class RecountInputError(ValueError):
    pass


def _fail(zh: str, en: str) -> RecountInputError:
    return RecountInputError(f"{zh} ({en})")


def _count(data: dict[str, Any], key: str, *, required: bool) -> int | None:
    if key not in data or data[key] is None:
        if required:
            raise _fail(f"缺少字段 {key}，它必须是不小于 0 的整数", f"field {key} is missing")
        return None
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(
            f"字段 {key} 必须是不小于 0 的整数，现在是 {json.dumps(value, ensure_ascii=False)}",
            f"{key} must be a whole number >= 0",
        )
    return value


def _names(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
        raise _fail(
            f"{where} 必须是由名字（字符串）组成的列表", f"{where} must be a list of strings"
        )
    return value


def _ballots(value: list[Any]) -> list[list[str]]:
    """Every ballot a list of names, or an error naming the first bad ballot."""
    # Checked in C first (the types present); only a bad file walks ballot by ballot.
    if set(map(type, value)) <= {list} and set(map(type, chain.from_iterable(value))) <= {str}:
        return value
    return [_names(ballot, f"ballots[{i}]") for i, ballot in enumerate(value)]


def parse_election(data: dict[str, Any]) -> RoundInput:
    rules = data.get("rules")
    if not isinstance(rules, str) or rules not in PROFILES:
        known = "、".join(PROFILES)
        raise _fail(f"rules 必须是 {known} 之一", f"rules must be one of {', '.join(PROFILES)}")
    profile = PROFILES[str(rules)]
    overrides = data.get("overrides", {})
    if not isinstance(overrides, dict):
        raise _fail("overrides 必须是参数名到取值的对象", "overrides must be an object")
    try:
        profile = profile.with_overrides(overrides)
    except ValueError as error:
        raise _fail(f"overrides 里的参数不对：{error}", str(error)) from None
    round_number = data.get("round", 1)
    if round_number not in (1, 2) or isinstance(round_number, bool):
        raise _fail("round 必须是 1（第一轮）或 2（另行选举）", "round must be 1 or 2")
    seats = _count(data, "seats", required=True) or 0
    if seats < 1:
        raise _fail("seats（应选名额）至少为 1", "seats must be at least 1")
    candidates = _names(data.get("candidates"), "candidates")
    if len(set(candidates)) != len(candidates) or any(not c.strip() for c in candidates):
        raise _fail("candidates 里有重复或空白的名字", "candidates must be unique, non-blank")
    ballots_value = data.get("ballots")
    if not isinstance(ballots_value, list):
        raise _fail("ballots 必须是选票列表，每张选票是所选名字的列表", "ballots must be a list")
    ballots = _ballots(ballots_value)
    village = profile.quorum_members is None
    registered = _count(data, "registered", required=village)
    members = _count(data, "members", required=not village)
    present = _count(data, "present", required=not village)
    households = _count(data, "households", required=False)
    households_present = _count(data, "households_present", required=False)
    if (households is None) != (households_present is None):
        raise _fail(
            "households 和 households_present 要么都填，要么都不填",
            "give both households and households_present, or neither",
        )
    if members is not None and present is not None and present > members:
        raise _fail("present（到会人数）不能多于 members（应到人数）", "present > members")
    if (
        households is not None
        and households_present is not None
        and households_present > households
    ):
        raise _fail("households_present 不能多于 households", "households_present > households")
    return RoundInput(
        profile=profile,
        round=int(round_number),
        seats=seats,
        candidates=tuple(candidates),
        ballots=ballots,
        registered=registered,
        members=members,
        present=present,
        households=households,
        households_present=households_present,
        issued=_count(data, "issued", required=False),
    )


def recount_motion(data: dict[str, Any]) -> dict[str, Any]:
    """A meeting motion or a recall vote, counted by meetings.rules.count_motion."""
    from meetings.rules import PROFILES as BODIES
    from meetings.rules import RECOUNT_BODIES, count_motion

    body = data.get("body")
    if body not in RECOUNT_BODIES:
        known = "、".join(RECOUNT_BODIES)
        raise _fail(f"body 必须是 {known} 之一", f"body must be one of {', '.join(RECOUNT_BODIES)}")
    votes = {key: _count(data, key, required=True) or 0 for key in ("yes", "no", "abstain")}
    voting = sum(votes.values())
    if body == "recall":
        registered = _count(data, "registered", required=True) or 0
        if voting > registered:
            raise _fail("投票人数（yes+no+abstain）不能多于 registered", "votes > registered")
        result = count_motion(BODIES["recall"], registered=registered, **votes)
        return result.to_json()
    members = _count(data, "members", required=True) or 0
    present = _count(data, "present", required=True) or 0
    households = _count(data, "households", required=False)
    households_present = _count(data, "households_present", required=False)
    if (households is None) != (households_present is None):
        raise _fail(
            "households 和 households_present 要么都填，要么都不填",
            "give both households and households_present, or neither",
        )
    if present > members:
        raise _fail("present（到会人数）不能多于 members（应到人数）", "present > members")
    if (
        households is not None
        and households_present is not None
        and households_present > households
    ):
        raise _fail("households_present 不能多于 households", "households_present > households")
    if voting > present:
        raise _fail("表决票数（yes+no+abstain）不能多于 present（到会人数）", "votes > present")
    result = count_motion(
        BODIES[str(body)],
        members=members,
        present=present,
        households=households,
        households_present=households_present,
        **votes,
    )
    return result.to_json()


def recount(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise _fail(
            f"输入不是有效的 JSON：第 {error.lineno} 行第 {error.colno} 列",
            f"invalid JSON: {error.msg}",
        ) from None
    except (RecursionError, ValueError):
        # Nesting deeper than Python's stack, or a number of 4300+ digits: no election
        # record looks like that.
        raise _fail(
            "输入不是有效的选举记录：嵌套太深或数字太长", "invalid JSON: too deep or too long"
        ) from None
    if not isinstance(data, dict):
        raise _fail("输入必须是一个 JSON 对象", "input must be a JSON object")
    kind = data.get("kind")
    if kind == "election":
        return count_round(parse_election(data)).to_json()
    if kind == "motion":
        return recount_motion(data)
    raise _fail('kind 必须是 "election" 或 "motion"', 'kind must be "election" or "motion"')
