"""Forms of the answers, adoption, filing and delivery pages."""

from __future__ import annotations

import re

from app.forms import FormResult, required_text, whole_number
from app.i18n import gettext_
from compacts.adoption.answers import MAX_REASON
from compacts.models import AnswerOutcome, FilingDecision
from meetings.models import VoteMethod

MAX_ORDER = 4000
_ARTICLE_SPLIT = re.compile(r"[\s,，、;；]+")


def _choice(result: FormResult, name: str, value: str, allowed: list[str], message: str) -> str:
    result.raw[name] = value
    if value not in allowed:
        result.error(name, message)
    return value


def parse_answer(outcome: str, reason: str) -> FormResult:
    result = FormResult()
    chosen = _choice(
        result,
        "outcome",
        outcome,
        [o.value for o in AnswerOutcome],
        gettext_("请选择：采纳、部分采纳或不采纳。"),
    )
    text = required_text(result, "reason", reason, label=gettext_("理由"), max_length=MAX_REASON)
    if result.ok:
        result.values = {"outcome": AnswerOutcome(chosen), "reason": text}
    return result


def parse_put(meeting_id: str, method: str, meeting_ids: list[int]) -> FormResult:
    result = FormResult()
    allowed = [str(i) for i in meeting_ids]
    chosen = _choice(result, "meeting", meeting_id, allowed, gettext_("请选择一个村民会议。"))
    how = _choice(
        result,
        "method",
        method,
        [m.value for m in VoteMethod],
        gettext_("请选择表决方式：扫码或举手。"),
    )
    if result.ok:
        result.values = {"meeting_id": int(chosen), "method": VoteMethod(how)}
    return result


def parse_articles(text: str) -> list[str]:
    """Article numbers as typed: "3、5，7" or "第3条 第5条" give ["3", "5", "7"]."""
    found = []
    for part in _ARTICLE_SPLIT.split(text):
        number = whole_number(re.sub(r"[^0-9]", "", part))
        if number is not None and str(number) not in found:
            found.append(str(number))
    return found


def parse_decision(decision: str, order_text: str, articles: str) -> FormResult:
    result = FormResult()
    chosen = _choice(
        result,
        "decision",
        decision,
        [d.value for d in FilingDecision],
        gettext_("请选择：予以备案，或者责令改正。"),
    )
    result.raw["order_text"] = order_text
    result.raw["articles"] = articles
    keys = parse_articles(articles)
    if chosen == FilingDecision.CORRECTION_ORDERED.value:
        required_text(
            result, "order_text", order_text, label=gettext_("改正意见"), max_length=MAX_ORDER
        )
        if not keys:
            result.error("articles", gettext_("请写出要改正的条款号，例如：3、5。"))
    if result.ok:
        result.values = {
            "decision": FilingDecision(chosen),
            "order_text": order_text,
            "articles": keys,
        }
    return result


def parse_households(values: list[str]) -> FormResult:
    result = FormResult()
    ids = [n for n in (whole_number(v) for v in values) if n is not None]
    if not ids:
        result.error("household", gettext_("请至少勾选一户已经收到的人家。"))
    result.values = {"household_ids": ids}
    return result
