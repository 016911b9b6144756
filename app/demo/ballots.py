"""The demo year's election, through the ballots services, on the plan's dates.

Roll built and published 20 days before election day, the objection period passes,
paper nominations, the two most nominated listed; on election day slips are issued,
most vote through their link, some on paper at the public count, two by proxy; the
two tellers count the paper stack, the result is announced and both certify it.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.actors import actor_for
from app.demo import boxes
from app.demo.plan import YearPlan
from app.registry.models import Village
from app.sealed_box import services as sealed_box
from app.settings import Settings
from app.templating import CHINA_TIME
from ballots.models import Election, Electorate, Office, RollEntry, Round, Stage
from ballots.paper import count as paper_count
from ballots.paper import proxies
from ballots.paper import services as paper
from ballots.results import certification as results_certify
from ballots.results import services as results
from ballots.setup import create_election, credentials
from ballots.setup.candidates import add_nomination, publish_candidates
from ballots.setup.roll import build_roll
from ballots.setup.rules import default_profile_name
from ballots.setup.stages import advance, latest_round
from ballots.voting import casting
from slips.links import slip_token
from slips.models import Slip
from slips.services import create_assembly, issue_slips, resolve_slip


class PlanMismatch(RuntimeError):
    """The services did something other than the plan expects (a bug in one of them)."""


def _marks(choice: str) -> list[str]:
    return [choice] if choice else []


def run_election(
    session: Session,
    settings: Settings,
    village: Village,
    plan: YearPlan,
    staff: dict[str, StaffUser],
) -> Election:
    spec = plan.election
    organizer = staff["organizer"]
    actor = actor_for(organizer)
    day = spec.election_day
    assembly = create_assembly(
        session,
        actor,
        village_id=village.id,
        title=f"{plan.year}年选举大会",
        held_on=day,
        place="村委会礼堂",
        links_expire_at=datetime.combine(day, time(23, 59), CHINA_TIME),
    )
    election = create_election(
        session,
        actor,
        village_id=village.id,
        title=spec.title,
        office=Office.DIRECTOR,
        office_label="",
        electorate=Electorate.VILLAGE,
        group_id=None,
        seats=1,
        profile_name=default_profile_name(Office.DIRECTOR),
        overrides={},
        election_day=day,
        assembly_id=assembly.id,
    )
    build_roll(session, actor, election)
    entries = {
        e.person_id: e
        for e in session.scalars(select(RollEntry).where(RollEntry.election_id == election.id))
    }
    if set(entries) != set(spec.roll):
        raise PlanMismatch(f"roll of {len(entries)} people, the plan expects {len(spec.roll)}")
    advance(session, actor, election, Stage.ROLL_PUBLISHED, spec.roll_published_on)
    advance(session, actor, election, Stage.OBJECTIONS_CLOSED, spec.objections_closed_on)
    advance(session, actor, election, Stage.NOMINATIONS, spec.objections_closed_on)
    for number, nominee in enumerate(spec.nominations, start=1):
        add_nomination(
            session, actor, election, nominee_person_id=nominee, nominator_key=f"paper:{number}"
        )
    publish_candidates(session, actor, election, spec.candidates_published_on, len(spec.candidates))
    issue_slips(session, actor, assembly, settings=settings)
    round_ = latest_round(session, election)
    assert round_ is not None
    # Three tellers hold the round's sealed box; voting opens once all set a box password.
    holders = [staff["teller"], staff["teller2"], staff["teller3"]]
    results_certify.set_tellers(session, actor, round_, [t.id for t in holders])
    boxes.set_passwords(session, plan, sealed_box.ELECTION_ROUND, round_.id, holders)
    advance(session, actor, election, Stage.VOTING_OPEN, day)
    _vote(session, settings, plan, election, round_, entries, staff)
    tellers = holders[:2]
    results.close_voting(session, actor, round_, today=day)
    results.open_ballot_box(session, actor, round_, boxes.openers(plan, holders))
    _count_paper(session, plan, round_, tellers)
    paper.close_paper_counting(session, actor_for(tellers[0]), round_, today=day)
    outcome = results.announce(session, actor_for(tellers[0]), round_, today=day)
    for teller in holders:
        results_certify.certify(
            session, teller, outcome, plan.passwords[teller.username], today=day
        )
    return election


def _vote(
    session: Session,
    settings: Settings,
    plan: YearPlan,
    election: Election,
    round_: Round,
    entries: dict[int, RollEntry],
    staff: dict[str, StaffUser],
) -> None:
    day = plan.election.election_day
    actor = actor_for(staff["organizer"])
    for act in plan.election.votes:
        if act.channel == "proxy":
            assert act.proxy_id is not None
            proxies.add_entrustment(
                session,
                actor,
                election,
                entries[act.person_id],
                entries[act.proxy_id],
                day - timedelta(days=3),
                "邻居",
            )
    teller = actor_for(staff["teller"])
    # The villager's phone: the slip's link opens their ballots (their own, and those
    # entrusted to them); the vote is cast on the one chosen. On election day at 10:00.
    voting_time = datetime.combine(day, time(10), CHINA_TIME)
    tokens = {
        slip.person_id: slip_token(settings, slip)
        for slip in session.scalars(select(Slip).where(Slip.assembly_id == election.assembly_id))
    }
    for act in plan.election.votes:
        entry = entries[act.person_id]
        if act.channel == "paper":
            paper.issue_paper_ballot(session, teller, round_, entry, today=day)
            continue
        holder = act.proxy_id if act.channel == "proxy" else act.person_id
        assert holder is not None
        access = resolve_slip(session, settings, tokens[holder], now=voting_time)
        ballot = casting.find_ballot(casting.voter_ballots(session, access), round_.id, entry.id)
        credential = credentials.credential_for(session, election, ballot.entry)
        casting.cast_online(
            session, round_, credential, _marks(act.choice), ballot.channel, today=day
        )


def _count_paper(session: Session, plan: YearPlan, round_: Round, tellers: list[StaffUser]) -> None:
    stack = [act for act in plan.election.votes if act.channel == "paper"]
    for teller in tellers:
        count = paper_count.start_count(session, teller, round_, "1")
        for act in stack:
            paper_count.add_entry(session, count, marks=_marks(act.choice), blank=not act.choice)
