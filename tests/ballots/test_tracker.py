"""The public ballot tracker, the election export and its recount."""

from __future__ import annotations

import hashlib
import json

from app.recount import recount
from ballots.results import services as results
from tests.ballots.results_support import ELECTION_DAY, make_poll


def announce(poll):
    results.close_voting(poll.db, poll.actor, poll.round, ELECTION_DAY)
    return results.announce(poll.db, poll.actor, poll.round, ELECTION_DAY)


def tracker_path(poll):
    return f"/public/rounds/{poll.round.id}/tracker"


def test_nothing_is_listed_before_the_result_is_announced(client, db):
    poll = make_poll(db, voters=4)
    codes = poll.votes([["甲"]] * 3)
    page = client.get(tracker_path(poll))
    assert page.status_code == 200
    assert "结果公布以后" in page.text
    assert not [code for code in codes if code in page.text]
    export = client.get(f"/public/rounds/{poll.round.id}/export.json")
    assert export.status_code == 404
    assert "公布后才能下载" in export.text


def test_every_receipt_and_every_ballot_is_listed_apart(client, db):
    poll = make_poll(db, voters=6, seats=1)
    codes = poll.votes([["甲"], ["甲"], ["乙"], [], ["甲", "乙"]])
    announce(poll)
    page = client.get(tracker_path(poll)).text
    assert all(code in page for code in codes)
    assert "全部回执码（5 个）" in page
    assert "全部选票内容（5 张，已打乱顺序）" in page
    ballots = page.split("全部选票内容", 1)[1]
    assert ballots.count("<li>甲</li>") == 2
    assert ballots.count("<li>乙</li>") == 1
    assert "<li>空白票</li>" in ballots
    assert "<li>废票</li>" in ballots
    # The receipts are never beside the ballots.
    assert not [code for code in codes if code in ballots]


def test_a_voter_finds_their_receipt_however_they_type_it(client, db):
    poll = make_poll(db, voters=4)
    code = poll.vote(poll.entries[0], ["甲"])
    poll.votes([["甲"]] * 2, start=1)
    announce(poll)
    typed = f" {code[:4].lower()}-{code[4:].lower()} "
    found = client.get(tracker_path(poll), params={"code": typed})
    assert "您的选票已经计入" in found.text
    missing = client.get(tracker_path(poll), params={"code": "ZZZZ-0000"})
    assert "没有找到回执码 ZZZZ-0000" in missing.text


def test_the_export_is_the_hash_published_and_recounts_to_the_published_result(client, db):
    poll = make_poll(db, voters=9, candidates=("王芳", "李强", "张敏"))
    poll.votes([["王芳"]] * 4 + [["李强"]] * 2 + [[]] + [["王芳", "李强"]] + [["赵六"]])
    outcome = announce(poll)
    download = client.get(f"/public/rounds/{poll.round.id}/export.json")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/json")
    assert (
        f'filename="election-{poll.election.id}-round-1.json"'
        in download.headers["content-disposition"]
    )
    digest = hashlib.sha256(download.content).hexdigest()
    assert digest == outcome.sha256
    page = client.get(tracker_path(poll)).text
    assert digest in page
    assert "不一致" not in page
    assert recount(download.content.decode("utf-8")) == json.loads(outcome.result_json)
    document = json.loads(download.content)
    assert document["metadata"]["round_number"] == 1
    assert document["registered"] == 9 and document["issued"] == 9


def test_group_meeting_export_carries_the_attendance(client, db):
    poll = make_poll(db, voters=6, profile="group-meeting", groups=1)
    poll.votes([["甲"]] * 4)
    results.close_voting(db, poll.actor, poll.round, ELECTION_DAY)
    results.record_attendance(db, poll.actor, poll.round, present=4, households_present=4)
    outcome = results.announce(db, poll.actor, poll.round, ELECTION_DAY)
    document = client.get(f"/public/rounds/{poll.round.id}/export.json").json()
    assert (document["members"], document["present"]) == (6, 4)
    assert (document["households"], document["households_present"]) == (6, 4)
    assert document["registered"] == 6
    assert document["channels"] == {"online": 4, "paper": 0, "mobile": 0, "proxy": 0}
    assert recount(json.dumps(document)) == json.loads(outcome.result_json)


def test_a_change_after_announcement_shows_a_warning(client, db):
    poll = make_poll(db, voters=4)
    poll.votes([["甲"]] * 3)
    announce(poll)
    # Striking a voter now changes the export's registered count: not what was announced.
    poll.entries[3].struck = True
    db.flush()
    assert "现在的选票数据与公布结果时的不一致" in client.get(tracker_path(poll)).text
