"""How the log page shows an entry: the action and its object in words, the summary as a
list of labelled fields, and the record as stored one click away for auditors.

The labels come from app.audit.labels (each package names its own); nothing here changes
what is stored or hashed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from app.audit.labels import (
    CHANGE_ACTIONS,
    OBJECT_LABELS,
    action_label,
    is_id_key,
    object_label,
    summary_key_label,
    summary_value_label,
)
from app.audit.models import AuditEntry
from app.audit.services import group_hex
from app.i18n import gettext_, join_list

NOTHING = "—"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SPACES = re.compile(r"(\s+)")
_BREAK_AFTER = re.compile(r"(?<=[,:-])")
_LONGEST_RUN = 16


@dataclass(frozen=True)
class Field:
    """One summary field: its label and value in words, or the fields it holds."""

    key: str
    label: str
    text: Markup = field(default_factory=Markup)
    fields: tuple[Field, ...] = ()


@dataclass(frozen=True)
class LogRow:
    entry: AuditEntry
    action: str
    object: str
    object_named: bool  # False: `object` is the raw type:id
    fields: tuple[Field, ...]
    raw_summary: Markup


def log_rows(entries: Iterable[AuditEntry]) -> list[LogRow]:
    return [
        LogRow(
            entry=entry,
            action=action_label(entry.action),
            object=object_label(entry.object_type, entry.object_id),
            object_named=entry.object_type in OBJECT_LABELS,
            fields=summary_fields(entry.action, entry.summary),
            raw_summary=breakable(entry.summary),
        )
        for entry in entries
    ]


def summary_fields(action: str, summary: str) -> tuple[Field, ...]:
    """The stored summary as labelled fields; nothing when it is not a JSON object."""
    try:
        data = json.loads(summary)
    except ValueError:
        return ()
    if not isinstance(data, dict):
        return ()
    return _fields(action, data, changes=action in CHANGE_ACTIONS)


def _fields(action: str, data: Mapping[str, object], *, changes: bool) -> tuple[Field, ...]:
    found = []
    for key, value in data.items():
        label = summary_key_label(action, key)
        # A "changes" field maps each changed field to [before, after].
        pairs = changes or key == "changes"
        if isinstance(value, dict) and value:
            found.append(Field(key, label, fields=_fields(action, value, changes=pairs)))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            numbered = (
                Field(str(n), str(n), fields=_fields(action, item, changes=pairs))
                for n, item in enumerate(value, start=1)
            )
            found.append(Field(key, label, fields=tuple(numbered)))
        else:
            found.append(Field(key, label, breakable(_value(action, key, value, pairs=pairs))))
    return tuple(found)


def _value(action: str, key: str, value: object, *, pairs: bool) -> str:
    if isinstance(value, list):
        if pairs and len(value) == 2:
            before, after = (_scalar(action, key, v) for v in value)
            return f"{before} → {after}"
        return join_list(_scalar(action, key, v) for v in value) if value else NOTHING
    return _scalar(action, key, value)


def _scalar(action: str, key: str, value: object) -> str:
    if isinstance(value, str):
        named = summary_value_label(action, key, value)
        if named is not None:
            return named
        if _SHA256.fullmatch(value):
            return group_hex(value)
        return value or NOTHING
    if value is None or value == {}:
        return NOTHING
    if isinstance(value, bool):
        return gettext_("是") if value else gettext_("否")
    if isinstance(value, int):
        return f"#{value}" if is_id_key(key) else str(value)
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def breakable(text: str) -> Markup:
    """`text` escaped, with line-break opportunities (<wbr>, which adds no characters) in
    every run longer than a short word: after commas, colons and dashes, else every few
    characters. A stored summary (JSON without spaces), a hash or a long file name then
    wraps in its column instead of widening the page."""
    words = []
    for word in _SPACES.split(text):
        if len(word) <= _LONGEST_RUN:
            words.append(escape(word))
            continue
        pieces = [
            piece[start : start + _LONGEST_RUN]
            for piece in _BREAK_AFTER.split(word)
            for start in range(0, len(piece), _LONGEST_RUN)
        ]
        words.append(Markup("<wbr>").join(escape(piece) for piece in pieces if piece))
    return Markup("").join(words)
