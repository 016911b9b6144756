"""`cunyi recount`: a record of an election round or of a meeting motion, given as JSON,
counted again by the same rules the app counts with. Part of the composition: it
dispatches to ballots and to meetings."""

from __future__ import annotations

import json
from typing import Any

from ballots.counting.recount import RecountInputError, fail, recount_election
from meetings.recount import recount_motion

__all__ = ["RecountInputError", "recount"]


def recount(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise fail(
            f"输入不是有效的 JSON：第 {error.lineno} 行第 {error.colno} 列",
            f"invalid JSON: {error.msg}",
        ) from None
    except (RecursionError, ValueError):
        # Nesting deeper than Python's stack, or a number of 4300+ digits: no election
        # record looks like that.
        raise fail(
            "输入不是有效的选举记录：嵌套太深或数字太长", "invalid JSON: too deep or too long"
        ) from None
    if not isinstance(data, dict):
        raise fail("输入必须是一个 JSON 对象", "input must be a JSON object")
    kind = data.get("kind")
    if kind == "election":
        return recount_election(data)
    if kind == "motion":
        return recount_motion(data)
    raise fail('kind 必须是 "election" 或 "motion"', 'kind must be "election" or "motion"')
