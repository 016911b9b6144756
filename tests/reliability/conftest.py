"""Reliability tests: load, crash and concurrency against real server processes.

The tests share one fresh, migrated database of the kind under test (SQLite file or
PostgreSQL schema, CUNYI_TEST_DATABASE) and start the app in separate processes on it.
`make test` runs bounded sizes; `--reliability-full` runs the issue's (200 phones,
20,000 votes). The figures (time, votes per second) are printed at the end of the run.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.app.helpers import fresh_migrated_database
from tests.conftest import TEST_DATABASE

FIGURES: list[str] = []


@dataclass(frozen=True)
class Sizes:
    clients: int  # phones voting at the same time
    load_votes: int
    crash_votes: int
    kills: int
    races: int  # credentials each sent to two processes at the same instant


BOUNDED = Sizes(
    clients=200,
    load_votes=1_000,
    crash_votes=600,
    kills=3,
    races=100 if TEST_DATABASE == "postgresql" else 30,
)
FULL = Sizes(clients=200, load_votes=20_000, crash_votes=20_000, kills=5, races=100)


@pytest.fixture(scope="session")
def sizes(request: pytest.FixtureRequest) -> Sizes:
    return FULL if request.config.getoption("--reliability-full") else BOUNDED


@dataclass(frozen=True)
class Site:
    """A fresh database and what a deployment's servers share: the key, a data dir."""

    database_url: str
    secret_key: str
    data_dir: Path


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One migrated database for the suite; each test seeds its own village and election
    and checks only its own round."""
    data_dir = tmp_path_factory.mktemp("reliability")
    with fresh_migrated_database(data_dir, "reliability") as url:
        yield Site(url, secrets.token_hex(32), data_dir)


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Records a line for the figures section of the terminal summary."""

    def note(line: str) -> None:
        FIGURES.append(f"[{TEST_DATABASE}] {request.node.name}: {line}")

    return note


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("reliability figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
