"""After the vote: naming the tellers, their certification and annulment, the public
ballot tracker and export, live turnout, and the results pages (`routes`). Counting and
announcing a round are ballots.results; the counting itself is ballots.counting."""

from __future__ import annotations

from ballots.results.certification import (
    MIN_TELLERS,
    annul,
    certifications,
    certify,
    named_tellers,
    set_tellers,
    teller_choices,
)
from ballots.results.tracker import GroupTurnout, Tracker, published_export, turnout_by_group
from ballots.results.views import routes

__all__ = [
    "MIN_TELLERS",
    "GroupTurnout",
    "Tracker",
    "annul",
    "certifications",
    "certify",
    "named_tellers",
    "published_export",
    "routes",
    "set_tellers",
    "teller_choices",
    "turnout_by_group",
]
