"""A small form toolkit: fields are parsed into values and per-field messages.

Each package's `forms.py` builds on it. Messages are Chinese first, translated at
render time, and say what to fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.i18n import LazyText, gettext_


@dataclass
class FormResult:
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, name: str, message: LazyText | str, **variables: Any) -> None:
        # Keep the first message per field: it is the most basic problem.
        if name not in self.errors:
            text = str(message)
            self.errors[name] = text % variables if variables else text


# Ids and counts typed or posted: nine digits fit every integer column, and int() never
# refuses them (it refuses superscripts that str.isdigit() accepts, and 4300+ digits).
MAX_DIGITS = 9


def whole_number(value: str, *, max_digits: int = MAX_DIGITS) -> int | None:
    """A whole number >= 0 in any decimal digits (full-width too), or None."""
    if not value.isdecimal() or len(value) > max_digits:
        return None
    return int(value)


def required_text(result: FormResult, name: str, value: str, *, label: str, max_length: int) -> str:
    result.raw[name] = value
    if not value:
        result.error(name, gettext_("请填写%(label)s。", label=label))
    elif len(value) > max_length:
        result.error(name, gettext_("%(label)s最多 %(max)s 个字。", label=label, max=max_length))
    return value
