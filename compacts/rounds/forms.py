"""Forms of the deliberation pages: open a round, a member's comment and vote, a leader's
paper entry and summary, closing. Messages say what to fix."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from app.forms import FormResult, required_text, whole_number
from app.i18n import gettext_
from compacts.models import VoteChoice
from compacts.rounds.services import MAX_COMMENT, MAX_SUMMARY


def _int(value: str) -> int | None:
    return whole_number(value)


def parse_open(version: str, groups: Sequence[str], deadline: str, assembly: str) -> FormResult:
    result = FormResult(raw={"version_id": version, "deadline": deadline, "assembly_id": assembly})
    version_id = _int(version)
    if version_id is None:
        result.error("version_id", gettext_("请选择要征求意见的版本。"))
    group_ids = [g for g in (_int(x) for x in groups) if g is not None]
    if not group_ids:
        result.error("groups", gettext_("请至少勾选一个小组。"))
    try:
        day = date.fromisoformat(deadline)
    except ValueError:
        day = None
        result.error("deadline", gettext_("请填写截止日期，例如 2026-12-31。"))
    assembly_id = _int(assembly) if assembly else None
    if assembly and assembly_id is None:
        result.error("assembly_id", gettext_("请重新选择二维码纸条批次。"))
    result.values = {
        "version_id": version_id,
        "group_ids": group_ids,
        "deadline": day,
        "assembly_id": assembly_id,
    }
    return result


def parse_comment(article: str, text: str, keys: Sequence[str]) -> FormResult:
    result = FormResult(raw={"article": article})
    if article and article not in keys:
        result.error("article", gettext_("没有这一条，请重新选择条文。"))
    result.values = {
        "article": article,
        "text": required_text(result, "text", text, label=gettext_("意见"), max_length=MAX_COMMENT),
    }
    return result


def parse_choice(value: str) -> FormResult:
    result = FormResult(raw={"choice": value})
    try:
        result.values["choice"] = VoteChoice(value)
    except ValueError:
        result.error("choice", gettext_("请选择同意、修改后同意或不同意中的一项。"))
    return result


def parse_person(result: FormResult, value: str, allowed: Sequence[int]) -> int | None:
    """The member a leader enters a paper opinion or vote for."""
    result.raw["person_id"] = value
    person_id = _int(value)
    if person_id is None or person_id not in allowed:
        result.error("person_id", gettext_("请选择是哪一位组员的意见。"))
        return None
    result.values["person_id"] = person_id
    return person_id


def parse_summary(text: str) -> FormResult:
    result = FormResult()
    result.values["summary"] = required_text(
        result, "summary", text, label=gettext_("小组汇总意见"), max_length=MAX_SUMMARY
    )
    return result
