"""Deliberation pages over HTTP: the organizer opens and closes a round, a member reads,
comments and votes once through the QR link, the leader enters paper opinions and the
group's summary, the projector page of a group is public."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.permissions import Role
from compacts.models import Comment, DeliberationRound, MemberVote, RoundGroup, VoteChoice
from compacts.rounds import services as rounds_services
from tests import factories
from tests.app.helpers import second_client, signed_in
from tests.compacts.rounds_support import Setting, open_round, setting, version_of
from tests.conftest import csrf_from, post_form
from tests.html import soup


@pytest.fixture
def s(db, settings):
    return setting(db, settings)


def _member_url(token: str, round_id: int, group_id: int) -> str:
    return f"/s/{token}/compacts/rounds/{round_id}/groups/{group_id}"


def _round_links(slip_page: str) -> dict[str, str]:
    """The slip page's links into deliberation rounds: their words -> address."""
    links = soup(slip_page).select("a[href*='/compacts/rounds/']")
    return {" ".join(a.get_text().split()): a["href"] for a in links}


def test_the_organizer_opens_a_round_through_the_form(app, client, db, s: Setting):
    browser = signed_in(app, s.organizer)
    page = f"/compacts/{s.compact.id}/rounds/new"
    assert "第 1 版" in browser.get(page).text
    refused = post_form(browser, page, {"version_id": str(s.version.id), "deadline": ""})
    assert refused.status_code == 422
    assert "请至少勾选一个小组" in refused.text and "请填写截止日期" in refused.text
    assert db.scalars(select(DeliberationRound)).all() == []
    deadline = "2099-12-31"
    data = {
        "version_id": str(s.version.id),
        "groups": [str(s.villagers.id), str(s.women.id)],
        "deadline": deadline,
        "assembly_id": str(s.assembly.id),
    }
    response = post_form(browser, page, data)  # type: ignore[arg-type]
    assert response.status_code == 303
    round_ = db.scalars(select(DeliberationRound)).one()
    assert round_.deadline.isoformat() == deadline and round_.assembly_id == s.assembly.id
    shown = browser.get(response.headers["location"]).text
    assert "第一村民小组" in shown and "妇女小组" in shown and "老年协会联户组" not in shown


def test_a_member_reads_comments_and_votes_once_through_the_link(app, client, db, s):
    round_ = open_round(db, s)
    phone = second_client(app)
    slip = phone.get(f"/s/{s.tokens[1]}").text
    assert list(_round_links(slip)) == ["村规民约征求意见：第一村民小组"]
    url = _round_links(slip)["村规民约征求意见：第一村民小组"]
    assert url == _member_url(s.tokens[1], round_.id, s.villagers.id)
    page = phone.get(url)
    assert page.status_code == 200
    assert (
        "王建国，您好" in page.text and "第二条 邻里" in page.text and "对第二条提意见" in page.text
    )
    empty = post_form(phone, url + "/comment", {"article": "2", "text": ""}, page=url)
    assert empty.status_code == 422 and "请填写意见" in empty.text
    done = post_form(phone, url + "/comment", {"article": "2", "text": "互助要有人牵头"}, page=url)
    assert done.status_code == 200 and "您的意见已经收到" in done.text
    comment = db.scalars(select(Comment)).one()
    assert (comment.person_id, comment.article, comment.group_id) == (
        s.members[1].id,
        "2",
        s.villagers.id,
    )
    assert comment.entered_by_id is None
    voted = post_form(phone, url + "/vote", {"choice": "approve_with_changes"}, page=url)
    assert voted.status_code == 200 and "已投票" in voted.text
    token = csrf_from(phone, url)
    again = phone.post(url + "/vote", data={"choice": "reject", "csrf_token": token})
    assert again.status_code == 409 and "已投票" in again.text
    votes = db.scalars(select(MemberVote)).all()
    assert [v.choice for v in votes] == [VoteChoice.APPROVE_WITH_CHANGES]


def test_a_member_of_two_groups_speaks_in_each_from_the_slip(app, client, db, s):
    """李桂英 is in the villagers' group and the women's group: her slip opens both, each
    page takes her vote once, and the women's group leader sees her among the members."""
    round_ = open_round(db, s)
    phone = second_client(app)
    links = _round_links(phone.get(f"/s/{s.tokens[0]}").text)
    assert list(links) == ["村规民约征求意见：第一村民小组", "村规民约征求意见：妇女小组"]
    pages = zip(links.values(), ["妇女小组", "第一村民小组"], ["approve", "reject"], strict=True)
    for url, other_group, choice in pages:
        also = soup(phone.get(url).text).select_one("p.also-in")
        assert also is not None and [a.get_text() for a in also.select("a")] == [other_group]
        voted = post_form(phone, url + "/vote", {"choice": choice}, page=url)
        assert voted.status_code == 200 and "已投票" in voted.text
    votes = db.scalars(select(MemberVote).where(MemberVote.person_id == s.members[0].id)).all()
    assert sorted((v.group_id, v.choice.value) for v in votes) == sorted(
        [(s.villagers.id, "approve"), (s.women.id, "reject")]
    )
    leader = signed_in(app, s.leader)
    lead = soup(leader.get(f"/compacts/rounds/{round_.id}/groups/{s.women.id}").text)
    names = [" ".join(li.get_text().split()) for li in lead.select("ul.cards li")]
    assert names == ["李桂英 已投票：不同意", "赵春梅 未表态"]


def test_a_vote_needs_a_choice(app, client, db, s):
    round_ = open_round(db, s)
    phone = second_client(app)
    url = _member_url(s.tokens[1], round_.id, s.villagers.id)
    response = post_form(phone, url + "/vote", {}, page=url)
    assert response.status_code == 422 and "请选择同意、修改后同意或不同意中的一项" in response.text
    assert db.scalars(select(MemberVote)).all() == []


def test_a_slip_holder_outside_the_rounds_groups_is_refused(app, client, db, s, settings):
    from app.registry.rules import today_in_china
    from compacts.rounds import services as rounds
    from tests.compacts.rounds_support import actor_for

    only_women = rounds.open_round(
        db,
        actor_for(s.organizer),
        s.compact,
        s.version,
        [s.women.id],
        today_in_china(),
        s.assembly.id,
    )
    phone = second_client(app)
    response = phone.get(_member_url(s.tokens[1], only_women.id, s.women.id))
    assert response.status_code == 403
    assert "您不在这一轮征求意见的这个小组里" in response.text
    assert "村规民约征求意见" not in phone.get(f"/s/{s.tokens[1]}").text


def test_a_staff_browser_cannot_speak_for_a_villager(app, client, db, s):
    round_ = open_round(db, s)
    browser = signed_in(app, s.organizer)
    url = _member_url(s.tokens[1], round_.id, s.villagers.id)
    response = post_form(browser, url + "/comment", {"article": "1", "text": "冒充"}, page=url)
    assert response.status_code == 403
    assert db.scalars(select(Comment)).all() == []


def test_the_text_is_shown_inert(app, client, db, s):
    hostile = "## <script>alert(1)</script>\n[点我](javascript:alert(1)) &amp;"
    version = version_of(db, s.compact, s.organizer, hostile, number=2)
    s.version = version
    round_ = open_round(db, s)
    text = second_client(app).get(_member_url(s.tokens[1], round_.id, s.villagers.id)).text
    assert "<script>alert" not in text and "&lt;script&gt;" in text
    assert 'href="javascript' not in text and "&amp;amp;" in text


def test_the_projector_page_is_public_and_tells_members_to_scan(app, client, db, s):
    round_ = open_round(db, s)
    response = second_client(app).get(f"/public/compacts/rounds/{round_.id}/groups/{s.women.id}")
    assert response.status_code == 200
    assert "妇女小组" in response.text and "请用手机扫您自己纸条上的二维码" in response.text
    assert "第三条 施行" in response.text and "<svg" in response.text
    absent = factories.GroupFactory(village_id=s.village.id)
    missing = second_client(app).get(f"/public/compacts/rounds/{round_.id}/groups/{absent.id}")
    assert missing.status_code == 404


def test_the_leader_enters_paper_opinions_votes_and_the_summary(app, client, db, s):
    round_ = open_round(db, s)
    leader = signed_in(app, s.leader)
    page = f"/compacts/rounds/{round_.id}/groups/{s.villagers.id}"
    shown = leader.get(page).text
    assert "王建国" in shown and "赵春梅" not in shown  # 赵春梅 is only in the women's group
    member = str(s.members[2].id)
    wrong = post_form(
        leader, page + "/comment", {"person_id": str(s.members[3].id), "text": "x"}, page=page
    )
    assert wrong.status_code == 422 and "请选择是哪一位组员的意见" in wrong.text
    ok = post_form(
        leader,
        page + "/comment",
        {"person_id": member, "article": "3", "text": "纸上意见"},
        page=page,
    )
    assert ok.status_code == 303
    comment = db.scalars(select(Comment)).one()
    assert comment.entered_by_id == s.leader.id and comment.article == "3"
    assert (
        post_form(
            leader, page + "/vote", {"person_id": member, "choice": "reject"}, page=page
        ).status_code
        == 303
    )
    twice = post_form(leader, page + "/vote", {"person_id": member, "choice": "approve"}, page=page)
    assert twice.status_code == 422 and "已投票" in twice.text
    assert (
        post_form(leader, page + "/summary", {"summary": "大家基本同意"}, page=page).status_code
        == 303
    )
    row = db.scalars(select(RoundGroup).where(RoundGroup.group_id == s.villagers.id)).one()
    assert row.summary == "大家基本同意" and row.summary_by_id == s.leader.id
    assert "已投票：不同意" in leader.get(page).text
    organizer = signed_in(app, s.organizer)
    assert organizer.get(page).status_code == 403  # entering paper is the leaders' job


def test_coverage_page_and_closing(app, client, db, s):
    round_ = open_round(db, s)
    organizer = signed_in(app, s.organizer)
    page = f"/compacts/rounds/{round_.id}"
    shown = organizer.get(page).text
    assert "各条意见数" in shown and "第二条 邻里" in shown and "未交" in shown
    refused = post_form(organizer, page + "/close", {"close_note": ""}, page=page)
    assert refused.status_code == 422
    assert "第一村民小组、妇女小组、老年协会联户组 还没有汇总意见" in refused.text
    db.refresh(round_)
    assert round_.closed_at is None
    note = "农忙，各组无法组织讨论，下一轮再议"
    closed = post_form(organizer, page + "/close", {"close_note": note}, page=page)
    assert closed.status_code == 303
    db.refresh(round_)
    assert round_.closed_at is not None and round_.close_note == note
    assert note in organizer.get(page).text


def test_another_villages_organizer_cannot_see_the_coverage(app, client, db, s):
    round_ = open_round(db, s)
    stranger = signed_in(app, factories.staff(Role.ORGANIZER, factories.VillageFactory()))
    response = stranger.get(f"/compacts/rounds/{round_.id}")
    assert response.status_code == 403 and "这个村不在您的管辖范围内" in response.text


def test_the_coverage_page_says_who_took_part_and_left_beside_the_count(app, db, s):
    round_ = open_round(db, s)
    for member in s.members[:3]:
        rounds_services.cast_vote(
            db,
            rounds_services.VILLAGER_QR,
            round_,
            member,
            VoteChoice.APPROVE,
            group_id=s.villagers.id,
        )
    s.members[2].active = False
    db.flush()
    page = soup(signed_in(app, s.organizer).get(f"/compacts/rounds/{round_.id}").text)
    row = next(r for r in page.select("table.coverage tbody tr") if "第一村民小组" in r.get_text())
    cells = [c.get_text(" ", strip=True) for c in row.select("td")]
    assert cells[1].startswith("2") and "另有 1 人参与后已不在组内" in cells[1]
    assert cells[2] == "100%"
    assert "不算在参与人数和参与比例里" in page.select_one("p.hint").get_text()
