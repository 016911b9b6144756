"""Setting an election up: the election itself, its stages, the roll and objections,
nominations and candidates, and opening round 1 (services), with the organizer's and
the villager's pages (`routes`). The plain rules are ballots.setup.rules and the stage
order ballots.setup.transitions."""

from __future__ import annotations

from ballots.setup.candidates import (
    PARTY,
    add_nomination,
    nominate_as_villager,
    nominations_of,
    publish_candidates,
    replacement_choices,
    tally_nominations,
    villager_nominations,
    withdraw_candidate,
)
from ballots.setup.elections import create_election, update_election, village_elections
from ballots.setup.roll import (
    build_roll,
    decide_objection,
    decided_objections,
    file_objection,
    live_entry,
    objection_asks_removal,
    objections,
    pick_person,
    roll_count,
    roll_rows,
)
from ballots.setup.speech import SpeechEngine, speak_round, speech_engine
from ballots.setup.stages import (
    advance,
    latest_round,
    new_round,
    pending_round,
    profile_for,
    refusals,
    round_candidates,
    transition_facts,
)
from ballots.setup.views import ELECTION_PAGE_LINKS, routes

__all__ = [
    "ELECTION_PAGE_LINKS",
    "PARTY",
    "SpeechEngine",
    "add_nomination",
    "advance",
    "build_roll",
    "create_election",
    "decide_objection",
    "decided_objections",
    "file_objection",
    "latest_round",
    "live_entry",
    "new_round",
    "nominate_as_villager",
    "nominations_of",
    "objection_asks_removal",
    "objections",
    "pending_round",
    "pick_person",
    "profile_for",
    "publish_candidates",
    "refusals",
    "replacement_choices",
    "roll_count",
    "roll_rows",
    "round_candidates",
    "routes",
    "speak_round",
    "speech_engine",
    "tally_nominations",
    "transition_facts",
    "update_election",
    "village_elections",
    "villager_nominations",
    "withdraw_candidate",
]
