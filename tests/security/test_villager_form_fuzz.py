"""Every villager form a QR slip reaches, through HTTP with hypothesis-made values: the
typed short code, nominating, the ballot's confirm and cast, meeting check-in, the QR
motion's confirm and vote, a deliberation round's opinion and vote, a household's receipt
of the adopted compact, a survey's confirm and submit.

Each form starts from what a villager would send and has a few fields replaced by hostile
values (control characters, 100 000 characters, unicode digits, numbers far out of range,
markup), sent several times, sent as a list, or left out, plus fields the form does not
have. Never a 5xx; the answer is a Chinese page; and a refused submission (4xx) leaves the
database's content as it was, every row of every table compared (tests/security/
db_snapshot.py), not row counts. Each example runs in a savepoint rolled back afterwards,
so every example starts from the same open polls.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from app.actors import SYSTEM, actor_for
from app.permissions import Permission, Role
from app.registry.rules import today_in_china
from app.settings import Settings
from ballots import setup
from ballots.models import Stage
from compacts.adoption import delivery
from compacts.adoption import services as adoption
from compacts.models import Adoption, FilingDecision, Version
from slips.links import slip_short_code, slip_token
from slips.services import create_assembly, issue_slips
from tests import factories
from tests.app.helpers import walk_routes
from tests.ballots import factories_elections as fe
from tests.ballots.setup_support import election, place
from tests.compacts import adoption_support, rounds_support
from tests.conftest import csrf_from
from tests.meetings import attendance_support, votes_support
from tests.security.db_snapshot import Content
from tests.security.strategies import TRICKY, texts
from tests.security.support import Snapshot
from tests.surveys import support as surveys_support

EXAMPLES = int(os.environ.get("CUNYI_HYPOTHESIS_EXAMPLES", "40"))
BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
# A wrong typed code is counted although the form is refused (the throttle, by design:
# slips.services.record_code_failure); nothing else may be written by a refusal.
KEPT_ON_FAILURE = {"slips:code": frozenset({"signin_failure"})}
# Names no villager form has, sent besides the real ones.
STRAY = ["id", "person_id", "entry_id", "round_id", "village_id", "status", "value", "q0"]
CHINESE = re.compile(r"[\u4e00-\u9fff]")
ANSWERS = {"q1": "5", "q2": "4", "q3": "3", "q4": "5"}


@dataclass
class Target:
    name: str  # the route's name
    path: str
    base: dict[str, Any]  # what a villager sends
    names: list[str] = field(default_factory=list)  # the form's other fields


def _ballot_forms(db: Session, settings: Settings) -> list[Target]:
    v = fe.voting(db, voters=3)
    (slip,) = issue_slips(db, SYSTEM, v.assembly, [v.people[0].id], settings=settings)
    ballot = f"/s/{slip_token(settings, slip)}/b/{v.round.id}/{v.entries[0].id}"
    names = ["mark", "write_in", "action"]
    return [
        Target("slips:code", "/s", {"code": slip_short_code(settings, slip)}),
        Target("ballots:confirm", ballot + "/confirm", {"mark": "李四"}, names),
        Target("ballots:cast", ballot + "/cast", {"mark": "李四", "action": "cast"}, names),
    ]


def _nomination_form(db: Session, settings: Settings) -> list[Target]:
    where = place(db, voters=4)
    found = election(db, where, seats=2, election_day=today_in_china() + timedelta(days=30))
    setup.build_roll(db, where.actor, found)
    setup.advance(db, where.actor, found, Stage.ROLL_PUBLISHED, today_in_china())
    found.roll_published_on = today_in_china() - timedelta(days=10)
    setup.advance(db, where.actor, found, Stage.OBJECTIONS_CLOSED, today_in_china())
    setup.advance(db, where.actor, found, Stage.NOMINATIONS, today_in_china())
    assembly = create_assembly(
        db,
        where.actor,
        village_id=where.village.id,
        title="提名会",
        held_on=today_in_china(),
        place="村委会",
        links_expire_at=datetime.now(UTC) + timedelta(days=30),
    )
    found.assembly_id = assembly.id
    slips = issue_slips(db, where.actor, assembly, settings=settings)
    db.flush()
    nominee = next(p for p in where.people if p.id != slips[0].person_id)
    path = f"/s/{slip_token(settings, slips[0])}/nominate/{found.id}"
    names = ["name_0", "name_1", "pick_0", "pick_1"]
    return [Target("ballots:nominate", path, {"name_0": nominee.name}, names)]


def _meeting_forms(db: Session, settings: Settings) -> list[Target]:
    h = attendance_support.hall(db)
    token = attendance_support.slip_token(db, settings, h, h.people[0])
    checkin = f"/s/{token}/meetings/{h.meeting.id}/checkin"
    hall = votes_support.hall(db, 3)
    votes_support.arrive(db, hall.meeting, *hall.people)
    motion = votes_support.motion(db, hall.item)
    (slip,) = issue_slips(db, SYSTEM, hall.assembly, [hall.people[0].id], settings=settings)
    qr = f"/s/{slip_token(settings, slip)}/motions/{motion.id}"
    names = ["choice", "action"]
    return [
        Target("meetings:checkin", checkin, {}, ["code", "action"]),
        Target("meetings:qr_confirm", qr + "/confirm", {"choice": "no"}, names),
        Target("meetings:qr_vote", qr + "/vote", {"choice": "no", "action": "vote"}, names),
    ]


def _compact_forms(db: Session, settings: Settings) -> list[Target]:
    s = rounds_support.setting(db, settings)
    r = rounds_support.open_round(db, s)
    page = f"/s/{s.tokens[1]}/compacts/rounds/{r.id}/groups/{s.villagers.id}"
    opinion = {"article": "2", "text": "互助要有人牵头"}
    names = ["article", "text", "choice"]
    b = adoption_support.book(db)
    v = adoption_support.version(db, b, 1)
    _published(db, b, v)
    assembly = fe.assembly(db, b.village, title="送达")
    (slip,) = issue_slips(db, SYSTEM, assembly, [b.people[0].id], settings=settings)
    received = f"/s/{slip_token(settings, slip)}/compacts/{v.id}/received"
    return [
        Target("compacts:round_comment", page + "/comment", opinion, names),
        Target("compacts:round_vote", page + "/vote", {"choice": "approve_with_changes"}, names),
        Target("compacts:received_post", received, {}, ["household_id", "action"]),
    ]


def _published(db: Session, b: adoption_support.Book, v: Version) -> None:
    """Adopted, acknowledged and published (as tests/compacts/test_adoption_pages.py)."""
    db.add(
        Adoption(
            version_id=v.id,
            adopted=True,
            figures_json='{"members": 10, "present": 7, "yes": 6, "no": 1, "abstain": 0}',
            adopted_on=adoption.today(),
            recorded_by_id=b.organizer.id,
        )
    )
    db.flush()
    township = actor_for(factories.staff(Role.TOWNSHIP_ADMIN, b.village))
    filing = adoption.submit_filing(db, b.actor, v)
    adoption.decide_filing(db, township, filing, FilingDecision.ACKNOWLEDGED)
    delivery.publish(db, b.actor, v)


def _survey_forms(db: Session, settings: Settings) -> list[Target]:
    s = surveys_support.setting(db, settings)
    survey = surveys_support.open_survey(db, s)
    page = f"/s/{s.tokens[s.adults[0].id]}/surveys/{survey.id}"
    names = [*ANSWERS, "q5", "action"]
    return [
        Target("surveys:confirm", page + "/confirm", dict(ANSWERS), names),
        Target("surveys:submit", page + "/submit", {**ANSWERS, "action": "submit"}, names),
    ]


values = st.one_of(
    texts,
    st.integers(min_value=-(2**63) - 1, max_value=2**64).map(str),
    st.sampled_from(["李四", "张三", "yes", "no", "abstain", "approve", "reject", "cast"]),
)


@st.composite
def submissions(draw: st.DrawFn, target: Target) -> dict[str, Any]:
    data = dict(target.base)
    pool = sorted({*target.base, *target.names, *STRAY})
    for name in draw(st.lists(st.sampled_from(pool), max_size=4, unique=True)):
        how = draw(st.integers(min_value=0, max_value=5))
        if how == 0:
            data.pop(name, None)
        elif how == 1:  # the field twice or more: the real value and others
            kept = [data[name]] if isinstance(data.get(name), str) else []
            data[name] = kept + draw(st.lists(values, min_size=1, max_size=3))
        elif how == 2:
            data[name] = draw(st.sampled_from(TRICKY[-3:]))  # long and huge
        else:
            data[name] = draw(values)
    return data


def _targets(db: Session, settings: Settings) -> list[Target]:
    return [
        *_ballot_forms(db, settings),
        *_nomination_form(db, settings),
        *_meeting_forms(db, settings),
        *_compact_forms(db, settings),
        *_survey_forms(db, settings),
    ]


def _villager_post_routes(app) -> set[str]:
    return {
        info.name
        for info in walk_routes(app.routes)
        if (info.path == "/s" or info.path.startswith("/s/"))
        and info.permission is Permission.PUBLIC
        and info.unsafe_methods
        and not info.is_mount
    }


def _short(data: dict[str, Any]) -> str:
    shown = {
        k: (v[:40] if isinstance(v, str) else [x[:40] for x in v] if isinstance(v, list) else v)
        for k, v in data.items()
    }
    return repr(shown)[:600]


def _page_problem(response) -> str | None:
    """Why the answer is not a Chinese page a villager can read, or None."""
    status = response.status_code
    if 300 <= status < 400:
        location = response.headers.get("location", "")
        return None if location.startswith("/") else f"redirect to {location!r}"
    if "text/html" not in response.headers.get("content-type", ""):
        return f"content-type {response.headers.get('content-type')!r}"
    text = response.text
    if 'lang="zh' not in text or not CHINESE.search(text):
        return f"not a Chinese page: {text[:200]!r}"
    return None


def _fuzz(problems, connection, content, browser, csrf, target) -> None:
    ignore = KEPT_ON_FAILURE.get(target.name, frozenset())
    where = f"POST {target.name}"

    @BOUNDED
    @given(data=submissions(target))
    def run(data: dict[str, Any]) -> None:
        nested = connection.begin_nested()
        try:
            before = content.take()
            try:
                response = browser.post(target.path, data={**data, "csrf_token": csrf})
            except Exception as error:  # the test client re-raises the server's error
                problems.append(f"{where}: {type(error).__name__}: {error} for {_short(data)}")
                return
            status = response.status_code
            if status >= 500:
                problems.append(f"{where}: {status} for {_short(data)}")
            elif status >= 400 and (changed := content.changes(before, ignore)):
                problems.append(f"{where}: {status} but wrote {changed} for {_short(data)}")
            if (problem := _page_problem(response)) is not None:
                problems.append(f"{where}: {status} {problem} for {_short(data)}")
        finally:
            nested.rollback()

    run()


def test_any_villager_form_input_answers_in_chinese_and_a_refusal_changes_no_row(
    app, client, db, connection, settings
):
    targets = _targets(db, settings)
    assert {t.name for t in targets} == _villager_post_routes(app), "a villager form is missed"
    csrf = csrf_from(client, "/s")
    content = Content(connection)

    # What a villager sends is taken: the fuzzing starts from forms that work.
    for target in targets:
        nested = connection.begin_nested()
        try:
            response = client.post(target.path, data={**target.base, "csrf_token": csrf})
            assert response.status_code < 400, f"{target.name}: {response.text[:400]}"
        finally:
            nested.rollback()

    problems: list[str] = []
    for target in targets:
        _fuzz(problems, connection, content, client, csrf, target)
    assert problems == [], "\n".join(problems)


def test_the_snapshot_sees_an_update_that_keeps_every_count(db, connection):
    village = factories.VillageFactory()
    db.flush()
    content, counts = Content(connection), Snapshot(connection)
    before, counted = content.take(), counts.take()
    village.name = village.name + "改"
    db.flush()
    assert counts.changes(counted) == {}  # what the row counts saw
    changed = content.changes(before)
    assert list(changed) == ["village"] and "changed" in changed["village"]
