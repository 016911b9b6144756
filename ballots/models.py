"""Elections, rounds, rolls, candidates, credentials, ballots.

Secrecy (DESIGN decision 1): `Ballot` and `Receipt` carry no voter, no credential and
no time finer than the day, and their primary keys are random, so their order says
nothing. `CredentialUse` says *that* a voter voted (and by which channel) and nothing
about *how*. tests/ballots/test_secrecy.py reads this schema and fails on any column
that could link a ballot to a voter or a time.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

import slips.models  # noqa: F401  (the assembly table Election.assembly_id points at)
from app.db import Base, UTCDateTime, str_enum, utcnow
from app.drill import DrillMarker, drill_constraints
from app.registry.models import Residence


class Office(enum.StrEnum):
    DIRECTOR = "director"  # 计生主任/计生专干
    ASSOCIATION_HEAD = "association_head"  # 计生协会会长
    GROUP_LEADER = "group_leader"  # 自管小组长
    OTHER = "other"  # a named post


class Electorate(enum.StrEnum):
    VILLAGE = "village"  # the village's registered voters
    GROUP = "group"  # one group's members
    ASSOCIATION = "association"  # association members


class Stage(enum.StrEnum):
    DRAFT = "draft"
    ROLL_PUBLISHED = "roll_published"
    OBJECTIONS_CLOSED = "objections_closed"
    NOMINATIONS = "nominations"
    CANDIDATES_PUBLISHED = "candidates_published"
    VOTING_OPEN = "voting_open"
    COUNTING = "counting"
    ANNOUNCED = "announced"
    CERTIFIED = "certified"


class RoundKind(enum.StrEnum):
    FIRST = "first"
    FURTHER = "further"  # 另行选举
    TIE_REVOTE = "tie_revote"


class RoundStatus(enum.StrEnum):
    PENDING = "pending"
    OPEN = "open"
    COUNTING = "counting"
    ANNOUNCED = "announced"
    CERTIFIED = "certified"
    VOID = "void"
    ANNULLED = "annulled"  # Art 21, by an auditor, with a reason


class Channel(enum.StrEnum):
    ONLINE = "online"
    PAPER = "paper"
    MOBILE = "mobile"
    PROXY = "proxy"


class BallotSource(enum.StrEnum):
    ONLINE = "online"  # cast through a QR link (voter, proxy or mobile-box kiosk)
    PAPER = "paper"  # entered one at a time during the public count


class Election(DrillMarker, Base):
    """An election; with a drill marker (app.drill) a rehearsal that runs in minutes."""

    __tablename__ = "election"
    __table_args__ = (CheckConstraint("seats >= 1", name="seats_positive"), *drill_constraints())

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    office: Mapped[Office] = mapped_column(str_enum(Office, "office"))
    office_label: Mapped[str] = mapped_column(String(100), default="")
    electorate: Mapped[Electorate] = mapped_column(str_enum(Electorate, "electorate"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("village_group.id"), nullable=True)
    seats: Mapped[int] = mapped_column(Integer)
    profile_name: Mapped[str] = mapped_column(String(40))
    profile_overrides: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON
    election_day: Mapped[date] = mapped_column(Date)
    stage: Mapped[Stage] = mapped_column(str_enum(Stage, "election_stage"), default=Stage.DRAFT)
    roll_published_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    candidates_published_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The assembly at which it is voted; its QR slips open this election's ballot.
    assembly_id: Mapped[int | None] = mapped_column(ForeignKey("assembly.id"), nullable=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    rounds: Mapped[list[Round]] = relationship(back_populates="election", order_by="Round.number")


class Round(Base):
    __tablename__ = "election_round"
    __table_args__ = (
        UniqueConstraint("election_id", "number"),
        CheckConstraint("seats >= 1", name="seats_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("election.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[RoundKind] = mapped_column(str_enum(RoundKind, "round_kind"))
    seats: Mapped[int] = mapped_column(Integer)
    status: Mapped[RoundStatus] = mapped_column(
        str_enum(RoundStatus, "round_status"), default=RoundStatus.PENDING
    )
    status_reason: Mapped[str] = mapped_column(Text, default="")
    # Group-meeting rounds: attendance entered by the organizer (meetings issue: check-ins).
    members: Mapped[int | None] = mapped_column(Integer, nullable=True)
    present: Mapped[int | None] = mapped_column(Integer, nullable=True)
    households: Mapped[int | None] = mapped_column(Integer, nullable=True)
    households_present: Mapped[int | None] = mapped_column(Integer, nullable=True)

    election: Mapped[Election] = relationship(back_populates="rounds")


class RollEntry(Base):
    """A registered voter of one election (选民名单)."""

    __tablename__ = "roll_entry"
    __table_args__ = (UniqueConstraint("election_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("election.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    category: Mapped[Residence] = mapped_column(str_enum(Residence, "roll_category"))
    struck: Mapped[bool] = mapped_column(Boolean, default=False)  # removed on objection
    note: Mapped[str] = mapped_column(Text, default="")
    # Marked by the organizer: cannot come to the assembly, so the mobile ballot box
    # (流动票箱) visits. Says nothing about how or whether the voter voted.
    homebound: Mapped[bool] = mapped_column(Boolean, default=False)


class Credential(Base):
    """One voter's single-use right to vote in an election; the secret is kept as a hash."""

    __tablename__ = "credential"
    __table_args__ = (
        # One live credential per voter per election; revoked ones stay on record.
        Index(
            "uq_credential_live",
            "election_id",
            "roll_entry_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("election.id"), index=True)
    roll_entry_id: Mapped[int] = mapped_column(ForeignKey("roll_entry.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_reason: Mapped[str] = mapped_column(Text, default="")


class CredentialUse(Base):
    """That a credential was used in a round, and how. Never how it voted.

    The unique constraint is the database's refusal of a second vote.
    """

    __tablename__ = "credential_use"
    __table_args__ = (UniqueConstraint("credential_id", "round_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id"))
    round_id: Mapped[int] = mapped_column(ForeignKey("election_round.id"), index=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"))
    used_on: Mapped[date] = mapped_column(Date)


class Ballot(Base):
    """One cast ballot's contents. No voter, no credential, no time finer than the day."""

    __tablename__ = "ballot"
    # SQLite keeps a WITHOUT ROWID table in primary-key (random) order, not casting order.
    __table_args__ = ({"sqlite_with_rowid": False},)

    # Random, so storage and listing order reveal nothing about casting order.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("election_round.id"), index=True)
    source: Mapped[BallotSource] = mapped_column(str_enum(BallotSource, "ballot_source"))
    marks: Mapped[str] = mapped_column(Text)  # canonical JSON list of names
    cast_on: Mapped[date] = mapped_column(Date)


class Receipt(Base):
    """A counted ballot's receipt code, listed on the tracker; deliberately not linked to it."""

    __tablename__ = "receipt"
    __table_args__ = ({"sqlite_with_rowid": False},)

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("election_round.id"), index=True)


class Objection(Base):
    """An objection to the published roll (Art 17), and its decision with reasons."""

    __tablename__ = "roll_objection"

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("election.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), nullable=True)
    filed_by: Mapped[str] = mapped_column(String(100))
    filed_on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    upheld: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class Nomination(Base):
    """A nomination of a person (or a written name) for an election."""

    __tablename__ = "nomination"
    __table_args__ = (
        # A voter nominates at most once per nominee; the Party organization is "party".
        UniqueConstraint("election_id", "nominator_key", "nominee_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("election.id"), index=True)
    nominee_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), nullable=True)
    nominee_name: Mapped[str] = mapped_column(String(50))
    nominee_key: Mapped[str] = mapped_column(String(60))  # "person:<id>" or "name:<name>"
    nominator_key: Mapped[str] = mapped_column(String(60))  # "party", "roll:<id>", "paper:<n>"
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    created_on: Mapped[date] = mapped_column(Date)


class Candidate(Base):
    """A name on one round's ballot, in ballot order."""

    __tablename__ = "candidate"
    __table_args__ = (
        UniqueConstraint("round_id", "name"),
        UniqueConstraint("round_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("election_round.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), nullable=True)
    name: Mapped[str] = mapped_column(String(50))
    position: Mapped[int] = mapped_column(Integer)
    nominations: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")


class Entrustment(Base):
    """委托投票: a voter entrusts a proxy in writing (Art 18)."""

    __tablename__ = "entrustment"
    __table_args__ = (
        # A voter holds one live entrustment; a revoked one stays on record and the
        # voter may then entrust someone else.
        Index(
            "uq_entrustment_live",
            "election_id",
            "voter_entry_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
        CheckConstraint("voter_entry_id <> proxy_entry_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("election.id"), index=True)
    voter_entry_id: Mapped[int] = mapped_column(ForeignKey("roll_entry.id"))
    proxy_entry_id: Mapped[int] = mapped_column(ForeignKey("roll_entry.id"), index=True)
    written_on: Mapped[date] = mapped_column(Date)
    relation: Mapped[str] = mapped_column(String(50))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PaperCount(Base):
    """One teller's independent entry of a stack of paper ballots at the public count."""

    __tablename__ = "paper_count"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("election_round.id"), index=True)
    teller_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    stack: Mapped[str] = mapped_column(String(50), default="1")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PaperCountEntry(Base):
    """One paper ballot as a teller read it out (唱票): its marks, blank or invalid."""

    __tablename__ = "paper_count_entry"
    __table_args__ = (UniqueConstraint("count_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("paper_count.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    marks: Mapped[str] = mapped_column(Text)  # canonical JSON list of names; [] = blank
    invalid: Mapped[bool] = mapped_column(Boolean, default=False)  # spoiled as a whole


class RoundOutcome(Base):
    """A counted result, frozen as JSON with the profile and parameters it was counted under.

    Immutable: announcing, certifying and annulling each add a record; nothing is edited.
    """

    __tablename__ = "round_outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("election_round.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # announced | certified | annulled
    result_json: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Certification(Base):
    """A teller's confirmation, by password, of an announced result."""

    __tablename__ = "certification"
    __table_args__ = (UniqueConstraint("outcome_id", "teller_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome_id: Mapped[int] = mapped_column(ForeignKey("round_outcome.id"), index=True)
    teller_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RoundTeller(Base):
    """A teller named for a round (监票/计票人). Every named teller confirms the result.

    Named by the organizer before the result is announced; certification needs each of
    them (at least two) to confirm with their password.
    """

    __tablename__ = "round_teller"
    __table_args__ = (UniqueConstraint("round_id", "teller_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("election_round.id"), index=True)
    teller_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))


class CandidatePhoto(Base):
    """A candidate's portrait on the ballot, re-encoded server-side to a small JPEG.

    Kept per election and candidate name, so a further round's ballot shows the same face.
    Immutable: a replacement is a new record and the newest for a name is shown; a record
    without an image says the photo was taken off.
    """

    __tablename__ = "candidate_photo"
    __table_args__ = (
        CheckConstraint("image IS NULL OR (length(image) BETWEEN 1 AND 10240)", name="image_small"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("election.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    image: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # JPEG
    sha256: Mapped[str] = mapped_column(String(64), default="")
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BallotHelp(Base):
    """代写: a voter who cannot write asked a person of their choosing to write the ballot.

    Recorded when a teller issues a paper ballot or at the mobile ballot box. It names
    the voter and the helper, never the ballot: no ballot row refers to it and it holds
    nothing of what was written, and its time is the day only, like CredentialUse.
    """

    __tablename__ = "ballot_help"
    __table_args__ = (
        UniqueConstraint("round_id", "roll_entry_id"),
        CheckConstraint("channel IN ('paper', 'mobile')", name="helped_channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("election_round.id"), index=True)
    roll_entry_id: Mapped[int] = mapped_column(ForeignKey("roll_entry.id"))
    helper_person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"))
    recorded_on: Mapped[date] = mapped_column(Date)


class ElectionFacilities(Base):
    """The polling arrangements the organizer reports for the township's election report:
    ballot boxes and mobile boxes used, secret writing booths (秘密写票处).

    Entered, not derived: the ledger knows channels, not boxes. Immutable; a correction
    is a new record and the newest counts.
    """

    __tablename__ = "election_facilities"
    __table_args__ = (
        CheckConstraint(
            "ballot_boxes >= 0 AND mobile_boxes >= 0 AND booths >= 0", name="not_negative"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("election.id"), index=True)
    ballot_boxes: Mapped[int] = mapped_column(Integer)
    mobile_boxes: Mapped[int] = mapped_column(Integer)
    booths: Mapped[int] = mapped_column(Integer)
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BallotAudio(Base):
    """The ballot read aloud (office, seats, each candidate's number and name), made by an
    offline speech engine when the candidates are published.

    Immutable; when the ballot's words change (a withdrawal) a new record is made and the
    newest whose words match the ballot is offered.
    """

    __tablename__ = "ballot_audio"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("election_round.id"), index=True)
    words: Mapped[str] = mapped_column(Text)  # what the recording says, as text
    audio: Mapped[bytes] = mapped_column(LargeBinary)
    media_type: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
