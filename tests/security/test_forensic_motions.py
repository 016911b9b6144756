"""Forensics (issue 12): whoever holds the database cannot tell how anyone voted on a QR
motion, while the vote is open or after it closed.

As tests/security/test_forensic_ballots.py, for a villagers' assembly: 30 attendees
vote by QR (10 yes, 10 no, 10 abstain) in a known order, one transaction per vote,
their votes sealed into the meeting's box; the adversary copies the files (or reads as
a superuser) mid-vote, after the organizer closed the motion with two tellers' box
passwords (which opens its votes and writes them as motion_vote rows), and after the
scrub the web layer runs then; and once the meeting closed, which erases the box's key.
With three choices the bar is high (chance pairs 10
voters of 30 with their own vote): what it catches is an order that follows the voting.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select

from app.accounts.models import StaffUser
from app.actors import actor_for
from app.db import Database, make_engine
from app.registry.models import Person
from app.sealed_box import services as sealed_box
from app.sealed_box.models import SealedChoice
from app.settings import load_or_create_secret_key
from meetings import services as meeting_services
from meetings import votes
from meetings.models import Choice, Meeting, Motion
from tests import factories
from tests.app.helpers import fresh_migrated_database
from tests.meetings import votes_support
from tests.security import forensics
from tests.security.forensics import MOTIONS, SEALED, Adversary

VOTERS = 30
SEED = 20261203


@dataclass
class Vote:
    motion_id: int
    meeting_id: int
    box_id: int
    organizer_id: int
    person_ids: list[int]
    holder_names: list[str]


@dataclass
class Truth:
    choices: dict[int, str] = field(default_factory=dict)  # person id -> yes/no/abstain
    sealed: dict[int, str] = field(default_factory=dict)  # person id -> the sealed row added


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[Database, str]]:
    with fresh_migrated_database(tmp_path, "forensic_motions") as url:
        database = Database(make_engine(url))
        try:
            yield database, url
        finally:
            database.dispose()


def _prepare(database: Database) -> Vote:
    with database.transaction() as session:
        factories.bind(session)
        hall = votes_support.hall(session, adults=VOTERS)
        votes_support.arrive(session, hall.meeting, *hall.people)
        motion = votes_support.motion(session, hall.item)  # opened: the box is sealed
        box = sealed_box.find_box(session, sealed_box.MEETING, hall.meeting.id)
        assert box is not None and box.sealed_at is not None
        return Vote(
            motion.id,
            hall.meeting.id,
            box.id,
            hall.organizer.id,
            [p.id for p in hall.people],
            [t.display_name for t in hall.tellers],
        )


def _sealed_ids(database: Database, box_id: int) -> set[str]:
    with database.transaction(write=False) as session:
        return set(session.scalars(select(SealedChoice.id).where(SealedChoice.box_id == box_id)))


def _vote_all(database: Database, vote: Vote) -> Truth:
    rng = random.Random(SEED)
    order = list(vote.person_ids)
    rng.shuffle(order)
    choices = [list(Choice)[i % 3] for i in range(VOTERS)]
    rng.shuffle(choices)
    truth = Truth()
    before = _sealed_ids(database, vote.box_id)
    for person_id, choice in zip(order, choices, strict=True):
        with database.transaction() as session:
            motion = session.get(Motion, vote.motion_id)
            person = session.get(Person, person_id)
            assert motion is not None and person is not None
            votes.cast_qr_vote(session, motion, person, choice)
        truth.choices[person_id] = choice.value
        after = _sealed_ids(database, vote.box_id)
        (added,) = after - before
        truth.sealed[person_id] = added
        before = after
    return truth


def _needles(vote: Vote) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """A vote in clear: the sealing payload as the meeting's box would hold it."""
    unique = {
        f"the payload of a {c.value} vote": json.dumps(
            {"motion": vote.motion_id, "choice": c.value}, ensure_ascii=False, sort_keys=True
        ).encode()
        for c in Choice
    }
    return {}, unique


def test_whoever_holds_the_database_cannot_link_qr_votes_to_voters(
    database: tuple[Database, str], tmp_path: Path
) -> None:
    db, url = database
    vote = _prepare(db)
    secret_key = load_or_create_secret_key(tmp_path / "data")
    key_file = (tmp_path / "data" / "secret.key").read_bytes()
    adversary = Adversary(
        url,
        tmp_path / "copies",
        MOTIONS,
        {
            "motion_vote_use": vote.motion_id,
            "motion_vote": vote.motion_id,
            "sealed_choice": vote.box_id,
        },
    )
    verdict = forensics.Verdict()
    truth_tables: dict[str, dict[int, str]] = {}
    try:
        truth = _vote_all(db, vote)
        truth_tables = {"motion_vote": truth.choices}

        mid = adversary.look("mid-vote", (SEALED,))
        verdict.mid_vote(
            mid,
            truth_tables,
            truth.sealed,
            _needles(vote),
            box_id=vote.box_id,
            extra_material=[key_file, secret_key],
            password_guesses=[secret_key, "12345678", vote.holder_names[0]],
        )

        # The organizer closes the motion, two tellers typing their box passwords.
        with db.transaction() as session:
            motion = session.get(Motion, vote.motion_id)
            organizer = session.get(StaffUser, vote.organizer_id)
            assert motion is not None and organizer is not None
            votes_support.close_with_box(session, actor_for(organizer), motion)
        closed = adversary.look("after the close, before the scrub", (SEALED,))
        verdict.linking(closed, truth_tables)

        sealed_box.scrub(db)
        after = adversary.look("after the scrub", (SEALED,))
        assert len(after.findings.values.get("motion_vote", {})) == VOTERS, "the tools read votes"
        verdict.linking(after, truth_tables)
        # The box keeps its key for the meeting's next QR motion: only the opened
        # votes' sealed rows must be gone.
        verdict.no_sealed_traces(mid, after, vote.box_id, shares=False)

        # The meeting closes: the box's key is erased (meetings.services.close_meeting).
        with db.transaction() as session:
            meeting = session.get(Meeting, vote.meeting_id)
            organizer = session.get(StaffUser, vote.organizer_id)
            assert meeting is not None and organizer is not None
            meeting_services.close_meeting(session, actor_for(organizer), meeting)
        sealed_box.scrub(db)  # what the close view runs once the close committed
        ended = adversary.look("after the meeting closed")
        verdict.linking(ended, truth_tables)
        verdict.no_sealed_traces(mid, ended, vote.box_id)
    finally:
        adversary.close()
    report = verdict.report(mid, closed, after, ended)
    print(report)
    assert not verdict.problems, "\n".join([*verdict.problems, "", report])
