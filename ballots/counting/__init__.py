"""Counting a round: the one pure counting function (`count_round`, shared by the
announcement and `cunyi recount`, ballots.counting.recount) and the election export
that anyone can download and recount."""

from __future__ import annotations

from ballots.counting.count import RoundInput, RoundResult, count_round
from ballots.counting.export import EXPORT_FORMAT, export_bytes, export_document, export_filename

__all__ = [
    "EXPORT_FORMAT",
    "RoundInput",
    "RoundResult",
    "count_round",
    "export_bytes",
    "export_document",
    "export_filename",
]
