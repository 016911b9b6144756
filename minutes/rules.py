"""Minutes as a document: its canonical text, the public edition, the posting period.

Pure functions. The services gather the facts from the database (meeting, attendance,
the votes' own frozen figures, election outcomes) and the recorder's notes; this
module assembles them into one JSON document whose canonical encoding is what the
host and recorder sign and what the audit log's SHA-256 covers.

The public edition (村务公开) keeps what the village must see: the meeting, the
counts, each item's outcome and vote figures, the names of office holders (the host,
the recorder, those elected) and the signed corrections. It drops what may name or
describe private persons: the recorder's free-text discussion notes, the Party
organization's study note, and the names and votes of candidates who were not elected.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from app.i18n import gettext_

SCHEMA = 1
# Art 35: village affairs stay posted for at least 15 days; the first day counts.
MIN_POSTING_DAYS = 15
MAX_NOTE_LENGTH = 5000


def canonical(document: Mapping[str, Any]) -> str:
    """One exact text per document: sorted keys, no spacing, UTF-8 characters kept."""
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def build_document(
    meeting: Mapping[str, Any],
    attendance: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    notes: Mapping[int, str],
) -> dict[str, Any]:
    """The minutes: the platform's facts, with the recorder's note under each item."""
    return {
        "schema": SCHEMA,
        "meeting": dict(meeting),
        "attendance": dict(attendance),
        "items": [{**item, "notes": notes.get(int(item["item_id"]), "")} for item in items],
    }


def addendum_text(minutes_sha256: str, number: int, text: str) -> str:
    """What the signatories of an addendum sign: it names the original by its hash."""
    return canonical({"corrects": minutes_sha256, "number": number, "text": text})


def addendum_digest(minutes_sha256: str, number: int, text: str) -> str:
    return digest(addendum_text(minutes_sha256, number, text))


def _public_election(election: Mapping[str, Any]) -> dict[str, Any]:
    elected = list(election.get("elected") or [])
    counts = election.get("counts") or {}
    shown = dict(election)
    shown["counts"] = {name: votes for name, votes in counts.items() if name in elected}
    return shown


def public_edition(
    document: Mapping[str, Any], addenda: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The notice-board edition: see the module docstring for what is left out."""
    public = copy.deepcopy(dict(document))
    for item in public.get("items", []):
        item.pop("notes", None)
        item.pop("party_studied_note", None)
        if item.get("election"):
            item["election"] = _public_election(item["election"])
    public["addenda"] = [
        {"number": a["number"], "text": a["text"], "sha256": a["sha256"]} for a in addenda
    ]
    return public


def posting_days(posted_on: date, until: date) -> int:
    """Days on the notice board, both ends included (1 to 15 December is 15 days)."""
    return (until - posted_on).days + 1


def earliest_end(posted_on: date) -> date:
    return posted_on + timedelta(days=MIN_POSTING_DAYS - 1)


def posting_problem(posted_on: date, until: date) -> str | None:
    """Why this posting period is not allowed, in words; None when it is."""
    if posting_days(posted_on, until) < MIN_POSTING_DAYS:
        return gettext_(
            "公示期至少 %(days)s 天：从 %(start)s 起，结束日期不能早于 %(end)s。",
            days=MIN_POSTING_DAYS,
            start=posted_on.isoformat(),
            end=earliest_end(posted_on).isoformat(),
        )
    return None
