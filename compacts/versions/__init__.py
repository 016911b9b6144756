"""Compacts, the organizers' working draft, frozen numbered versions, their article-level
comparison and each compact's history. Pages in `compacts.versions.views`."""

from __future__ import annotations

from compacts.versions.diff import ArticleChange, ChangeKind, compare
from compacts.versions.history import VersionHistory, compact_history, version_history
from compacts.versions.services import (
    MAX_NOTE_CHARS,
    MAX_SOURCE_CHARS,
    compact_in,
    create_compact,
    draft_of,
    freeze_version,
    latest_version,
    open_correction_orders,
    save_draft,
    versions_of,
)
from compacts.versions.views import routes

__all__ = [
    "MAX_NOTE_CHARS",
    "MAX_SOURCE_CHARS",
    "ArticleChange",
    "ChangeKind",
    "VersionHistory",
    "compact_history",
    "compact_in",
    "compare",
    "create_compact",
    "draft_of",
    "freeze_version",
    "latest_version",
    "open_correction_orders",
    "routes",
    "save_draft",
    "version_history",
    "versions_of",
]
