"""One of every public notice, made through the services, and the anchor read off a page
(tests/audit/test_anchors.py and tests/browser/test_audit_anchor_print.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser

from sqlalchemy.orm import Session

from app.actors import actor_for
from app.permissions import Role
from ballots.results import certification as results_certify
from ballots.results import services as results
from compacts.adoption import delivery
from compacts.adoption import services as adoption
from compacts.models import Adoption, FilingDecision
from minutes import signing
from tests import factories
from tests.ballots.results_support import ELECTION_DAY, make_poll
from tests.compacts import adoption_support
from tests.minutes import support as minutes_support

# --- building the notices ----------------------------------------------------------------


@dataclass(frozen=True)
class Notices:
    paths: dict[str, str]  # notice → its public path
    round_id: int
    title: str


def build_notices(session: Session) -> Notices:
    """One of every public notice, through the services: an election with its roll and
    candidates published and a round announced and certified, signed and posted minutes,
    an adopted, acknowledged and published compact."""
    poll = make_poll(session, voters=5)
    poll.votes([["甲"]] * 3 + [["乙"]])
    tellers = [poll.teller(f"监票人{n}") for n in range(2)]
    results_certify.set_tellers(session, poll.actor, poll.round, [t.id for t in tellers])
    results.close_voting(session, poll.actor, poll.round, ELECTION_DAY)
    outcome = results.announce(session, poll.actor, poll.round, ELECTION_DAY)
    for teller in tellers:
        results_certify.certify(session, teller, outcome, factories.PASSWORD, ELECTION_DAY)

    village = factories.VillageFactory()
    host, recorder = minutes_support.staff_pair(village)
    meeting = minutes_support.meeting(session, village, host, recorder)
    road = minutes_support.item(session, meeting, "修建村道")
    minutes_support.closed_motion(session, road, members=4, present=3, yes=2, no=1, abstain=0)
    for signer in (host, recorder):
        signing.sign(session, signer, meeting, factories.PASSWORD)
    signing.post(
        session, actor_for(recorder), recorder, meeting, date(2026, 12, 2), date(2026, 12, 20)
    )

    book = adoption_support.book(session)
    version = adoption_support.version(session, book, 1)
    session.add(
        Adoption(
            version_id=version.id,
            adopted=True,
            figures_json='{"members": 10, "present": 7, "yes": 6, "no": 1, "abstain": 0}',
            adopted_on=adoption.today(),
            recorded_by_id=book.organizer.id,
        )
    )
    session.flush()
    township = actor_for(factories.staff(Role.TOWNSHIP_ADMIN, book.village))
    filing = adoption.submit_filing(session, book.actor, version)
    adoption.decide_filing(session, township, filing, FilingDecision.ACKNOWLEDGED)
    delivery.publish(session, book.actor, version)

    election = poll.election.id
    return Notices(
        paths={
            "roll": f"/public/elections/{election}/roll",
            "candidates": f"/public/elections/{election}/candidates",
            "results": f"/public/elections/{election}/results",
            "minutes": f"/public/meetings/{meeting.id}/minutes",
            "compact": f"/public/compacts/versions/{version.id}",
            "compact-print": f"/public/compacts/versions/{version.id}/print",
        },
        round_id=poll.round.id,
        title=poll.election.title,
    )


# --- reading the anchor off a page -------------------------------------------------------


@dataclass
class PrintedAnchor:
    machine: str = ""  # aside.audit-anchor[data-anchor]
    label: str = ""  # .audit-anchor .anchor-code
    qr: bool = False  # an svg.qr inside the aside
    text: str = ""  # all text of the aside
    count: int = 0  # how many anchors the page has


class _AnchorReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found = PrintedAnchor()
        self._depth = 0  # open elements inside the aside (0: outside it)
        self._in_code = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "aside" and "audit-anchor" in classes:
            self.found.count += 1
            self.found.machine = dict(attrs).get("data-anchor") or ""
            self._depth = 1
            return
        if self._depth:
            self._depth += 1
            if tag == "svg" and "qr" in classes:
                self.found.qr = True
            if "anchor-code" in classes:
                self._in_code = True

    def handle_endtag(self, tag: str) -> None:
        if self._depth:
            self._depth -= 1
            self._in_code = False

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.found.text += data
            if self._in_code:
                self.found.label += data


def anchor_on(html: str) -> PrintedAnchor:
    reader = _AnchorReader()
    reader.feed(html)
    return reader.found
