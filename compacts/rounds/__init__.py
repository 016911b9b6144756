"""Deliberation rounds: a frozen version goes to chosen groups with a deadline; members
comment and vote once in each of their groups, group leaders enter paper opinions and file the group's summary;
organizers watch the coverage matrix and close. Pages in `compacts.rounds.views`."""

from __future__ import annotations

from compacts.rounds.coverage import Coverage, GroupCoverage
from compacts.rounds.lookup import groups_of, member_groups, round_groups, speakers, village_of
from compacts.rounds.services import (
    MAX_COMMENT,
    MAX_SUMMARY,
    add_comment,
    cast_vote,
    close_round,
    comments_by,
    file_summary,
    open_round,
    open_rounds_for,
    silent_groups,
)
from compacts.rounds.views import routes

__all__ = [
    "MAX_COMMENT",
    "MAX_SUMMARY",
    "Coverage",
    "GroupCoverage",
    "add_comment",
    "cast_vote",
    "close_round",
    "comments_by",
    "file_summary",
    "groups_of",
    "member_groups",
    "open_round",
    "open_rounds_for",
    "round_groups",
    "routes",
    "silent_groups",
    "speakers",
    "village_of",
]
