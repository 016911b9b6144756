"""`cunyi recount`: read an election record (JSON), validate it, count it.

The input contract is fixed (auditors rely on it); see README "cunyi recount".
Bad input raises `RecountInputError` with a message in Chinese and English naming
the field and what it must be; the CLI prints it on stderr and exits 2.
"""

from __future__ import annotations

import json
from itertools import chain
from typing import Any

from ballots.counting.count import CHANNELS, RoundInput, count_round
from ballots.rules import PROFILES


class RecountInputError(ValueError):
    pass


def fail(zh: str, en: str) -> RecountInputError:
    return RecountInputError(f"{zh} ({en})")


def count_field(data: dict[str, Any], key: str, *, required: bool) -> int | None:
    if key not in data or data[key] is None:
        if required:
            raise fail(f"缺少字段 {key}，它必须是不小于 0 的整数", f"field {key} is missing")
        return None
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise fail(
            f"字段 {key} 必须是不小于 0 的整数，现在是 {json.dumps(value, ensure_ascii=False)}",
            f"{key} must be a whole number >= 0",
        )
    return value


def _names(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
        raise fail(
            f"{where} 必须是由名字（字符串）组成的列表", f"{where} must be a list of strings"
        )
    return value


def _ballots(value: list[Any]) -> list[list[str]]:
    """Every ballot a list of names, or an error naming the first bad ballot."""
    # Checked in C first (the types present); only a bad file walks ballot by ballot.
    if set(map(type, value)) <= {list} and set(map(type, chain.from_iterable(value))) <= {str}:
        return value
    return [_names(ballot, f"ballots[{i}]") for i, ballot in enumerate(value)]


def _channels(data: dict[str, Any], issued: int | None) -> dict[str, int] | None:
    """Who took part by channel, checked against `issued` (the credentials used)."""
    value = data.get("channels")
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - set(CHANNELS):
        raise fail(
            f"channels 必须是以 {'、'.join(CHANNELS)} 为键、人数为值的对象",
            f"channels must map {', '.join(CHANNELS)} to counts",
        )
    channels = {name: count_field(value, name, required=False) or 0 for name in CHANNELS}
    if issued is None:
        raise fail("有 channels 时必须有 issued（发出的选票数）", "channels need issued")
    total = sum(channels.values())
    if total != issued:
        parts = " + ".join(f"{name} {channels[name]}" for name in CHANNELS)
        raise fail(
            f"各渠道参加投票的人数加起来是 {total}（{parts}），"
            f"和发出的选票数 issued {issued} 对不上",
            f"channels add up to {total}, issued is {issued}",
        )
    return channels


def parse_election(data: dict[str, Any]) -> RoundInput:
    rules = data.get("rules")
    if not isinstance(rules, str) or rules not in PROFILES:
        known = "、".join(PROFILES)
        raise fail(f"rules 必须是 {known} 之一", f"rules must be one of {', '.join(PROFILES)}")
    profile = PROFILES[str(rules)]
    overrides = data.get("overrides", {})
    if not isinstance(overrides, dict):
        raise fail("overrides 必须是参数名到取值的对象", "overrides must be an object")
    try:
        profile = profile.with_overrides(overrides)
    except ValueError as error:
        raise fail(f"overrides 里的参数不对：{error}", str(error)) from None
    round_number = data.get("round", 1)
    if round_number not in (1, 2) or isinstance(round_number, bool):
        raise fail("round 必须是 1（第一轮）或 2（另行选举）", "round must be 1 or 2")
    seats = count_field(data, "seats", required=True) or 0
    if seats < 1:
        raise fail("seats（应选名额）至少为 1", "seats must be at least 1")
    candidates = _names(data.get("candidates"), "candidates")
    if len(set(candidates)) != len(candidates) or any(not c.strip() for c in candidates):
        raise fail("candidates 里有重复或空白的名字", "candidates must be unique, non-blank")
    ballots_value = data.get("ballots")
    if not isinstance(ballots_value, list):
        raise fail("ballots 必须是选票列表，每张选票是所选名字的列表", "ballots must be a list")
    ballots = _ballots(ballots_value)
    village = profile.quorum_members is None
    registered = count_field(data, "registered", required=village)
    members = count_field(data, "members", required=not village)
    present = count_field(data, "present", required=not village)
    households = count_field(data, "households", required=False)
    households_present = count_field(data, "households_present", required=False)
    if (households is None) != (households_present is None):
        raise fail(
            "households 和 households_present 要么都填，要么都不填",
            "give both households and households_present, or neither",
        )
    if members is not None and present is not None and present > members:
        raise fail("present（到会人数）不能多于 members（应到人数）", "present > members")
    if (
        households is not None
        and households_present is not None
        and households_present > households
    ):
        raise fail("households_present 不能多于 households", "households_present > households")
    issued = count_field(data, "issued", required=False)
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
        issued=issued,
        channels=_channels(data, issued),
    )


def recount_election(data: dict[str, Any]) -> dict[str, Any]:
    """An election record (kind "election") counted by ballots.counting.count_round."""
    return count_round(parse_election(data)).to_json()
