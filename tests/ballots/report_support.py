"""An election for the election report's tests, made with the models and the results
services: two seats, a first round that fills one, a further round (另行选举) that fills
the other, certified by two tellers. Every figure the report shows is known by hand.

Round 1 (10 on the roll, an 11th struck off): 7 take part — QR 3, paper 2, mobile box 1,
proxy 1; 2 of them wrote with help. Ballots: 7 cast, 1 invalid (three names for two
seats), 1 blank, so 6 valid. 甲 4 votes (more than half of 7): elected; 乙 2, 丙 0.
Round 2 (乙 and 丙, one seat): 6 take part — QR 3, paper 2, proxy 1; 1 helped. Ballots: 6
cast, 0 invalid, 1 blank, 6 valid; 乙 4 (at least a third): elected.

甲 is a woman born March 1990 (36 on 2026-12-20), 乙 a man born December 1966 (60 that
month). One entrustment is live, one was revoked.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from app.db import utcnow
from app.registry.models import Person, Residence, Sex
from ballots.models import (
    BallotHelp,
    Channel,
    Entrustment,
    PaperCount,
    RollEntry,
    Round,
)
from ballots.results import certification as results_certify
from ballots.results import services as results
from ballots.setup import round_candidates
from tests import factories
from tests.ballots.results_support import ELECTION_DAY, Poll, make_poll
from tests.html import soup

ROUND_1 = [
    (Channel.ONLINE, ["甲"]),
    (Channel.ONLINE, ["甲"]),
    (Channel.PAPER, ["甲", "乙"]),
    (Channel.PAPER, []),
    (Channel.MOBILE, ["甲"]),
    (Channel.PROXY, ["乙"]),
    (Channel.ONLINE, ["甲", "乙", "丙"]),
]
HELPED_1 = (2, 4)  # the entries (by index) who asked for help in round 1
ROUND_2 = [
    (Channel.ONLINE, ["乙"]),
    (Channel.ONLINE, ["乙"]),
    (Channel.PAPER, ["乙"]),
    (Channel.PAPER, []),
    (Channel.ONLINE, ["丙"]),
    (Channel.PROXY, ["乙"]),
]
HELPED_2 = (3,)


def helped(
    db: Session, round_: Round, entry: RollEntry, helper: Person, channel: Channel
) -> BallotHelp:
    """A ballot written with help (代写), inserted directly: the recording page comes from
    another branch. The voter, the helper, paper or mobile box, the day only."""
    row = BallotHelp(
        round_id=round_.id,
        roll_entry_id=entry.id,
        helper_person_id=helper.id,
        channel=channel,
        recorded_on=ELECTION_DAY,
    )
    db.add(row)
    db.flush()
    return row


@dataclass
class Reported:
    poll: Poll
    first: Round
    further: Round
    woman: Person
    man: Person


def _candidate_person(db: Session, round_: Round, name: str, person: Person) -> None:
    candidate = next(c for c in round_candidates(db, round_) if c.name == name)
    candidate.person_id = person.id
    db.flush()


def _vote_round(poll: Poll, round_: Round, plan: list[tuple[Channel, list[str]]]) -> None:
    for entry, (channel, marks) in zip(poll.entries, plan, strict=False):
        poll.vote(entry, marks, channel, round_=round_)


def _count(poll: Poll, round_: Round) -> None:
    results.close_voting(poll.db, poll.actor, round_, ELECTION_DAY)
    # The paper ballots are among poll.vote's ballots already: their count is closed.
    poll.db.add(PaperCount(round_id=round_.id, teller_id=poll.teller().id, closed_at=utcnow()))
    results.announce(poll.db, poll.actor, round_, ELECTION_DAY)


def reported_election(db: Session, *, certify: bool = True) -> Reported:
    poll = make_poll(db, voters=10, seats=2, candidates=("甲", "乙", "丙"))
    household = factories.HouseholdFactory(village_id=poll.village.id)
    woman = factories.PersonFactory(
        household=household, name="甲", sex=Sex.FEMALE, birth_year=1990, birth_month=3
    )
    man = factories.PersonFactory(
        household=household, name="乙", sex=Sex.MALE, birth_year=1966, birth_month=12
    )
    first = poll.round
    _candidate_person(db, first, "甲", woman)
    _candidate_person(db, first, "乙", man)
    struck = factories.PersonFactory(household=household)
    db.add(
        RollEntry(
            election_id=poll.election.id,
            person_id=struck.id,
            category=Residence.REGISTERED_RESIDENT,
            struck=True,
        )
    )
    away, proxy, other = poll.entries[5], poll.entries[9], poll.entries[8]
    db.add_all(
        [
            Entrustment(
                election_id=poll.election.id,
                voter_entry_id=away.id,
                proxy_entry_id=proxy.id,
                written_on=ELECTION_DAY,
                relation="儿子",
            ),
            Entrustment(
                election_id=poll.election.id,
                voter_entry_id=other.id,
                proxy_entry_id=proxy.id,
                written_on=ELECTION_DAY,
                relation="邻居",
                revoked_at=datetime(2026, 12, 10, tzinfo=UTC),
            ),
        ]
    )
    db.flush()

    _vote_round(poll, first, ROUND_1)
    for index in HELPED_1:
        helped(db, first, poll.entries[index], man, ROUND_1[index][0])
    _count(poll, first)
    outcome = results.announced_outcome(db, first)
    assert outcome is not None
    further = results.further_round(
        db, poll.actor, poll.election, results.result_of(outcome), ELECTION_DAY
    )
    tellers = [poll.teller(f"监票人{n}") for n in range(2)]
    results_certify.set_tellers(db, poll.actor, further, [t.id for t in tellers])
    poll.open_round(further)
    _vote_round(poll, further, ROUND_2)
    for index in HELPED_2:
        helped(db, further, poll.entries[index], woman, ROUND_2[index][0])
    _count(poll, further)
    if certify:
        announced = results.announced_outcome(db, further)
        assert announced is not None
        for teller in tellers:
            results_certify.certify(db, teller, announced, factories.PASSWORD, ELECTION_DAY)
    db.expire_all()
    return Reported(poll, first, further, woman, man)


# --- reading the report back, as a reader of the page, the CSV and the .xlsx would --------


def page_tables(html: str) -> dict[str, list[list[str]]]:
    """Each table of figures on the page by its caption: the header row, then each row."""
    tables: dict[str, list[list[str]]] = {}
    for table in soup(html).select("table.figures-table"):
        caption = table.select_one("caption").get_text(strip=True)
        rows = [[cell.get_text(strip=True) for cell in table.select("thead th")]]
        for row in table.select("tbody tr"):
            rows.append([cell.get_text(strip=True) for cell in row.select("th, td")])
        tables[caption] = rows
    return tables


def csv_tables(data: bytes) -> dict[str, list[list[str]]]:
    """The CSV's tables by title (each title on a row of its own, a blank row between)."""
    assert data.startswith(b"\xef\xbb\xbf"), "the CSV lacks the BOM Excel needs for Chinese"
    tables: dict[str, list[list[str]]] = {}
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    title: str | None = None
    for row in rows:
        if not row:
            title = None
        elif title is None:
            title = row[0]
            tables[title] = []
        else:
            tables[title].append(row)
    return tables


def xlsx_tables(data: bytes) -> dict[str, list[list[object]]]:
    """The workbook's sheets by name, each row's cell values as openpyxl reads them."""
    book = load_workbook(io.BytesIO(data))
    return {
        sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
        for sheet in book.worksheets
    }


def by_label(rows: Sequence[Sequence[object]]) -> dict[object, list[object]]:
    """A table's rows by their first cell: the header row left out, and the table's note
    (in a file, a row of one cell below the table)."""
    return {
        row[0]: list(row[1:])
        for row in rows[1:]
        if row and any(cell not in (None, "") for cell in row[1:])
    }
