"""Which recording of the ballot read aloud (ballots.setup.speech) a villager's ballot
page offers, without costing the vote path a statement per page.

Once voting opened through a round's sealed box its list cannot change, so the answer
for (round id, box public key, words) is kept in the process like the candidates'
names (ballots.voting.casting.ballot_candidates). A recording found stays found; "none"
is asked again after RETRY_SECONDS, so one made during voting (the organizer's "make it
again") reaches the phones within a minute.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy.orm import Session

from ballots.setup.speech import offered_sha256, words_of
from ballots.voting.casting import VoterBallot

RETRY_SECONDS = 60.0
_KEPT = 512
# {(round id, box public key, words): (checksum or None, when "none" is asked again)}
_OFFERED: dict[tuple[int, bytes, str], tuple[str | None, float]] = {}


def ballot_audio(session: Session, ballot: VoterBallot, names: Sequence[str]) -> str | None:
    """The checksum of the recording that says this ballot's words, None when none does."""
    round_ = ballot.round
    assert round_ is not None
    words = words_of(ballot.election, round_, names)
    if ballot.box is None:
        return offered_sha256(session, round_.id, words)
    key = (round_.id, ballot.box[1], words)
    now = time.monotonic()
    kept = _OFFERED.get(key)
    if kept is not None and (kept[0] is not None or now < kept[1]):
        return kept[0]
    found = offered_sha256(session, round_.id, words)
    if len(_OFFERED) >= _KEPT:
        _OFFERED.clear()
    _OFFERED[key] = (found, now + RETRY_SECONDS)
    return found
