"""A seeded village for the API tests: an announced election, a closed meeting with
attendance, the township admin, and tokens for the township and for the village."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.actors import actor_for
from app.api import services
from app.permissions import Role
from app.registry.models import Person, Village
from ballots.models import Election
from ballots.results import services as results
from meetings.models import Meeting, MeetingKind, MeetingStatus
from tests import factories
from tests.ballots.results_support import ELECTION_DAY, make_poll
from tests.meetings.meetings_support import arrive

YEAR = 2026


@dataclass
class Seeded:
    village: Village
    other: Village  # same township
    admin: StaffUser
    election: Election
    meeting: Meeting
    township_token: str
    village_token: str
    other_token: str  # bound to `other`
    foreign_token: str  # another township

    def bearer(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.township_token}"}


def _token(db: Session, admin: StaffUser, village_id: int | None, label: str) -> str:
    return services.create_token(db, actor_for(admin), admin, label, village_id).secret


@pytest.fixture
def seeded(db: Session) -> Seeded:
    poll = make_poll(db, voters=10, candidates=("甲", "乙", "丙"))
    village = poll.village
    poll.votes([["甲"]] * 4 + [["乙"]] * 2 + [["丙"]])
    results.close_voting(db, poll.actor, poll.round, ELECTION_DAY)
    results.announce(db, poll.actor, poll.round, ELECTION_DAY)
    meeting = Meeting(
        village_id=village.id,
        kind=MeetingKind.VILLAGERS_ASSEMBLY,
        title="2026年村民会议",
        convener="村民委员会",
        host_id=poll.organizer.id,
        recorder_id=poll.organizer.id,
        place="村委会礼堂",
        starts_at=datetime(YEAR, 6, 1, 1, 0, tzinfo=UTC),
        status=MeetingStatus.OPEN,
        created_by_id=poll.organizer.id,
    )
    db.add(meeting)
    db.flush()
    people = [entry.person_id for entry in poll.entries]
    for person_id in people[:6]:
        arrive(db, meeting, db.get(Person, person_id))
    meeting.status = MeetingStatus.CLOSED
    meeting.ends_at = datetime(YEAR, 6, 1, 3, 0, tzinfo=UTC)
    db.flush()
    other = factories.VillageFactory(township=village.township)
    admin = factories.staff(Role.TOWNSHIP_ADMIN, township=village.township)
    far_admin = factories.staff(Role.TOWNSHIP_ADMIN)
    return Seeded(
        village=village,
        other=other,
        admin=admin,
        election=poll.election,
        meeting=meeting,
        township_token=_token(db, admin, None, "县数据平台"),
        village_token=_token(db, admin, village.id, "本村公开栏"),
        other_token=_token(db, admin, other.id, "邻村"),
        foreign_token=_token(db, far_admin, None, "别的乡镇"),
    )
