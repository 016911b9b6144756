"""Votes through the real app: the villager's QR vote under the slip link, and the
organizers' and tellers' motion pages (create, open, hands, close)."""

from __future__ import annotations

from sqlalchemy import func, select

from app.actors import Actor
from app.permissions import Role
from app.sealed_box import services as sealed_box
from meetings import votes
from meetings.models import Choice, HandCount, Motion, MotionVote, MotionVoteUse, VoteMethod
from slips.links import slip_token
from slips.services import issue_slips
from tests import factories
from tests.app.helpers import signed_in
from tests.conftest import csrf_from, post_form, sign_in
from tests.html import soup
from tests.meetings.votes_support import arrive, close_with_box, hall, leave, motion
from tests.sealed_box_support import password_of

ACTOR = Actor(label="测试")


def _token(db, settings, h, person):
    (slip,) = issue_slips(db, ACTOR, h.assembly, [person.id], settings=settings)
    return slip_token(settings, slip)


def _post(client, path, data):
    csrf = csrf_from(client, "/s")  # one token per browser session; any form page has it
    return client.post(path, data={**data, "csrf_token": csrf})


def _stored(db, model):
    return db.scalar(select(func.count()).select_from(model))


def test_an_attendee_votes_by_qr_confirms_and_a_replay_stores_nothing(client, db, settings):
    h = hall(db, 3)
    arrive(db, h.meeting, *h.people)
    m = motion(db, h.item)
    base = f"/s/{_token(db, settings, h, h.people[0])}/motions/{m.id}"

    page = client.get(base)
    assert page.status_code == 200 and "同意修建村东水渠" in page.text
    assert page.headers["cache-control"] == "no-store"
    missing = _post(client, base + "/confirm", {})
    assert missing.status_code == 422 and "请选一项：同意、不同意或弃权。" in missing.text
    confirm = _post(client, base + "/confirm", {"choice": "no"})
    assert confirm.status_code == 200 and "<strong>不同意</strong>" in confirm.text
    assert _stored(db, MotionVote) == 0  # confirming stores nothing

    done = _post(client, base + "/vote", {"choice": "no", "action": "vote"})
    assert done.status_code == 200 and "已投票" in done.text
    assert "不同意" not in done.text  # the answer page never says which way
    # Sealed in the meeting's box: no readable vote until the motion is closed.
    assert db.scalars(select(MotionVote.choice)).all() == []
    assert votes.box_status(db, h.meeting).sealed_choices == 1

    replay = _post(client, base + "/vote", {"choice": "yes", "action": "vote"})
    assert replay.status_code == 409 and "每人只能投一次" in replay.text
    assert _stored(db, MotionVoteUse) == 1
    assert votes.box_status(db, h.meeting).sealed_choices == 1
    close_with_box(db, ACTOR, m)
    assert db.scalars(select(MotionVote.choice)).all() == ["no"]


def test_someone_who_left_the_hall_cannot_vote_by_qr(client, db, settings):
    h = hall(db, 3)
    arrive(db, h.meeting, h.people[0])
    leave(db, h.meeting, h.people[0])
    m = motion(db, h.item)
    base = f"/s/{_token(db, settings, h, h.people[0])}/motions/{m.id}"
    page = client.get(base)
    assert page.status_code == 403 and "只有已经签到、还在会场的人才能表决" in page.text
    refused = _post(client, base + "/vote", {"choice": "yes", "action": "vote"})
    assert refused.status_code == 403
    assert _stored(db, MotionVote) == 0 and _stored(db, MotionVoteUse) == 0


def test_a_slip_of_another_assembly_opens_no_motion(client, db, settings):
    h, other = hall(db, 2), hall(db, 2)
    arrive(db, h.meeting, *h.people)
    m = motion(db, h.item)
    page = client.get(f"/s/{_token(db, settings, other, other.people[0])}/motions/{m.id}")
    assert page.status_code == 404 and "不能参加这项表决" in page.text


def test_organizer_puts_a_motion_tellers_count_hands_and_the_result_shows(client, app, db):
    h = hall(db, 10)
    arrive(db, h.meeting, *h.people[:8])
    sign_in(client, h.organizer.username)
    item_page = f"/meetings/items/{h.item.id}/votes"
    empty = post_form(
        client, f"/meetings/items/{h.item.id}/motions", {"method": "hands"}, page=item_page
    )
    assert empty.status_code == 422 and "请填写表决内容。" in empty.text
    assert _stored(db, Motion) == 0

    made = post_form(
        client,
        f"/meetings/items/{h.item.id}/motions",
        {"text": "同意修建村东水渠", "method": "hands"},
        page=item_page,
    )
    assert made.status_code == 303
    path = made.headers["location"]
    assert post_form(client, path + "/open", {}, page=path).status_code == 303

    first, second = (signed_in(app, t) for t in h.tellers[:2])
    assert (
        post_form(
            first, path + "/hands", {"yes": "5", "no": "2", "abstain": "1"}, page=path
        ).status_code
        == 303
    )
    assert (
        post_form(
            second, path + "/hands", {"yes": "4", "no": "2", "abstain": "1"}, page=path
        ).status_code
        == 303
    )
    shown = client.get(path)
    assert "计票员数的人数不一致" in shown.text
    refused = post_form(client, path + "/close", {}, page=path)
    assert refused.status_code == 409 and "重新数一次" in refused.text

    assert (
        post_form(
            second, path + "/hands", {"yes": "5", "no": "2", "abstain": "1"}, page=path
        ).status_code
        == 303
    )
    assert post_form(client, path + "/close", {}, page=path).status_code == 303
    result = client.get(path)
    assert "通过" in result.text and "赞成 5" in result.text and "结束时在场 8 人" in result.text
    closed = db.scalar(select(Motion))
    assert closed.method is VoteMethod.HANDS and closed.present_at_close == 8


def test_a_teller_counts_but_cannot_open_or_close_and_an_auditor_only_reads(client, app, db):
    h = hall(db, 4)
    arrive(db, h.meeting, *h.people)
    m = motion(db, h.item, VoteMethod.HANDS)
    path = f"/meetings/motions/{m.id}"
    teller = signed_in(app, h.tellers[0])
    assert post_form(teller, path + "/close", {}, page=path).status_code == 403
    bad = post_form(teller, path + "/hands", {"yes": "x", "no": "", "abstain": "0"}, page=path)
    assert (
        bad.status_code == 422 and "赞成要填一个整数" in bad.text and "请填写反对的人数" in bad.text
    )
    auditor = signed_in(app, factories.staff(Role.AUDITOR, h.village))
    assert auditor.get(path).status_code == 200
    assert (
        post_form(
            auditor, path + "/hands", {"yes": "1", "no": "0", "abstain": "0"}, page=path
        ).status_code
        == 403
    )
    assert m.closed_at is None


def test_staff_of_another_village_cannot_see_its_motions(client, db):
    h = hall(db, 2)
    m = motion(db, h.item)
    sign_in(client, factories.staff(Role.ORGANIZER, factories.VillageFactory()).username)
    assert client.get(f"/meetings/motions/{m.id}").status_code == 403
    assert client.get(f"/meetings/items/{h.item.id}/votes").status_code == 403


def test_the_slip_page_offers_the_open_motion_to_attendees_in_the_hall(client, db, settings):
    h = hall(db, 3)
    arrive(db, h.meeting, h.people[0])
    m = motion(db, h.item)
    inside = client.get(f"/s/{_token(db, settings, h, h.people[0])}")
    assert inside.status_code == 200
    assert f"/motions/{m.id}" in inside.text
    outside = client.get(f"/s/{_token(db, settings, h, h.people[1])}")
    assert f"/motions/{m.id}" not in outside.text  # not checked in: no vote link


def test_no_qr_vote_shares_a_transaction_id_with_its_use(db):
    """PostgreSQL stamps rows with their writer's transaction id (xmin). A QR vote is
    sealed at cast; its open row is written only by the closing transaction, all votes
    of the motion at once, so no open vote shares an id (or an order) with a use."""
    import pytest
    from sqlalchemy import text

    from meetings import votes

    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("xmin is PostgreSQL's")
    h = hall(db, 3)
    arrive(db, h.meeting, *h.people)
    m = motion(db, h.item)
    for person in h.people:
        with db.begin_nested():  # each vote in its own (sub)transaction, as in requests
            votes.cast_qr_vote(db, m, person, votes.Choice.YES)

    def xmins(table):
        query = f"SELECT xmin::text FROM {table} WHERE motion_id = :m"
        return set(db.scalars(text(query), {"m": m.id}))

    assert xmins("motion_vote") == set()  # nothing readable while the motion is open
    assert len(xmins("motion_vote_use")) == 3
    with db.begin_nested():
        close_with_box(db, ACTOR, m)
    after = xmins("motion_vote")
    assert len(after) == 1  # all written by the closing transaction: no order, no pairs
    assert not after & xmins("motion_vote_use")


def test_the_meetings_tellers_hold_its_sealed_box_and_two_passwords_close_a_qr_vote(
    client, app, db, settings
):
    """The organizer names three tellers as the box's holders; each sets a box password on
    the box page; the QR vote opens only then; closing it needs two of the passwords."""
    h = hall(db, 3)
    sealed_box.name_holders(db, sealed_box.MEETING, h.meeting.id, [])  # no holders yet
    arrive(db, h.meeting, *h.people)
    sign_in(client, h.organizer.username)
    box_page = f"/meetings/{h.meeting.id}/sealed-box"

    m = motion(db, h.item, opened=False)
    path = f"/meetings/motions/{m.id}"
    refused = post_form(client, path + "/open", {}, page=path)
    assert refused.status_code == 409 and "至少要有 3 位票箱保管人设好开箱密码" in refused.text

    two = post_form(client, box_page + "/holders", {"tellers": str(h.tellers[0].id)}, page=box_page)
    assert two.status_code == 422
    assert "至少选择 3 名" in soup(two.text).select_one("#e-tellers").text
    named = client.post(
        box_page + "/holders",
        data={"tellers": [str(t.id) for t in h.tellers], "csrf_token": csrf_from(client, box_page)},
    )
    assert named.status_code == 303
    for index, teller in enumerate(h.tellers):
        own = signed_in(app, teller)
        mismatch = post_form(
            own,
            box_page + "/password",
            {"box_password": "abcdefgh1", "box_password_confirm": "abcdefgh2"},
            page=box_page,
        )
        assert mismatch.status_code == 422
        error = soup(mismatch.text).select_one("#e-box_password")
        assert error is not None and "两次输入的开箱密码不一样" in error.text
        assert (
            post_form(
                own,
                box_page + "/password",
                {"box_password": password_of(index), "box_password_confirm": password_of(index)},
                page=box_page,
            ).status_code
            == 303
        )
    states = [li.text for li in soup(client.get(box_page).text).select(".box-holders li")]
    assert len(states) == 3 and all("已设开箱密码" in s for s in states)

    assert post_form(client, path + "/open", {}, page=path).status_code == 303
    db.refresh(m)
    for person in h.people:
        votes.cast_qr_vote(db, m, person, Choice.YES)
    live = client.get(path).text
    assert "同意" not in soup(live).select_one("main").text.replace("同意修建村东水渠", "")

    first, second = h.tellers[0], h.tellers[1]
    wrong = post_form(client, path + "/close", {f"open_{first.id}": "not-my-password"}, page=path)
    assert wrong.status_code == 422
    beside = soup(wrong.text).select_one(f"#e-open_{first.id}")
    assert beside is not None and "开箱密码不对" in beside.text
    assert db.scalar(select(Motion.closed_at).where(Motion.id == m.id)) is None
    alone = post_form(client, path + "/close", {f"open_{first.id}": password_of(0)}, page=path)
    assert alone.status_code == 422 and "开箱需要 2 位保管人" in alone.text
    assert votes.box_status(db, h.meeting).sealed_choices == 3

    closed = post_form(
        client,
        path + "/close",
        {f"open_{first.id}": password_of(0), f"open_{second.id}": password_of(1)},
        page=path,
    )
    assert closed.status_code == 303
    assert "赞成 3" in client.get(path).text
    assert votes.box_status(db, h.meeting).sealed_choices == 0


def test_a_show_of_hands_larger_than_the_hall_is_refused_beside_the_form(app, db):
    """A teller types more hands than people present: the motion page comes back with the
    error beside the figures and what was typed, and nothing is recorded."""
    h = hall(db, 6)
    arrive(db, h.meeting, *h.people[:4])
    m = motion(db, h.item, VoteMethod.HANDS)
    path = f"/meetings/motions/{m.id}"
    teller = signed_in(app, h.tellers[0])
    typed = {"yes": "3", "no": "1", "abstain": "1"}
    refused = post_form(teller, path + "/hands", typed, page=path)
    assert refused.status_code == 422
    page = soup(refused.text)
    form = page.select_one(f'form[action="{path}/hands"]')
    assert form is not None
    error = form.select_one("#e-hands")
    assert error is not None and "加起来有 5 人，比现在在场的 4 人还多" in error.get_text()
    for name, value in typed.items():
        field = form.select_one(f"input[name={name}]")
        assert field is not None and field["value"] == value
    assert db.scalar(select(func.count()).select_from(HandCount)) == 0


def test_closing_on_counts_that_differ_is_refused_beside_the_close_button(app, client, db):
    h = hall(db, 6)
    arrive(db, h.meeting, *h.people)
    m = motion(db, h.item, VoteMethod.HANDS)
    path = f"/meetings/motions/{m.id}"
    for teller, yes in zip(h.tellers[:2], ("4", "3"), strict=True):
        counted = post_form(
            signed_in(app, teller),
            path + "/hands",
            {"yes": yes, "no": "1", "abstain": "0"},
            page=path,
        )
        assert counted.status_code == 303
    sign_in(client, h.organizer.username)
    refused = post_form(client, path + "/close", {}, page=path)
    assert refused.status_code == 409
    error = soup(refused.text).select_one("form#close-motion #e-close")
    assert error is not None and "重新数一次" in error.get_text()
    db.refresh(m)
    assert m.closed_at is None
