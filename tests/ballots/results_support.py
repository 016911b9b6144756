"""Rows for the results-area tests, made directly with the models (no other area needed).

`Poll` is one election with an open round, its roll and one credential per voter;
`Poll.vote` stores what a vote leaves once the round's sealed box is opened: a credential
use, a ballot and a receipt. The round has no sealed box (nothing to open before
counting); the box itself is tested through casting (tests/ballots/test_casting.py,
test_sealed_round.py) and app.sealed_box (tests/app/test_sealed_box.py).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.actors import Actor, actor_for
from app.permissions import Role
from app.registry.models import Group, GroupMembership, Residence, Village
from ballots.models import (
    Ballot,
    BallotSource,
    Candidate,
    Channel,
    Credential,
    CredentialUse,
    Election,
    Electorate,
    Office,
    Receipt,
    RollEntry,
    Round,
    RoundKind,
    RoundStatus,
    Stage,
)
from tests import factories

ELECTION_DAY = date(2026, 12, 20)


@dataclass
class Poll:
    db: Session
    village: Village
    organizer: StaffUser
    election: Election
    round: Round
    entries: list[RollEntry]
    credentials: dict[int, Credential] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)

    @property
    def actor(self) -> Actor:
        return actor_for(self.organizer)

    def vote(
        self,
        entry: RollEntry,
        marks: Sequence[str],
        channel: Channel = Channel.ONLINE,
        round_: Round | None = None,
    ) -> str:
        """A vote as the count sees it once the box is opened; returns the receipt code."""
        round_ = round_ or self.round
        self.db.add(
            CredentialUse(
                credential_id=self.credentials[entry.id].id,
                round_id=round_.id,
                channel=channel,
                used_on=ELECTION_DAY,
            )
        )
        self.db.add(
            Ballot(
                id=secrets.token_hex(16),
                round_id=round_.id,
                source=BallotSource.ONLINE,
                marks=json.dumps(sorted(marks), ensure_ascii=False),
                cast_on=ELECTION_DAY,
            )
        )
        code = secrets.token_hex(5).upper()
        self.db.add(Receipt(code=code, round_id=round_.id))
        self.db.flush()
        return code

    def votes(self, ballots: Sequence[Sequence[str]], start: int = 0) -> list[str]:
        return [
            self.vote(entry, marks)
            for entry, marks in zip(self.entries[start:], ballots, strict=False)
        ]

    def open_round(self, round_: Round) -> None:
        """What opening voting for a further round does (E1's advance), done directly."""
        round_.status = RoundStatus.OPEN
        self.election.stage = Stage.VOTING_OPEN
        self.db.flush()
        self.round = round_

    def teller(self, name: str = "") -> StaffUser:
        kwargs = {"display_name": name} if name else {}
        return factories.staff(Role.TELLER, self.village, **kwargs)


def make_poll(
    db: Session,
    *,
    voters: int = 10,
    seats: int = 1,
    candidates: Sequence[str] = ("甲", "乙", "丙"),
    profile: str = "village-election",
    overrides: str = "{}",
    groups: int = 0,
) -> Poll:
    """An election in VOTING_OPEN with round 1 open, `voters` on the roll."""
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    made_groups = [factories.GroupFactory(village_id=village.id) for _ in range(groups)]
    election = Election(
        village_id=village.id,
        title="计生主任选举",
        office=Office.GROUP_LEADER if profile == "group-meeting" else Office.DIRECTOR,
        electorate=Electorate.GROUP if profile == "group-meeting" else Electorate.VILLAGE,
        group_id=made_groups[0].id if profile == "group-meeting" and made_groups else None,
        seats=seats,
        profile_name=profile,
        profile_overrides=overrides,
        election_day=ELECTION_DAY,
        stage=Stage.VOTING_OPEN,
        roll_published_on=date(2026, 11, 20),
        candidates_published_on=date(2026, 12, 1),
        created_by_id=organizer.id,
    )
    db.add(election)
    db.flush()
    round_ = Round(
        election_id=election.id,
        number=1,
        kind=RoundKind.FIRST,
        seats=seats,
        status=RoundStatus.OPEN,
    )
    db.add(round_)
    db.flush()
    db.add_all(
        Candidate(round_id=round_.id, name=name, position=n)
        for n, name in enumerate(candidates, start=1)
    )
    poll = Poll(db, village, organizer, election, round_, [], groups=made_groups)
    for n in range(voters):
        household = factories.HouseholdFactory(village_id=village.id)
        person = factories.PersonFactory(household=household)
        if made_groups:
            group = made_groups[n % len(made_groups)]
            db.add(GroupMembership(person_id=person.id, group_id=group.id, kind=group.kind))
        entry = RollEntry(
            election_id=election.id, person_id=person.id, category=Residence.REGISTERED_RESIDENT
        )
        db.add(entry)
        db.flush()
        credential = Credential(
            election_id=election.id, roll_entry_id=entry.id, secret_hash=secrets.token_hex(32)
        )
        db.add(credential)
        db.flush()
        poll.entries.append(entry)
        poll.credentials[entry.id] = credential
    db.expire(election, ["rounds"])
    return poll
