"""The village roll as a file: read an upload (CSV or .xlsx), check every row, compare it
with the village as it is now, apply it once; and export the roll in the same columns."""

from __future__ import annotations

from app.registry.roll.diff import RollDiff, VillageState, compute_diff, load_state
from app.registry.roll.export import ExportFile, export_roll
from app.registry.roll.format import COLUMN_LABELS, COLUMNS
from app.registry.roll.importing import Analysis, analyse, apply_import, store_upload
from app.registry.roll.read import MAX_BYTES, MAX_ROWS, RawTable, read_table
from app.registry.roll.validate import Problem, RollRow, Validation

__all__ = [
    "COLUMNS",
    "COLUMN_LABELS",
    "MAX_BYTES",
    "MAX_ROWS",
    "Analysis",
    "ExportFile",
    "Problem",
    "RawTable",
    "RollDiff",
    "RollRow",
    "Validation",
    "VillageState",
    "analyse",
    "apply_import",
    "compute_diff",
    "export_roll",
    "load_state",
    "read_table",
    "store_upload",
]
