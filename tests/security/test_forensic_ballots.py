"""Forensics (issue 12): whoever holds the database cannot tell how anyone voted in an
election round, by any route the files give, while voting is open or after the count.

On its own committed database (SQLite file or PostgreSQL schema, whichever the suite
runs on), 30 voters cast known ballots (10 for each candidate, each with its receipt)
in a known order, one transaction per cast as a request does. The adversary
(tests/security/forensics.py) copies the files, or reads as a superuser, three times:
mid-vote, after the tellers opened the box, and after the scrub that follows. Each time
he orders the credential uses and the ballot and receipt rows every way he can and
pairs them; the test fails when his best pairing beats chance by the binomial bar of
`forensics.threshold` (p < 0.001 over all his guesses together), when a choice or a
receipt is readable in clear mid-vote, or when the sealed ballots open with anything
the database and the data directory hold.

As a check on the tools, the same orderings must link the voters to their *sealed*
rows mid-vote (they are ciphertext, so that says nothing of a choice): an attacker
who could not even see that order would prove nothing by failing on the ballots.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select, text

from app.actors import Actor
from app.db import Database, make_engine
from app.sealed_box import services as sealed_box
from app.sealed_box.models import SealedChoice
from app.settings import load_or_create_secret_key
from ballots.models import Channel, Credential, Round
from ballots.results import services as results
from ballots.setup import credentials
from ballots.voting import casting
from tests import factories
from tests.app.helpers import fresh_migrated_database
from tests.ballots import factories_elections as fe
from tests.security import forensics
from tests.security.forensics import BALLOTS, SEALED, Adversary

VOTERS = 30
SEED = 20261202


@dataclass
class Election:
    round_id: int
    box_id: int
    credential_ids: list[int]
    holder_names: list[str]


@dataclass
class Truth:
    """What the test knows and the attacker wants: per credential, its ballot and receipt."""

    marks: dict[int, str] = field(default_factory=dict)  # as ballot.marks stores them
    receipts: dict[int, str] = field(default_factory=dict)
    sealed: dict[int, str] = field(default_factory=dict)  # the sealed row each cast added

    def tables(self) -> dict[str, dict[int, str]]:
        return {"ballot": self.marks, "receipt": self.receipts}


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[Database, str]]:
    with fresh_migrated_database(tmp_path, "forensic_ballots") as url:
        database = Database(make_engine(url))
        try:
            yield database, url
        finally:
            database.dispose()


def _prepare(database: Database) -> Election:
    with database.transaction() as session:
        factories.bind(session)
        voting = fe.voting(session, voters=VOTERS)
        ids = [
            credentials.credential_for(session, voting.election, entry).id
            for entry in voting.entries
        ]
        box = sealed_box.find_box(session, sealed_box.ELECTION_ROUND, voting.round.id)
        assert box is not None
        status = sealed_box.box_status(session, sealed_box.ELECTION_ROUND, voting.round.id)
        names = [h.name for h in status.holders]
        return Election(voting.round.id, box.id, ids, names)


def _sealed_ids(database: Database, box_id: int) -> set[str]:
    with database.transaction(write=False) as session:
        return set(session.scalars(select(SealedChoice.id).where(SealedChoice.box_id == box_id)))


def _cast_all(database: Database, election: Election) -> Truth:
    """30 ballots, 10 per candidate, in a known order unrelated to the roll's."""
    rng = random.Random(SEED)
    order = list(election.credential_ids)
    rng.shuffle(order)
    names = [fe.CANDIDATES[i % len(fe.CANDIDATES)] for i in range(VOTERS)]
    rng.shuffle(names)
    truth = Truth()
    before = _sealed_ids(database, election.box_id)
    for credential_id, name in zip(order, names, strict=True):
        with database.transaction() as session:
            round_ = session.get(Round, election.round_id)
            credential = session.get(Credential, credential_id)
            assert round_ is not None and credential is not None
            code = casting.cast_online(session, round_, credential, [name], Channel.ONLINE)
        truth.marks[credential_id] = json.dumps([name], ensure_ascii=False, separators=(",", ":"))
        truth.receipts[credential_id] = code
        # The test's own note of which sealed row this cast added (the attacker's
        # orderings of the sealed rows are checked against it).
        after = _sealed_ids(database, election.box_id)
        (added,) = after - before
        truth.sealed[credential_id] = added
        before = after
    return truth


def _needles(truth: Truth) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """(private, unique) byte strings that would be a choice in clear: a ballot's marks
    as stored, a receipt, and the sealing payload's form of both."""
    private = {f"ballot marks {m}": m.encode() for m in set(truth.marks.values())}
    private |= {
        f"marks in a payload {m}": f'"marks": {json.dumps(json.loads(m), ensure_ascii=False)}'.encode()
        for m in set(truth.marks.values())
    }
    unique = {f"receipt {c}": c.encode() for c in truth.receipts.values()}
    unique |= {
        f"receipt in a payload {c}": f'"receipt": "{c}"'.encode() for c in truth.receipts.values()
    }
    return private, unique


def test_whoever_holds_the_database_cannot_link_ballots_to_voters(
    database: tuple[Database, str], tmp_path: Path
) -> None:
    db, url = database
    election = _prepare(db)
    secret_key = load_or_create_secret_key(tmp_path / "data")
    key_file = (tmp_path / "data" / "secret.key").read_bytes()
    adversary = Adversary(
        url,
        tmp_path / "copies",
        BALLOTS,
        {
            "credential_use": election.round_id,
            "ballot": election.round_id,
            "receipt": election.round_id,
            "sealed_choice": election.box_id,
        },
    )
    verdict = forensics.Verdict()
    try:
        truth = _cast_all(db, election)

        # Mid-vote: the files after 30 casts, before the close.
        mid = adversary.look("mid-vote", (SEALED,))
        verdict.mid_vote(
            mid,
            truth.tables(),
            truth.sealed,
            _needles(truth),
            box_id=election.box_id,
            extra_material=[key_file, secret_key],
            password_guesses=[secret_key, "12345678", election.holder_names[0]],
        )

        # The close, then the count: k tellers open the box; then the scrub the web
        # layer runs once the opening committed.
        with db.transaction() as session:
            round_ = session.get(Round, election.round_id)
            assert round_ is not None
            results.close_voting(session, Actor(label="组织者"), round_)
        with db.transaction() as session:
            round_ = session.get(Round, election.round_id)
            assert round_ is not None
            assert fe.open_box(session, round_) == VOTERS
        opened = adversary.look("after opening, before the scrub", (SEALED,))
        verdict.linking(opened, truth.tables())

        sealed_box.scrub(db)
        after = adversary.look("after the scrub", (SEALED,))
        assert len(after.findings.values.get("ballot", {})) == VOTERS, "the tools read ballots"
        verdict.linking(after, truth.tables())
        verdict.no_sealed_traces(mid, after, election.box_id)
    finally:
        adversary.close()
    print(verdict.report(mid, opened, after))
    assert not verdict.problems, "\n".join(
        [*verdict.problems, "", verdict.report(mid, opened, after)]
    )


def test_no_sealed_row_outlives_the_scrub_when_another_transaction_overlaps_it(
    database: tuple[Database, str], tmp_path: Path
) -> None:
    """A request in flight while the box is opened (it began before the opening
    committed and ends a second into the scrub) must not keep the deleted sealed rows
    in the files. SQLite's checkpoint waits for such a reader (up to its busy timeout);
    on PostgreSQL CLUSTER keeps every row version a transaction older than the deletion
    might still see, so the scrub has to wait for it, or try again."""
    db, url = database
    election = _prepare(db)
    polls = {"credential_use": election.round_id, "ballot": election.round_id}
    polls |= {"receipt": election.round_id, "sealed_choice": election.box_id}
    adversary = Adversary(url, tmp_path / "copies", BALLOTS, polls)
    other = make_engine(url)
    verdict = forensics.Verdict()
    try:
        truth = _cast_all(db, election)
        mid = adversary.look("mid-vote", (SEALED,))
        with db.transaction() as session:
            round_ = session.get(Round, election.round_id)
            assert round_ is not None
            results.close_voting(session, Actor(label="组织者"), round_)
        in_flight = other.connect()
        in_flight.begin()
        if db.is_sqlite:
            in_flight.execute(text("SELECT count(*) FROM credential_use"))  # a reader
        else:
            in_flight.execute(text("SELECT txid_current()"))  # a writer, say
        with db.transaction() as session:
            round_ = session.get(Round, election.round_id)
            assert round_ is not None
            assert fe.open_box(session, round_) == VOTERS
        ends = threading.Timer(1.0, in_flight.close)
        ends.start()
        try:
            sealed_box.scrub(db)
        finally:
            ends.join()
        after = adversary.look("after a scrub overlapped by another transaction", (SEALED,))
        verdict.linking(after, truth.tables())
        verdict.no_sealed_traces(mid, after, election.box_id, shares=False)
        dead = forensics.best(after.scores({"sealed_choice": truth.sealed}))["sealed_choice"]
        verdict.summary.append(f"{after.moment} (the sealed rows left): {dead}")
    finally:
        adversary.close()
        other.dispose()
    report = verdict.report(after)
    print(report)
    assert not verdict.problems, "\n".join([*verdict.problems, "", report])


def test_the_bar_holds_for_random_orders() -> None:
    """The binomial bar of forensics.threshold against a simulation: voters paired with
    choices in a random order reach it in no more than 0.1% of trials (a random order's
    matches run a little heavier than the binomial's: 0.09% against 0.07% at 10/10/10)."""
    rng = random.Random(SEED)
    for truth in ([i % 3 for i in range(VOTERS)], list(range(VOTERS))):
        bar = forensics.threshold(VOTERS, forensics.chance(truth), tries=1)
        trials, reached = 20_000, 0
        shuffled = list(truth)
        for _ in range(trials):
            rng.shuffle(shuffled)
            reached += sum(a == b for a, b in zip(shuffled, truth, strict=True)) >= bar
        assert reached / trials <= 0.002, (truth[:3], bar, reached)


def test_the_scores_see_a_linked_order() -> None:
    """The scoring itself: a guess that pairs voters in the true order scores them all."""
    voters = list(range(VOTERS))
    choices = {v: f"c{v % 3}" for v in voters}
    findings = forensics.Findings(
        voters={"use order": voters},
        orders={"t": {"insertion order": [f"k{v}" for v in voters]}},
        values={"t": {f"k{v}": choices[v] for v in voters}},
    )
    top = forensics.best(forensics.score(findings, {"t": choices}))["t"]
    assert top.matches == VOTERS and top.beats_chance
    shuffled = random.Random(SEED).sample(list(findings.values["t"]), VOTERS)
    findings.orders["t"] = {"a random order": shuffled}
    top = forensics.best(forensics.score(findings, {"t": choices}))["t"]
    assert not top.beats_chance, top
