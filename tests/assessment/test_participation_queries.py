"""The figures cost the same number of queries for a small village as for a big one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.permissions import Role
from app.registry.models import Village
from assessment.participation import participation
from ballots.models import Channel
from compacts.models import DeliveryMethod, DeliveryReceipt
from meetings.models import AttendanceEvent, CheckInMethod
from minutes.models import SignerRole
from tests import factories
from tests.meetings.meetings_support import adults


@contextmanager
def count_statements(db: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = db.get_bind()

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def populate(db: Session, size: int) -> Village:
    """One closed election round, two closed meetings with signed and posted minutes, one
    deliberation round with two groups, one adopted and published version: `size`
    villagers doing everything."""
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    people = adults(village, size)
    groups = [factories.GroupFactory(village_id=village.id) for _ in range(2)]
    for n, person in enumerate(people):
        factories.MembershipFactory(person_id=person.id, group_id=groups[n % 2].id)
    election = factories.ElectionFactory(village_id=village.id, created_by_id=organizer.id)
    round_ = factories.ElectionRoundFactory(election_id=election.id)
    compact = factories.CompactFactory(village_id=village.id, created_by_id=organizer.id)
    version = factories.CompactVersionFactory(compact_id=compact.id, author_id=organizer.id)
    deliberation = factories.DeliberationRoundFactory(compact_id=compact.id, version_id=version.id)
    for group in groups:
        factories.RoundGroupFactory(round_id=deliberation.id, group_id=group.id)
    factories.AdoptionFactory(
        version_id=version.id, adopted_on=date(2026, 6, 1), recorded_by_id=organizer.id
    )
    factories.PublicationFactory(
        version_id=version.id, published_on=date(2026, 6, 2), published_by_id=organizer.id
    )
    meetings = []
    for month in (3, 4):
        ends = datetime(2026, month, 1, 4, tzinfo=UTC)
        meeting = factories.MeetingFactory(
            village_id=village.id,
            host_id=organizer.id,
            recorder_id=organizer.id,
            created_by_id=organizer.id,
            starts_at=ends - timedelta(hours=2),
            ends_at=ends,
        )
        minutes = factories.MinutesFactory(meeting_id=meeting.id)
        for role in SignerRole:
            factories.SignatureFactory(
                minutes_id=minutes.id, role=role, signer_id=organizer.id, at=ends
            )
        factories.PostingFactory(
            minutes_id=minutes.id,
            posted_on=date(2026, month, 2),
            until=date(2026, month, 20),
            posted_by_id=organizer.id,
        )
        meetings.append(meeting)
    for n, person in enumerate(people):
        entry = factories.RollEntryFactory(election_id=election.id, person_id=person.id)
        credential = factories.CredentialFactory(election_id=election.id, roll_entry_id=entry.id)
        factories.CredentialUseFactory(
            credential_id=credential.id, round_id=round_.id, channel=Channel.ONLINE
        )
        for meeting in meetings:
            db.add(
                AttendanceEvent(
                    meeting_id=meeting.id,
                    person_id=person.id,
                    arrived=True,
                    method=CheckInMethod.TICK,
                )
            )
        db.add(
            DeliveryReceipt(
                version_id=version.id,
                household_id=person.household_id,
                method=DeliveryMethod.LEADER,
            )
        )
        group = groups[n % 2]
        made = factories.CommentFactory(
            round_id=deliberation.id, group_id=group.id, person_id=person.id
        )
        factories.AnswerFactory(comment_id=made.id, answered_by_id=organizer.id)
        factories.MemberVoteFactory(
            round_id=deliberation.id, group_id=group.id, person_id=person.id
        )
    db.flush()
    return village


def test_query_count_does_not_grow_with_the_village(db):
    small, big = populate(db, 2), populate(db, 12)
    counts = []
    for village in (small, big):
        db.expire_all()
        with count_statements(db) as statements:
            figures = participation(db, village.id, 2026)
        counts.append(len(statements))
        assert all(f.overall.value == Fraction(1) for f in figures), [
            (f.code, f.overall) for f in figures
        ]

    assert counts[0] == counts[1], counts
