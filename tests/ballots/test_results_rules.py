"""The public results say what each round was measured against, with the figures."""

from __future__ import annotations

from ballots.results import services as results
from ballots.results.rules import rule_sentences
from tests.ballots.results_support import ELECTION_DAY, make_poll
from tests.html import soup


def test_a_valid_round_states_its_turnout_rule_and_the_votes_needed(client, db):
    poll = make_poll(db, voters=10)
    poll.votes([["甲"]] * 4 + [["乙"]] * 2)  # 6 of 10 voted; 甲 has 4 of 6
    results.close_voting(db, poll.actor, poll.round, ELECTION_DAY)
    results.announce(db, poll.actor, poll.round, ELECTION_DAY)
    page = soup(client.get(f"/public/elections/{poll.election.id}/results").text)
    said = [p.get_text(strip=True) for p in page.select(".rules-applied p")]
    assert said == [
        "本轮有效的条件：参加投票的人数超过登记选民的一半。登记选民 10 人，至少要 6 人投票；实际 6 人投票。",
        "当选的条件：得票超过投票人数的一半，即至少 4 票（投票人数 6）。",
    ]


def test_a_void_round_states_only_the_rule_it_failed():
    result = {
        "round": 1,
        "valid": False,
        "ballots_cast": 3,
        "turnout": {"registered": 10},
        "parameters": {
            "validity_basis": "registered",
            "validity": {"num": 1, "den": 2, "strict": True},
            "first_round_basis": "cast",
            "first_round": {"num": 1, "den": 2, "strict": True},
        },
    }
    assert rule_sentences(result) == [
        "本轮有效的条件：参加投票的人数超过登记选民的一半。登记选民 10 人，至少要 6 人投票；实际 3 人投票。"
    ]
