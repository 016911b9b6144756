"""Helpers shared by the foundation's security, audit and core tests."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, inspect, select, table, text
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from app.accounts.models import StaffUser
from app.audit.models import AuditEntry
from app.audit.services import GENESIS_HASH, canonical_summary, entry_hash
from app.migrate import upgrade_to_head
from app.permissions import Role
from app.settings import PROJECT_ROOT
from tests import factories
from tests.conftest import drop_postgres_schema, fresh_database_url, sign_in

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# --- Routes -------------------------------------------------------------------------


@dataclass(frozen=True)
class RouteInfo:
    path: str  # the full path template, Mount prefixes included
    name: str
    methods: frozenset[str]
    permission: Any  # None when the route declares none
    route: BaseRoute
    is_mount: bool = False

    @property
    def unsafe_methods(self) -> frozenset[str]:
        return self.methods - SAFE_METHODS


def walk_routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[RouteInfo]:
    """Every endpoint of the app, descending into Mounts that hold routes."""
    for item in routes:
        if isinstance(item, Mount) and item.routes:
            yield from walk_routes(list(item.routes), prefix + item.path)
        elif isinstance(item, Mount):
            permission = getattr(item, "permission", None)
            yield RouteInfo(
                prefix + item.path, item.name or "", frozenset({"GET"}), permission, item, True
            )
        elif isinstance(item, Route):
            permission = getattr(item, "permission", None)
            methods = frozenset(item.methods or {"GET"})
            yield RouteInfo(prefix + item.path, item.name, methods, permission, item)
        else:
            yield RouteInfo(prefix + getattr(item, "path", "?"), "?", frozenset(), None, item)


def param_names(info: RouteInfo) -> list[str]:
    convertors = getattr(info.route, "param_convertors", {})
    return list(convertors)


def fill_path(app: Starlette, info: RouteInfo, ids: dict[str, int]) -> str:
    """The route's URL with every path parameter set to an existing row's id."""
    missing = [name for name in param_names(info) if name not in ids]
    assert not missing, (
        f"route {info.name} ({info.path}) has path parameters {missing}: teach "
        "tests/app/helpers.py `existing_ids` which row each one names"
    )
    params = {name: ids[name] for name in param_names(info)}
    return str(app.url_path_for(info.name, **params))


# --- Data ---------------------------------------------------------------------------


def existing_ids(db: Session, village_id: int, uploader: StaffUser) -> dict[str, int]:
    """One row of every kind in `village`, by the path-parameter names routes use."""
    from app.registry.models import GroupMembership, RollImport, Village

    village = db.get(Village, village_id)
    assert village is not None
    household = factories.HouseholdFactory(village_id=village.id)
    person = factories.PersonFactory(household=household)
    group = factories.GroupFactory(village_id=village.id)
    membership = GroupMembership(person_id=person.id, group_id=group.id, kind=group.kind)
    roll = RollImport(
        village_id=village.id,
        uploaded_by_id=uploader.id,
        filename="roll.csv",
        content=b"",
        sha256="0" * 64,
    )
    db.add_all([membership, roll])
    db.flush()
    other = factories.staff(Role.ORGANIZER, village)
    ids = {
        "township_id": village.township_id,
        "village_id": village.id,
        "household_id": household.id,
        "person_id": person.id,
        "group_id": group.id,
        "membership_id": membership.id,
        "import_id": roll.id,
        "roll_import_id": roll.id,
        "user_id": other.id,
        "staff_id": other.id,
    }
    for key, value in ballot_round_ids(db, village.id, uploader).items():
        ids.setdefault(key, value)
    for key, value in setup_ids(db, ids["election_id"], ids["round_id"], person.id).items():
        ids.setdefault(key, value)
    for key, value in paper_ids(db, ids["election_id"], ids["round_id"], uploader).items():
        ids.setdefault(key, value)
    for key, value in voting_ids(db, ids["election_id"], person.id).items():
        ids.setdefault(key, value)
    for key, value in meeting_vote_ids(db, village.id, uploader, ids.get("meeting_id")).items():
        ids.setdefault(key, value)
    for key, value in minutes_ids(db, ids["meeting_id"], uploader).items():
        ids.setdefault(key, value)
    for key, value in deliberation_ids(db, village.id, uploader, ids).items():
        ids.setdefault(key, value)
    for key, value in survey_ids(db, village.id, uploader, ids).items():
        ids.setdefault(key, value)
    ids.setdefault("token_id", api_token_id(db, village.township_id, uploader))
    ids.setdefault("sha256", ballot_audio_sha256(db, ids["round_id"]))
    return ids


def ballot_audio_sha256(db: Session, round_id: int) -> Any:
    """A recording of the round's ballot read aloud (its route names it by checksum)."""
    from ballots.setup.speech import keep_audio

    return keep_audio(db, round_id, "测试选举。", b"OggS").sha256


def api_token_id(db: Session, township_id: int, creator: StaffUser) -> int:
    """An API token of the township (token pages)."""
    import secrets

    from app.api.models import ApiToken

    token = ApiToken(
        township_id=township_id,
        label="测试令牌",
        token_hash=secrets.token_hex(32),
        created_by_id=creator.id,
    )
    db.add(token)
    db.flush()
    return token.id


def ballot_round_ids(db: Session, village_id: int, creator: StaffUser) -> dict[str, int]:
    """An election with an open first round in the village (results area routes)."""
    from datetime import date

    from ballots.models import Election, Electorate, Office, Round, RoundKind, RoundStatus

    election = Election(
        village_id=village_id,
        title="测试选举",
        office=Office.DIRECTOR,
        electorate=Electorate.VILLAGE,
        seats=1,
        profile_name="village-election",
        election_day=date(2026, 12, 20),
        created_by_id=creator.id,
    )
    db.add(election)
    db.flush()
    round_ = Round(
        election_id=election.id, number=1, kind=RoundKind.FIRST, seats=1, status=RoundStatus.OPEN
    )
    db.add(round_)
    db.flush()
    return {"election_id": election.id, "round_id": round_.id}


def setup_ids(db: Session, election_id: int, round_id: int, person_id: int) -> dict[str, Any]:
    """A roll objection and a candidate of the election (election set-up routes)."""
    from datetime import date

    from ballots.models import Candidate, CandidatePhoto, Election, Objection

    objection = Objection(
        election_id=election_id,
        person_id=person_id,
        filed_by="测试",
        filed_on=date(2026, 11, 1),
        text="测试异议",
    )
    candidate = Candidate(round_id=round_id, person_id=person_id, name="测试候选人", position=1)
    db.add_all([objection, candidate])
    db.flush()
    election = db.get(Election, election_id)
    assert election is not None
    photo = CandidatePhoto(
        election_id=election_id,
        name=candidate.name,
        image=b"\xff\xd8\xff\xd9",
        sha256="0" * 64,
        uploaded_by_id=election.created_by_id,
    )
    db.add(photo)
    db.flush()
    return {"objection_id": objection.id, "candidate_id": candidate.id, "sha256": photo.sha256}


def paper_ids(db: Session, election_id: int, round_id: int, teller: StaffUser) -> dict[str, int]:
    """Roll entries, an entrustment and a paper count (paper, mobile-box and proxy routes)."""
    from app.registry.models import Residence
    from ballots.models import Election, Entrustment, PaperCount, RollEntry

    election = db.get(Election, election_id)
    assert election is not None
    household = factories.HouseholdFactory(village_id=election.village_id)
    voter, proxy = (
        RollEntry(
            election_id=election_id,
            person_id=factories.PersonFactory(household=household).id,
            category=Residence.REGISTERED_RESIDENT,
        )
        for _ in range(2)
    )
    db.add_all([voter, proxy])
    db.flush()
    entrustment = Entrustment(
        election_id=election_id,
        voter_entry_id=voter.id,
        proxy_entry_id=proxy.id,
        written_on=election.election_day,
        relation="邻居",
    )
    count = PaperCount(round_id=round_id, teller_id=teller.id, stack="1")
    db.add_all([entrustment, count])
    db.flush()
    return {"entry_id": voter.id, "entrustment_id": entrustment.id, "count_id": count.id}


def voting_ids(db: Session, election_id: int, person_id: int) -> dict[str, Any]:
    """An assembly the election is voted at, and the person's QR slip for it."""
    from datetime import date

    from app.db import utcnow
    from ballots.models import Election
    from slips.models import Assembly, Slip

    election = db.get(Election, election_id)
    assert election is not None
    assembly = Assembly(
        village_id=election.village_id, title="大会", held_on=date.today(), links_expire_at=utcnow()
    )
    db.add(assembly)
    db.flush()
    election.assembly_id = assembly.id
    slip = Slip(
        assembly_id=assembly.id,
        person_id=person_id,
        # Random, so several villages' rows can exist in one test (tests/security).
        nonce=secrets.token_hex(16),
        secret_hash=secrets.token_hex(32),
        short_code_hash=secrets.token_hex(32),
    )
    db.add(slip)
    db.flush()
    return {
        "assembly_id": assembly.id,
        "slip_id": slip.id,
        # Villager routes open by the link's signature alone (a bearer key, on purpose), so
        # the walk gives them a link no slip answers to: they must refuse and write nothing.
        "token": "not-a-signed-slip-link",
    }


def meeting_vote_ids(
    db: Session, village_id: int, staff: StaffUser, meeting_id: int | None
) -> dict[str, int]:
    """A meeting (unless one exists already), a motion agenda item and a motion (votes)."""
    from app.db import utcnow
    from meetings.models import AgendaItem, ItemKind, Meeting, MeetingKind, Motion, VoteMethod

    if meeting_id is None:
        meeting = Meeting(
            village_id=village_id,
            kind=MeetingKind.VILLAGERS_ASSEMBLY,
            title="测试会议",
            convener="村民委员会",
            host_id=staff.id,
            recorder_id=staff.id,
            place="村委会",
            starts_at=utcnow(),
            created_by_id=staff.id,
        )
        db.add(meeting)
        db.flush()
        meeting_id = meeting.id
    position = len(db.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)).all())
    item = AgendaItem(
        meeting_id=meeting_id, position=position + 1, title="测试议程", kind=ItemKind.MOTION
    )
    db.add(item)
    db.flush()
    motion = Motion(item_id=item.id, text="测试表决", method=VoteMethod.QR, result_json="")
    db.add(motion)
    db.flush()
    return {"meeting_id": meeting_id, "item_id": item.id, "motion_id": motion.id}


def minutes_ids(db: Session, meeting_id: int, staff: StaffUser) -> dict[str, int]:
    """The meeting's minutes and one (unsigned) addendum to them (minutes routes)."""
    from minutes.models import Addendum, Minutes

    minutes = db.scalar(select(Minutes).where(Minutes.meeting_id == meeting_id))
    if minutes is None:
        minutes = Minutes(meeting_id=meeting_id, draft_json="{}")
        db.add(minutes)
        db.flush()
    addendum = Addendum(
        minutes_id=minutes.id, number=1, text="测试更正", sha256="0" * 64, created_by_id=staff.id
    )
    db.add(addendum)
    db.flush()
    return {"minutes_id": minutes.id, "addendum_id": addendum.id}


def deliberation_ids(
    db: Session, village_id: int, staff: StaffUser, ids: dict[str, Any]
) -> dict[str, int]:
    """A compact version sent to the village's group in an open deliberation round."""
    from compacts.models import Comment, Compact, DeliberationRound, RoundGroup, Version

    compact = db.get(Compact, ids["compact_id"]) if "compact_id" in ids else None
    if compact is None:
        compact = Compact(village_id=village_id, title="测试公约", created_by_id=staff.id)
        db.add(compact)
        db.flush()
    structure = '{"articles": [{"number": 1, "title": "", "clauses": ["测试"]}]}'
    version = Version(
        compact_id=compact.id,
        number=900,
        source="## \n测试",
        structure_json=structure,
        sha256="0" * 64,
        author_id=staff.id,
    )
    db.add(version)
    db.flush()
    round_ = DeliberationRound(
        compact_id=compact.id,
        version_id=version.id,
        deadline=date(2099, 1, 1),
        assembly_id=ids.get("assembly_id"),
    )
    db.add(round_)
    db.flush()
    db.add(RoundGroup(round_id=round_.id, group_id=ids["group_id"]))
    db.flush()
    comment = Comment(
        round_id=round_.id, group_id=ids["group_id"], person_id=ids["person_id"], text="测试意见"
    )
    db.add(comment)
    db.flush()
    return {
        "compact_id": compact.id,
        "version_id": version.id,
        "deliberation_id": round_.id,
        "comment_id": comment.id,
    }


def survey_ids(
    db: Session, village_id: int, staff: StaffUser, ids: dict[str, Any]
) -> dict[str, int]:
    """A draft survey of the village with one question."""
    from surveys.models import Audience, Question, QuestionType, Survey, SurveyKind

    survey = Survey(
        village_id=village_id,
        title="测试问卷",
        kind=SurveyKind.CUSTOM,
        audience=Audience.ADULTS,
        year=2026,
        assembly_id=ids.get("assembly_id"),
        created_by_id=staff.id,
    )
    db.add(survey)
    db.flush()
    question = Question(survey_id=survey.id, position=1, text="测试", qtype=QuestionType.SCALE)
    db.add(question)
    db.flush()
    return {"survey_id": survey.id, "question_id": question.id}


def table_counts(connection: Connection) -> dict[str, int]:
    """Row count of every table in the database under test."""
    names = inspect(connection).get_table_names()
    return {
        name: int(connection.scalar(select(func.count()).select_from(table(name))) or 0)
        for name in names
    }


def append_entry(
    db: Session,
    *,
    action: str,
    at: datetime | None = None,
    actor_label: str = "测试",
    township_id: int | None = None,
    village_id: int | None = None,
    summary: dict[str, Any] | None = None,
) -> AuditEntry:
    """An audit entry at a chosen time, correctly chained (for date filters)."""
    from app.db import utcnow

    last = db.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    fields: dict[str, Any] = {
        "seq": (last.seq + 1) if last else 1,
        "at": at or utcnow(),
        "actor_label": actor_label,
        "actor_id": None,
        "action": action,
        "object_type": "test",
        "object_id": "1",
        "summary": canonical_summary(summary or {}),
        "prev_hash": last.hash if last else GENESIS_HASH,
    }
    entry = AuditEntry(
        **fields, hash=entry_hash(**fields), township_id=township_id, village_id=village_id
    )
    db.add(entry)
    db.flush()
    return entry


# --- Clients ------------------------------------------------------------------------


def second_client(app: Starlette) -> TestClient:
    """Another browser on the same app (the `client` fixture is the first)."""
    return TestClient(app, follow_redirects=False)


def signed_in(app: Starlette, user: StaffUser) -> TestClient:
    browser = second_client(app)
    sign_in(browser, user.username)
    return browser


# --- Audit triggers -----------------------------------------------------------------


def drop_audit_triggers(connection: Connection) -> None:
    """Let a test tamper with the log; the test's rollback puts the triggers back."""
    if connection.dialect.name == "sqlite":
        connection.execute(text("DROP TRIGGER audit_entry_no_update"))
        connection.execute(text("DROP TRIGGER audit_entry_no_delete"))
    else:
        for name in ("no_update", "no_delete", "no_truncate"):
            connection.execute(text(f"DROP TRIGGER audit_entry_{name} ON audit_entry"))


# --- Fresh databases and the CLI ----------------------------------------------------


@contextmanager
def fresh_migrated_database(tmp_path: Path, label: str) -> Iterator[str]:
    """A separate, committed database at the newest schema; removed afterwards."""
    url, schema = fresh_database_url(tmp_path, label)
    try:
        upgrade_to_head(url)
        yield url
    finally:
        if schema:
            drop_postgres_schema(schema)


def run_cli(
    database_url: str, data_dir: Path, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`cunyi ARGS` as a separate process, configured only through the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUNYI_")}
    env.update(
        CUNYI_DATABASE_URL=database_url,
        CUNYI_DATA_DIR=str(data_dir),
        CUNYI_SECRET_KEY="cli-test-secret",
        PYTHONPATH=str(PROJECT_ROOT),
    )
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=data_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
