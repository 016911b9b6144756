"""The objects the election routes name in their paths, for the request layer to load
and scope-check (app.web.PathObject), and the `route`s that declare them on each route.

Two tables, because set-up pages and the rest answer another village's election
differently: the organizer's set-up pages (ballots.setup) answer it like a missing one
(404, `setup_route`), since its existence is none of this user's business; the paper,
counting and results pages refuse it (403, `route`), as every other staff page does.
"""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from app.drill import DrillBanner, banner_for
from app.i18n import lazy
from app.registry.models import Village
from app.registry.paths import VILLAGE
from app.web import PathObject, routes_loading
from ballots.exceptions import ElectionNotFound
from ballots.models import Candidate, Election, Entrustment, Objection, PaperCount, RollEntry, Round
from slips.paths import ASSEMBLY


def _village_of(session: Session, election_id: int) -> Village | None:
    election = session.get(Election, election_id)
    return None if election is None else session.get(Village, election.village_id)


def _election_village(session: Session, election: Election) -> Village | None:
    return session.get(Village, election.village_id)


def _round_village(session: Session, round_: Round) -> Village | None:
    return _village_of(session, round_.election_id)


def _count_village(session: Session, count: PaperCount) -> Village | None:
    round_ = session.get(Round, count.round_id)
    return None if round_ is None else _village_of(session, round_.election_id)


def _in_election(session: Session, thing: Objection | Entrustment) -> Village | None:
    return _village_of(session, thing.election_id)


def _checked_by_view(_session: Session, _entry: RollEntry) -> Village | None:
    return None


def _candidate_village(session: Session, candidate: Candidate) -> Village | None:
    round_ = session.get(Round, candidate.round_id)
    return None if round_ is None else _village_of(session, round_.election_id)


def _candidate_election(candidate: Candidate) -> int:
    session = inspect(candidate).session
    round_ = None if session is None else session.get(Round, candidate.round_id)
    return -1 if round_ is None else round_.election_id


def _election_drill(_session: Session, election: Election) -> DrillBanner | None:
    return banner_for(election)


def _drill_of(session: Session, election_id: int) -> DrillBanner | None:
    return banner_for(session.get(Election, election_id))


def _round_drill(session: Session, round_: Round) -> DrillBanner | None:
    return _drill_of(session, round_.election_id)


def _count_drill(session: Session, count: PaperCount) -> DrillBanner | None:
    round_ = session.get(Round, count.round_id)
    return None if round_ is None else _drill_of(session, round_.election_id)


def _in_election_drill(session: Session, thing: Objection | Entrustment) -> DrillBanner | None:
    return _drill_of(session, thing.election_id)


ELECTION = PathObject(
    "election_id", Election, lazy("没有这个选举。"), _election_village, drill=_election_drill
)
# The set-up pages' election: another village's is answered like a missing one.
SETUP_ELECTION = PathObject(
    "election_id",
    Election,
    lazy("没有这个选举，它可能已被删除，或链接有误。"),
    _election_village,
    not_found=ElectionNotFound,
    hidden=True,
    drill=_election_drill,
)
ROUND = PathObject("round_id", Round, lazy("没有这一轮投票。"), _round_village, drill=_round_drill)
COUNT = PathObject(
    "count_id", PaperCount, lazy("没有这份计票记录。"), _count_village, drill=_count_drill
)
OBJECTION = PathObject(
    "objection_id",
    Objection,
    lazy("没有这件异议。"),
    _in_election,
    within=("election_id", lambda objection: objection.election_id),
    drill=_in_election_drill,
)
CANDIDATE = PathObject(
    "candidate_id",
    Candidate,
    lazy("没有这位候选人。"),
    _candidate_village,
    within=("election_id", _candidate_election),
)
ENTRUSTMENT = PathObject(
    "entrustment_id",
    Entrustment,
    lazy("没有这份委托。"),
    _in_election,
    drill=_in_election_drill,
)
# A voter on a roll. No scope check of its own: the view checks it is on the roll (not
# struck) of the round's election, which the round's scope check already covers.
ENTRY = PathObject("entry_id", RollEntry, lazy("选民名单上没有这个人。"), _checked_by_view)

# Villagers' `token` routes check their objects against the slip.
route = routes_loading(VILLAGE, ASSEMBLY, ELECTION, ROUND, COUNT, ENTRUSTMENT, ENTRY)
setup_route = routes_loading(VILLAGE, SETUP_ELECTION, OBJECTION, CANDIDATE)
