"""The tellers' paper pages through HTTP: issuing, the count screen, comparison, closing."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.permissions import Role
from ballots import paper
from ballots.models import Channel, PaperCount, RoundStatus
from ballots.paper import proxies
from tests import factories
from tests.app.helpers import signed_in, table_counts
from tests.ballots.paper_support import enter, make_scene, paper_ballots, uses
from tests.conftest import csrf_from, post_form, sign_in
from tests.html import soup

POSITION_RE = re.compile(r'name="position" value="(\d+)"')


def _teller_client(client, scene, name=""):  # type: ignore[no-untyped-def]
    teller = scene.teller(name)
    sign_in(client, teller.username)
    return teller


def _tally(page: str, name: str) -> int:
    match = re.search(rf'<th scope="row">{name}</th><td class="n">(\d+)</td>', page)
    assert match, f"no tally row for {name}"
    return int(match.group(1))


# Issuing ----------------------------------------------------------------------------------


def test_a_teller_finds_a_voter_and_issues_one_paper_ballot(db, client):
    scene = make_scene(db)
    _teller_client(client, scene)
    voter = scene.entries[0]
    name = scene.person(voter).name
    issue = f"/rounds/{scene.round.id}/paper/issue"

    found = client.get(issue, params={"q": name})
    assert found.status_code == 200
    assert name in found.text and "发给一张选票" in found.text

    response = post_form(client, issue, {"entry_id": str(voter.id), "q": name})
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert f"已发给 {name} 一张纸质选票" in page.text
    assert "已投票（纸质选票）" in page.text
    assert [u.channel for u in uses(db, scene.round)] == [Channel.PAPER]

    again = post_form(client, issue, {"entry_id": str(voter.id)})
    assert again.status_code == 409
    assert "已经投过票了，不能再发纸质选票" in again.text
    assert len(uses(db, scene.round)) == 1


def test_the_printable_ballot_lists_candidates_and_the_rule(db, client):
    scene = make_scene(db, seats=2)
    _teller_client(client, scene)
    page = client.get(f"/rounds/{scene.round.id}/paper/ballot")
    assert page.status_code == 200
    names = [td.get_text() for td in soup(page.text).select("table.ballot-grid td.name")]
    assert names == ["甲", "乙", "丙"]
    assert "最多画 2 个，多画的整张作废" in page.text
    assert page.text.count("另选他人") == 2


# The count screen --------------------------------------------------------------------------


def test_each_tap_records_one_ballot_and_returns_the_running_tally(db, client):
    scene = make_scene(db, status=RoundStatus.COUNTING)
    _teller_client(client, scene)
    started = post_form(
        client,
        f"/rounds/{scene.round.id}/paper/counts",
        {"stack": "1"},
        page=f"/rounds/{scene.round.id}/paper",
    )
    assert started.status_code == 303
    screen = started.headers["location"]
    page = client.get(screen)
    assert 'name="mark" value="甲"' in page.text and "第 1 张" in page.text

    token = csrf_from(client, screen)
    for data in ({"mark": "甲"}, {"mark": "甲"}, {"action": "blank"}, {"action": "invalid"}):
        position = POSITION_RE.search(page.text).group(1)
        page = client.post(screen, data={**data, "position": position, "csrf_token": token})
        assert page.status_code == 200
    assert "第 4 张已录入：废票" in page.text
    assert _tally(page.text, "甲") == 2
    assert _tally(page.text, "空白票") == 1 and _tally(page.text, "废票") == 1

    # The same form sent again (a double tap, a reload) records nothing more.
    again = client.post(screen, data={"action": "invalid", "position": "4", "csrf_token": token})
    assert again.status_code == 422
    assert "第 4 张已经录入过了" in again.text
    count = db.scalar(select(PaperCount))
    assert len(paper.count_entries(db, count)) == 4

    undone = client.post(f"{screen}/undo", data={"position": "4", "csrf_token": token})
    assert "已撤销最后一张：废票" in undone.text
    assert len(paper.count_entries(db, count)) == 3


def test_a_ballot_with_nothing_chosen_must_be_entered_as_blank(db, client):
    scene = make_scene(db, seats=2, status=RoundStatus.COUNTING)
    teller = _teller_client(client, scene)
    count = paper.start_count(db, teller, scene.round, "1")
    screen = f"/paper-counts/{count.id}"
    response = post_form(client, screen, {"action": "ballot", "position": "1"})
    assert response.status_code == 422
    assert "这张没有选任何人" in response.text
    # Two seats: ticks plus a write-in make one ballot.
    ok = post_form(
        client, screen, {"action": "ballot", "mark": "乙", "write_in": "王五", "position": "1"}
    )
    assert ok.status_code == 200
    assert [paper.Reading.of(e).marks for e in paper.count_entries(db, count)] == [("乙", "王五")]


def test_a_teller_cannot_enter_on_another_tellers_count(db, app, client, connection):
    scene = make_scene(db, status=RoundStatus.COUNTING)
    owner = scene.teller()
    count = paper.start_count(db, owner, scene.round, "1")
    _teller_client(client, scene)
    before = table_counts(connection)
    page = f"/rounds/{scene.round.id}/paper"
    response = post_form(client, f"/paper-counts/{count.id}", {"mark": "甲"}, page=page)
    assert response.status_code == 403
    assert "另一位计票人的录入页面" in response.text
    assert table_counts(connection) == before


def test_an_organizer_cannot_reach_the_count_screen(db, app, client):
    scene = make_scene(db, status=RoundStatus.COUNTING)
    count = paper.start_count(db, scene.teller(), scene.round, "1")
    organizer = signed_in(app, scene.organizer)
    assert organizer.get(f"/paper-counts/{count.id}").status_code == 403
    # ...but sees the paper page, without the tellers' buttons.
    page = organizer.get(f"/rounds/{scene.round.id}/paper")
    assert page.status_code == 200
    assert "开始（或继续）录入这一叠" not in page.text


# Comparing and closing ----------------------------------------------------------------------


def test_differences_are_shown_by_position_and_closing_is_refused(db, client):
    scene = make_scene(db, status=RoundStatus.COUNTING)
    wang, li = scene.teller("王监票"), scene.teller("李计票")
    enter(db, paper.start_count(db, wang, scene.round, "1"), ["甲", "乙", "甲"])
    enter(db, paper.start_count(db, li, scene.round, "1"), ["甲", "丙", "甲"])
    sign_in(client, wang.username)

    overview = client.get(f"/rounds/{scene.round.id}/paper")
    assert "有 1 处两人录入不一致" in overview.text
    compare = client.get(f"/rounds/{scene.round.id}/paper/compare")
    assert "王监票：乙" in compare.text and "李计票：丙" in compare.text
    assert re.search(r"<td>1</td>\s*<td>2</td>", compare.text)

    refused = post_form(
        client, f"/rounds/{scene.round.id}/paper/close", {}, page=f"/rounds/{scene.round.id}/paper"
    )
    assert refused.status_code == 409
    assert "“1”第 2 张" in refused.text
    assert paper_ballots(db, scene.round) == []


def test_a_teller_mends_a_differing_ballot_from_the_comparison(db, client):
    scene = make_scene(db, status=RoundStatus.COUNTING)
    wang, li = scene.teller("王监票"), scene.teller("李计票")
    enter(db, paper.start_count(db, wang, scene.round, "1"), ["甲", "乙", "甲"])
    theirs = paper.start_count(db, li, scene.round, "1")
    enter(db, theirs, ["甲", "丙", "甲"])
    sign_in(client, li.username)

    compare = client.get(f"/rounds/{scene.round.id}/paper/compare")
    link = f"/paper-counts/{theirs.id}?fix=2"
    assert f'href="{link}"' in compare.text
    screen = client.get(link)
    assert "改正第 2 张" in screen.text and "原来录入的是：丙" in screen.text
    assert "撤销上一张" not in screen.text

    mended = post_form(client, f"/paper-counts/{theirs.id}", {"mark": "乙", "fix": "2"}, page=link)
    assert mended.status_code == 200
    assert "第 2 张已改为：乙" in mended.text
    assert len(paper.count_entries(db, theirs)) == 3
    assert "各位计票人的录入完全一致" in client.get(f"/rounds/{scene.round.id}/paper/compare").text


def test_closing_stores_the_agreed_ballots(db, client):
    scene = make_scene(db, status=RoundStatus.COUNTING)
    wang, li = scene.teller("王监票"), scene.teller("李计票")
    enter(db, paper.start_count(db, wang, scene.round, "1"), ["甲", "", "X"])
    enter(db, paper.start_count(db, li, scene.round, "1"), ["甲", "", "X"])
    sign_in(client, li.username)
    page = f"/rounds/{scene.round.id}/paper"
    assert "各位计票人的录入完全一致" in client.get(page + "/compare").text

    closed = post_form(client, page + "/close", {}, page=page)
    assert closed.status_code == 303
    after = client.get(page)
    assert "纸质选票计票结束，共 3 张" in after.text
    assert "收回并计入的选票" in after.text
    assert paper_ballots(db, scene.round) == sorted([["甲"], [], paper.invalid_marks(1)])


def test_the_paper_page_warns_when_more_came_back_than_were_issued(db, client):
    scene = make_scene(db, status=RoundStatus.COUNTING)
    teller = _teller_client(client, scene)
    enter(db, paper.start_count(db, teller, scene.round, "1"), ["甲", "乙"])
    page = client.get(f"/rounds/{scene.round.id}/paper")
    assert "收回的选票比发出的多 2 张" in page.text
    assert "本轮选举无效" in page.text


def test_a_teller_of_another_village_is_kept_out(db, app, client):
    scene = make_scene(db, status=RoundStatus.COUNTING)
    outsider = factories.staff(
        Role.TELLER, factories.VillageFactory(township=scene.village.township)
    )
    browser = signed_in(app, outsider)
    assert browser.get(f"/rounds/{scene.round.id}/paper").status_code == 403


def test_a_voter_who_entrusted_a_proxy_is_told_so_at_the_issue_desk(db, client):
    scene = make_scene(db)
    away, proxy = scene.entries[:2]
    proxies.add_entrustment(
        db, scene.actor, scene.election, away, proxy, scene.election.election_day, "儿子"
    )
    _teller_client(client, scene)
    response = post_form(
        client, f"/rounds/{scene.round.id}/paper/issue", {"entry_id": str(away.id)}
    )
    assert response.status_code == 409
    assert f"已委托 {scene.person(proxy).name} 代为投票" in response.text
    assert uses(db, scene.round) == []


def test_a_teller_still_entering_is_not_reported_as_a_disagreement(db, client):
    scene = make_scene(db, status=RoundStatus.COUNTING)
    wang, li = scene.teller("王监票"), scene.teller("李计票")
    mine = paper.start_count(db, wang, scene.round, "1")
    enter(db, mine, ["甲", "乙", "甲", "X"])
    enter(db, paper.start_count(db, li, scene.round, "1"), ["甲", "丙"])
    sign_in(client, wang.username)
    screen = client.get(f"/paper-counts/{mine.id}")
    assert "李计票：已录入 2 张" in screen.text
    assert "有 1 处录入不一致" in screen.text  # ballot 2; 3 and 4 are still to come
    overview = client.get(f"/rounds/{scene.round.id}/paper")
    assert "有 1 处两人录入不一致" in overview.text
    assert "还差 2 张没有录完" in overview.text
