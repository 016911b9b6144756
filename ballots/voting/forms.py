"""Forms of the voting pages: raw text in, values and messages out (the assembly, slip and
typed-code forms are in slips.forms)."""

from __future__ import annotations

from collections.abc import Sequence

from app.forms import FormResult
from ballots.exceptions import InvalidMarks
from ballots.voting.casting import normalize_marks

MAX_WRITE_INS_SHOWN = 3


def parse_ballot(
    marks: Sequence[str],
    write_ins: Sequence[str],
    *,
    candidates: Sequence[str],
    seats: int,
    write_ins_allowed: bool,
) -> FormResult:
    """The names a voter marked (ticked candidates and written-in names), checked by the
    same rules the server applies when storing the ballot."""
    result = FormResult()
    result.values["marked"] = [m for m in marks if m]
    result.values["write_ins"] = [w for w in write_ins if w]
    try:
        result.values["marks"] = normalize_marks(
            [*marks, *write_ins],
            candidates=candidates,
            seats=seats,
            write_ins_allowed=write_ins_allowed,
        )
    except InvalidMarks as error:
        result.error("marks", error.render_message())
        result.values["marks"] = []
    return result
