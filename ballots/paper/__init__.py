"""Paper ballots and the ways of voting beside the phone: issuing paper ballots, the
tellers' public count and reconciliation, the mobile ballot box for the homebound, and
proxies (委托投票), with their staff and public pages (`routes`); help in writing a ballot
(代写) is recorded with the paper ballot or the mobile-box vote (ballots.paper.help)."""

from __future__ import annotations

from ballots.paper.count import add_entry, correct_entry, start_count, undo_last
from ballots.paper.help import (
    check_helper,
    helped_by_channel,
    helped_count,
    helpers_of,
)
from ballots.paper.mobile import cast_at_mobile_box, homebound_rows, homebound_voters, set_homebound
from ballots.paper.proxies import (
    add_entrustment,
    entrusted_to,
    entrustment_rows,
    revoke_entrustment,
)
from ballots.paper.reading import (
    Reading,
    compare_counts,
    count_entries,
    disagreements,
    invalid_marks,
    tally,
)
from ballots.paper.services import (
    close_paper_counting,
    issue_paper_ballot,
    paper_counting_done,
    paper_issued,
    reconcile,
    refuse_if_entrusted,
    voted_channels,
)
from ballots.paper.views import routes

__all__ = [
    "Reading",
    "add_entrustment",
    "add_entry",
    "cast_at_mobile_box",
    "check_helper",
    "close_paper_counting",
    "compare_counts",
    "correct_entry",
    "count_entries",
    "disagreements",
    "entrusted_to",
    "entrustment_rows",
    "helped_by_channel",
    "helped_count",
    "helpers_of",
    "homebound_rows",
    "homebound_voters",
    "invalid_marks",
    "issue_paper_ballot",
    "paper_counting_done",
    "paper_issued",
    "reconcile",
    "refuse_if_entrusted",
    "revoke_entrustment",
    "routes",
    "set_homebound",
    "start_count",
    "tally",
    "undo_last",
    "voted_channels",
]
