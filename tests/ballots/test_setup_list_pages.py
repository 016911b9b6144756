"""Organizer pages for objections, paper nominations and candidates (real app)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from app.registry.rules import today_in_china
from ballots import setup
from ballots.models import Candidate, Nomination, Objection, Stage
from tests.ballots.setup_support import election, nominate, person, place
from tests.conftest import post_form, sign_in
from tests.html import soup


def _published(client, db, voters=3):
    """An election whose roll was published today, the organizer signed in."""
    where = place(db, voters=voters)
    found = election(db, where, election_day=today_in_china() + timedelta(days=30))
    setup.build_roll(db, where.actor, found)
    setup.advance(db, where.actor, found, Stage.ROLL_PUBLISHED, today_in_china())
    sign_in(client, where.organizer.username)
    return where, found


def _nominating(client, db, voters=5):
    where, found = _published(client, db, voters)
    # Nominations open once the objection period is over: date the publication back.
    found.roll_published_on = today_in_china() - timedelta(days=10)
    setup.advance(db, where.actor, found, Stage.OBJECTIONS_CLOSED, today_in_china())
    setup.advance(db, where.actor, found, Stage.NOMINATIONS, today_in_china())
    return where, found


def _count(db, model):
    return db.scalar(select(func.count()).select_from(model))


def test_file_an_objection_asks_which_namesake_then_records_it(client, db):
    where, found = _published(client, db)
    twin = person(where.village, where.other_group, name="选民1")
    path = f"/elections/{found.id}/objections/new"
    missing = post_form(client, path, {"filed_by": "", "text": "", "person_name": ""})
    assert missing.status_code == 422
    assert "请填写提出人。" in missing.text and "请写明异议的内容" in missing.text
    ambiguous = post_form(
        client, path, {"filed_by": "王五", "text": "已迁出", "person_name": "选民1"}
    )
    assert ambiguous.status_code == 422
    assert "叫“选民1”的有 2 位，请在下面选定是哪一位。" in ambiguous.text
    assert "第二组" in ambiguous.text
    assert _count(db, Objection) == 0
    done = post_form(
        client, path,
        {"filed_by": "王五", "text": "已迁出", "person_name": "选民1", "person_id": str(twin.id)},
    )  # fmt: skip
    assert done.status_code == 303
    objection = db.scalar(select(Objection))
    assert (objection.person_id, objection.filed_by) == (twin.id, "王五")
    listing = client.get(f"/elections/{found.id}/objections")
    assert "选民1（要求补登）" in listing.text
    assert "应在" in listing.text and "作出决定" in listing.text


def test_decide_an_objection_with_a_reason(client, db):
    where, found = _published(client, db)
    objection = setup.file_objection(
        db, where.actor, found, person_id=where.people[0].id, filed_by="王五", text="已迁出",
        today=today_in_china(),
    )  # fmt: skip
    path = f"/elections/{found.id}/objections/{objection.id}/decide"
    page = client.get(path)
    assert "如果异议成立：把 选民0 从选民名单上删除。" in page.text
    refused = post_form(client, path, {"upheld": "", "reason": ""})
    assert refused.status_code == 422
    assert "请选择异议是否成立。" in refused.text and "请填写答复理由。" in refused.text
    db.refresh(objection)
    assert objection.decided_on is None
    done = post_form(client, path, {"upheld": "yes", "reason": "经核实已迁出"})
    assert done.status_code == 303
    db.refresh(objection)
    assert objection.upheld is True and objection.decision_reason == "经核实已迁出"
    assert "经核实已迁出" in client.get(f"/public/elections/{found.id}/roll").text


def test_objection_form_says_when_the_period_is_over(client, db):
    _where, found = _published(client, db)
    found.roll_published_on = today_in_china() - timedelta(days=6)
    db.flush()
    page = client.get(f"/elections/{found.id}/objections/new")
    assert "已经过了，不能再登记" in page.text
    refused = post_form(
        client, f"/elections/{found.id}/objections/new", {"filed_by": "王五", "text": "晚了"},
        page=f"/elections/{found.id}/objections",
    )  # fmt: skip
    assert refused.status_code == 409
    assert _count(db, Objection) == 0


def test_paper_nomination_entry(client, db):
    _where, found = _nominating(client, db)
    path = f"/elections/{found.id}/nominations/new"
    unknown = post_form(
        client, path, {"nominee_name": "查无此人", "nominator": "paper", "paper_number": "1"}
    )
    assert unknown.status_code == 422
    assert "选民名单上没有叫“查无此人”的人" in unknown.text
    no_number = post_form(client, path, {"nominee_name": "选民2", "nominator": "paper"})
    assert no_number.status_code == 422 and "请填写提名表上的编号。" in no_number.text
    assert _count(db, Nomination) == 0
    for number in ("1", "2"):
        done = post_form(
            client, path, {"nominee_name": "选民2", "nominator": "paper", "paper_number": number}
        )
        assert done.status_code == 303
    again = post_form(
        client, path, {"nominee_name": "选民2", "nominator": "paper", "paper_number": "2"}
    )
    assert again.status_code == 422
    assert "这位提名人已经提名过选民2，同一人只算一次。" in again.text
    assert (
        post_form(client, path, {"nominee_name": "选民3", "nominator": "party"}).status_code == 303
    )
    page = client.get(f"/elections/{found.id}/nominations")
    assert "村党组织" in page.text and "纸质提名表 2" in page.text
    assert [(name, n) for _k, name, n in setup.tally_nominations(db, found)] == [
        ("选民2", 2), ("选民3", 1)
    ]  # fmt: skip


def test_publish_candidates_with_a_tie_decided_on_the_page(client, db):
    where, found = _nominating(client, db)
    nominate(db, where, found, {0: 3, 1: 2, 2: 2})
    path = f"/elections/{found.id}/candidates/publish"
    page = f"/elections/{found.id}/candidates"
    too_few = post_form(client, path, {"count": "1"}, page=page)
    assert too_few.status_code == 422
    assert "候选人必须多于应选人数（差额选举）" in too_few.text
    tie = post_form(client, path, {"count": "2"}, page=page)
    assert tie.status_code == 422
    assert "的提名数相同（2 票）" in tie.text
    assert f'value="person:{where.people[1].id}"' in tie.text
    assert _count(db, Candidate) == 0
    picked = f"person:{where.people[1].id}"
    done = client.post(
        path, data={"count": "2", "picked": picked, "csrf_token": _token(client, page)}
    )
    assert done.status_code == 303
    db.refresh(found)
    assert found.stage is Stage.CANDIDATES_PUBLISHED
    listing = client.get(page).text
    assert "选民0" in listing and "选民1" in listing and "登记退出" in listing
    public = client.get(f"/public/elections/{found.id}/candidates")
    assert public.status_code == 200
    assert "选民0" in public.text and "选民2" not in public.text


def _token(client, page):
    from tests.conftest import csrf_from

    return csrf_from(client, page)


def test_withdraw_a_candidate_on_the_page(client, db):
    where, found = _nominating(client, db)
    nominate(db, where, found, {0: 3, 1: 2, 2: 1})
    listed = setup.publish_candidates(db, where.actor, found, today_in_china(), 2)
    path = f"/elections/{found.id}/candidates/{listed[0].id}/withdraw"
    page = client.get(path)
    assert "由提名数其次的 选民2（1 票）接替" in page.text
    refused = post_form(client, path, {"reason": ""})
    assert refused.status_code == 422 and "请填写退出原因。" in refused.text
    done = post_form(client, path, {"reason": "本人书面申请退出"})
    assert done.status_code == 303
    assert "选民0 已退出，由 选民2 接替。" in client.get(done.headers["location"]).text
    public = client.get(f"/public/elections/{found.id}/candidates").text
    assert "已退出：选民0" in public


def test_after_an_upheld_objection_every_page_counts_the_same_voters(client, db):
    where, found = _published(client, db, voters=4)
    objection = setup.file_objection(
        db, where.actor, found, person_id=where.people[0].id, filed_by="王五", text="已迁出",
        today=today_in_china(),
    )  # fmt: skip
    decide = f"/elections/{found.id}/objections/{objection.id}/decide"
    assert post_form(client, decide, {"upheld": "yes", "reason": "经核实已迁出"}).status_code == 303

    def said(path: str, pattern: str) -> int:
        text = soup(client.get(path).text).select_one("main").get_text(" ", strip=True)
        found_number = re.search(pattern, text)
        assert found_number, f"{path}: {pattern} not in {text[:300]}"
        return int(found_number.group(1))

    public = said(f"/public/elections/{found.id}/roll", r"共 (\d+) 人")
    roll_page = said(f"/elections/{found.id}/roll", r"共 (\d+) 人")
    overview = said(f"/elections/{found.id}", r"选民名单 (\d+) 人")
    assert public == roll_page == overview == 3
    roll_text = soup(client.get(f"/elections/{found.id}/roll").text).get_text()
    assert "另有 1 人因异议成立已从名单上划去" in roll_text
