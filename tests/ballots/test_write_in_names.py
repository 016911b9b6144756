"""What a written-in name can be (issue 13): letters of any script joined by a name dot, as
person's names are; markup, digits, punctuation and runaway text are refused with a message
that says what to write, on the villager's ballot and at the public count alike."""

from __future__ import annotations

import pytest

from app.actors import SYSTEM
from ballots.paper.forms import parse_count_entry
from ballots.rules import write_in_problem
from slips.links import slip_token
from slips.services import issue_slips
from tests.app.helpers import table_counts
from tests.ballots import factories_elections as fe
from tests.conftest import csrf_from
from tests.html import soup


@pytest.mark.parametrize("name", ["王芳", "欧阳娜娜", "阿卜杜热合曼·买买提", "Anna Li", "李"])
def test_names_people_have_are_accepted(name):
    assert write_in_problem(name) is None


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("<b>x</b>长长", "“<”"),
        ("王芳123", "“1”"),
        ("王芳！", "“！”"),
        ("长" * 21, "最多 20 个字"),
        ("·王芳", "只能是姓名"),
        ("王芳··李", "只能是姓名"),
        ("😀", "“😀”"),
    ],
)
def test_what_no_name_is_is_refused_with_what_to_write(name, said):
    problem = write_in_problem(name)
    assert problem is not None and said in problem


def test_the_villager_s_ballot_refuses_markup_and_stores_nothing(client, db, settings, connection):
    v = fe.voting(db, voters=2)
    (slip,) = issue_slips(db, SYSTEM, v.assembly, [v.people[0].id], settings=settings)
    ballot = f"/s/{slip_token(settings, slip)}/b/{v.round.id}/{v.entries[0].id}"
    before = table_counts(connection)
    refused = client.post(
        f"{ballot}/cast",
        data={"write_in": "<b>x</b>长长", "action": "cast", "csrf_token": csrf_from(client, "/s")},
    )
    assert refused.status_code == 422
    alert = soup(refused.text).select_one(".errors").get_text()
    assert "另选的名字里有“<”，姓名里不会有它" in alert
    assert table_counts(connection) == before


def test_the_count_screen_refuses_it_too():
    entry = parse_count_entry("ballot", [], ["王芳123"], "1")
    assert not entry.ok and "“1”" in entry.errors["write_in"]
