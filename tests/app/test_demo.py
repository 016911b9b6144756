"""`cunyi demo` on an empty database: two villages, ~300 people, one account per role,
and the first village's year (election, meetings, compact, surveys) for its assessment."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import Secret
from starlette.testclient import TestClient

from app.accounts.models import StaffUser
from app.cli import main
from app.db import Base, make_engine
from app.main import create_app
from app.migrate import upgrade_to_head
from app.permissions import Role
from app.registry.models import Group, GroupKind, GroupMembership, Household, Person, Village
from app.registry.rules import today_in_china
from app.settings import Settings
from assessment.services import village_assessment
from tests.conftest import csrf_from, drop_postgres_schema, fresh_database_url


@pytest.fixture
def empty_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated, empty database that the `cunyi` command is pointed at."""
    url, schema = fresh_database_url(tmp_path, "demo")
    upgrade_to_head(url)
    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setenv("CUNYI_DATABASE_URL", url)
    monkeypatch.setenv("CUNYI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CUNYI_SECRET_KEY", uuid.uuid4().hex)
    yield url
    if schema:
        drop_postgres_schema(schema)


def printed_signins(output: str) -> dict[Role, tuple[str, str]]:
    """{role: (username, password)} from the lines `cunyi demo` prints."""
    roles = {role.value: role for role in Role}
    signins = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[2] in roles:
            signins[roles[parts[2]]] = (parts[0], parts[1])
    return signins


def count(session: Session, entity: type[Base]) -> int:
    return int(session.scalar(select(func.count()).select_from(entity)) or 0)


def test_demo_builds_a_township_and_its_signins_work(
    empty_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == 0
    signins = printed_signins(capsys.readouterr().out)

    engine = make_engine(empty_database)
    with Session(engine) as session:
        assert count(session, Village) == 2
        assert 250 <= count(session, Person) <= 350
        assert set(session.scalars(select(Group.kind).distinct())) == set(GroupKind)
        assert set(session.scalars(select(GroupMembership.kind).distinct())) == set(GroupKind)
        representatives = session.execute(
            select(Household.id, func.count(Person.id))
            .outerjoin(
                Person, (Person.household_id == Household.id) & Person.is_household_representative
            )
            .group_by(Household.id)
        ).all()
        assert representatives, "no households"
        assert {n for _household, n in representatives} == {1}
        roles = list(session.scalars(select(StaffUser.role)))
        # Three tellers: two count the paper, and a sealed box needs k+1 = 3 holders ready.
        assert set(roles) == set(Role) and len(roles) == len(Role) + 2
        # 桃源村 lived through this year (app.demo.planning): every standard has a figure.
        first, second = session.scalars(select(Village).order_by(Village.id)).all()
        year = today_in_china().year
        lived = village_assessment(session, first.id, year)
        assert lived.standards and all(r.value is not None for r in lived.standards)
        quiet = village_assessment(session, second.id, year)
        assert all(r.value is None and r.passed is None for r in quiet.standards)
    engine.dispose()

    assert set(signins) == set(Role)
    settings = Settings(
        database_url=empty_database, secret_key=Secret(uuid.uuid4().hex), data_dir=tmp_path
    )
    with TestClient(create_app(settings), follow_redirects=False) as client:
        for role, (username, password) in signins.items():
            token = csrf_from(client, "/signin")
            response = client.post(
                "/signin", data={"username": username, "password": password, "csrf_token": token}
            )
            assert response.status_code == 303, f"{role}: {username} could not sign in"
            assert client.get("/").status_code == 200
            client.cookies.clear()


def test_second_demo_refuses_and_changes_nothing(
    empty_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == 0
    capsys.readouterr()
    engine = make_engine(empty_database)
    with Session(engine) as session:
        people = count(session, Person)

    assert main(["demo"]) == 1
    assert "已有数据" in capsys.readouterr().err
    with Session(engine) as session:
        assert count(session, Person) == people
        assert count(session, Village) == 2
    engine.dispose()
