"""The answers, adoption, filing and delivery pages, and the villager's own pages."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.actors import SYSTEM
from app.permissions import Role
from app.settings import Settings
from compacts.adoption import answers
from compacts.adoption import services as adoption
from compacts.models import (
    Adoption,
    Answer,
    AnswerOutcome,
    DeliveryMethod,
    DeliveryReceipt,
    Filing,
    FilingDecision,
    Version,
)
from compacts.versions.services import freeze_version, save_draft
from slips.links import slip_token
from slips.services import issue_slips
from tests import factories
from tests.ballots import factories_elections as fe
from tests.compacts.adoption_support import (
    Book,
    adopt,
    book,
    comment,
    publish,
    round_on,
    version,
)
from tests.conftest import csrf_from, post_form, sign_in
from tests.html import soup


def _published(db: Session, b: Book, v: Version) -> None:
    """Adopted, acknowledged and published, with rows made directly (no meeting needed)."""
    publish(db, b, v)


def test_answer_form_requires_a_reason_and_writes_nothing(db: Session, client: TestClient) -> None:
    b = book(db)
    v1 = version(db, b, 1)
    c = comment(db, b, round_on(db, b, v1), b.people[0], "第二条请写清楚")
    v2 = version(db, b, 2)
    sign_in(client, b.organizer.username)
    page = f"/compacts/versions/{v2.id}/answers"
    shown = client.get(page)
    assert "还有 1 条意见没有答复" in shown.text
    assert "第二条请写清楚" in shown.text

    bad = post_form(client, f"{page}/{c.id}", {"outcome": "accepted", "reason": ""}, page=page)
    assert bad.status_code == 422
    assert "请填写理由" in bad.text
    assert db.scalars(select(Answer)).all() == []

    good = post_form(
        client, f"{page}/{c.id}", {"outcome": "partly", "reason": "已补充第二条"}, page=page
    )
    assert good.status_code == 303
    saved = db.scalar(select(Answer).where(Answer.comment_id == c.id))
    assert saved is not None and (saved.outcome, saved.version_id) == (AnswerOutcome.PARTLY, v2.id)
    assert "所有意见都已答复" in client.get(page).text


def test_other_village_staff_cannot_answer(db: Session, client: TestClient) -> None:
    b = book(db)
    v1 = version(db, b, 1)
    c = comment(db, b, round_on(db, b, v1), b.people[0], "意见")
    stranger = factories.staff(Role.ORGANIZER, factories.VillageFactory())
    sign_in(client, stranger.username)
    token = csrf_from(client, "/")
    response = client.post(
        f"/compacts/versions/{v1.id}/answers/{c.id}",
        data={"outcome": "accepted", "reason": "好", "csrf_token": token},
    )
    assert response.status_code == 403
    assert db.scalars(select(Answer)).all() == []


def test_member_reads_the_answer_through_their_slip(
    db: Session, client: TestClient, settings: Settings
) -> None:
    b = book(db)
    c = comment(db, b, round_on(db, b, version(db, b, 1)), b.people[0], "我建议改第二条")
    answers.answer(db, b.actor, c, AnswerOutcome.ACCEPTED, "已按您的意见修改")
    assembly = fe.assembly(db, b.village, title="征求意见")
    (slip,) = issue_slips(db, SYSTEM, assembly, [b.people[0].id], settings=settings)
    token = slip_token(settings, slip)

    slip_page = client.get(f"/s/{token}")
    assert f"/s/{token}/compacts/answers" in slip_page.text
    page = client.get(f"/s/{token}/compacts/answers")
    assert page.status_code == 200
    assert "我建议改第二条" in page.text and "已按您的意见修改" in page.text
    assert "采纳" in page.text


def test_public_page_shows_answers_and_keeps_the_text_inert(
    db: Session, client: TestClient
) -> None:
    b = book(db)
    c = comment(db, b, round_on(db, b, version(db, b, 1)), b.people[0], "<script>alert(1)</script>")
    v2 = version(db, b, 2)
    answers.answer(db, b.actor, c, AnswerOutcome.NOT_ACCEPTED, "<b>不</b>采纳", v2)
    page = client.get(f"/public/compacts/versions/{v2.id}")
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "&lt;b&gt;不&lt;/b&gt;采纳" in page.text
    assert "本村村民自愿订立本公约" in page.text
    assert client.get(f"/public/compacts/versions/{v2.id}/print").status_code == 404


def test_township_orders_a_correction_on_the_page(db: Session, client: TestClient) -> None:
    b = book(db)
    v = version(db, b, 1)
    db.add(
        Adoption(
            version_id=v.id,
            adopted=True,
            figures_json="{}",
            adopted_on=adoption.today(),
            recorded_by_id=b.organizer.id,
        )
    )
    db.flush()
    adoption.submit_filing(db, b.actor, v)
    township = factories.staff(Role.TOWNSHIP_ADMIN, b.village)
    sign_in(client, township.username)
    page = f"/compacts/versions/{v.id}/adoption"
    missing = post_form(
        client,
        f"/compacts/versions/{v.id}/filing/decide",
        {"decision": "correction_ordered", "order_text": "第三条不合法", "articles": ""},
        page=page,
    )
    assert missing.status_code == 422
    assert "请写出要改正的条款号" in missing.text
    ordered = post_form(
        client,
        f"/compacts/versions/{v.id}/filing/decide",
        {"decision": "correction_ordered", "order_text": "第三条不合法", "articles": "第3条、5"},
        page=page,
    )
    assert ordered.status_code == 303
    filing = db.scalar(select(Filing).where(Filing.version_id == v.id))
    assert filing is not None
    assert filing.decision is FilingDecision.CORRECTION_ORDERED
    assert adoption.filing_articles(filing) == ["3", "5"]
    assert "第三条不合法" in client.get(page).text


def test_household_confirms_receipt_by_slip_once(
    db: Session, client: TestClient, settings: Settings
) -> None:
    b = book(db)
    v = version(db, b, 1)
    _published(db, b, v)
    assembly = fe.assembly(db, b.village, title="送达")
    (slip,) = issue_slips(db, SYSTEM, assembly, [b.people[0].id], settings=settings)
    token = slip_token(settings, slip)
    page = f"/s/{token}/compacts/{v.id}/received"
    assert f"/s/{token}/compacts/{v.id}/received" in client.get(f"/s/{token}/compacts/answers").text
    token_csrf = csrf_from(client, page)
    assert "我家已收到" in client.get(page).text
    done = client.post(page, data={"csrf_token": token_csrf})
    assert done.status_code == 200
    assert "已登记" in done.text
    assert "我家已收到" not in client.get(page).text
    repeat = client.post(page, data={"csrf_token": token_csrf})
    assert repeat.status_code == 409
    assert "已经登记收到了" in repeat.text
    receipts = db.scalars(select(DeliveryReceipt)).all()
    assert [(r.household_id, r.method) for r in receipts] == [
        (b.people[0].household_id, DeliveryMethod.QR)
    ]


def test_leader_ticks_households_and_sees_the_share(db: Session, client: TestClient) -> None:
    b = book(db, people=4)
    v = version(db, b, 1)
    _published(db, b, v)
    leader = factories.staff(Role.GROUP_LEADER, b.village)
    sign_in(client, leader.username)
    page = f"/compacts/versions/{v.id}/delivery"
    token = csrf_from(client, page)
    empty = client.post(f"{page}/tick", data={"csrf_token": token})
    assert empty.status_code == 422
    assert "请至少勾选一户" in empty.text
    ticked = [str(p.household_id) for p in b.people[:2]]
    done = client.post(f"{page}/tick", data={"household": ticked, "csrf_token": token})
    assert done.status_code == 303
    assert "已送达 2 户，共 4 户（50%）" in client.get(page).text
    organizer_view = client.get(f"/compacts/versions/{v.id}/adoption")
    assert "已送达 2 户" in organizer_view.text


def test_the_public_page_leaves_out_an_answer_the_township_struck_out(
    db: Session, client: TestClient
) -> None:
    """A member asked for article 2 to say who convenes; the organizers accepted it in
    version 2; the township ordered article 2 corrected and version 3 rewrote it. The
    published version 3 lists only the answers that still stand."""
    b = book(db, people=2)
    first = "# 总则\n## 宗旨\n本村村民自愿订立本公约。\n## 议事\n大事由村民会议商量决定。"
    v1 = _frozen(db, b, first, "")
    r1 = round_on(db, b, v1)
    asked = comment(db, b, r1, b.people[0], "第二条要写明由村委会召集")
    kept = comment(db, b, r1, b.people[1], "宗旨写得好")
    kept.article = "1"
    db.flush()
    v2 = _frozen(db, b, first.replace("大事由", "大事由村委会召集"), "按意见修改第二条")
    answers.answer(db, b.actor, asked, AnswerOutcome.ACCEPTED, "已写明由村委会召集。", v2)
    answers.answer(db, b.actor, kept, AnswerOutcome.ACCEPTED, "保留第一条。", v2)
    adopt(db, b, v2)
    adoption.submit_filing(db, b.actor, v2)
    township = factories.staff(Role.TOWNSHIP_ADMIN, b.village)
    sign_in(client, township.username)
    ordered = post_form(
        client,
        f"/compacts/versions/{v2.id}/filing/decide",
        {"decision": "correction_ordered", "order_text": "第二条要写明依法决定", "articles": "2"},
        page=f"/compacts/versions/{v2.id}/adoption",
    )
    assert ordered.status_code == 303
    order = db.scalar(select(Filing).where(Filing.version_id == v2.id))
    assert order is not None
    corrected = first.replace("商量决定", "依法讨论决定")
    v3 = _frozen(db, b, corrected, "按乡镇改正意见修改第二条", answers_filing_id=order.id)
    _published(db, b, v3)

    page = soup(client.get(f"/public/compacts/versions/{v3.id}").text)
    listed = [li.get_text(" ", strip=True) for li in page.select("ul.cards li.card")]
    assert len(listed) == 1 and "宗旨写得好" in listed[0] and "保留第一条" in listed[0]
    assert not any("村委会召集" in text for text in listed)
    note = page.select_one(".struck-note")
    assert note is not None
    assert "另有 1 条采纳的意见不再列出" in note.get_text()
    assert "第二条要写明依法决定" in note.get_text()
    # Version 2's own page still shows what was answered with it.
    before = soup(client.get(f"/public/compacts/versions/{v2.id}").text)
    assert len(before.select("ul.cards li.card")) == 2
    assert before.select_one(".struck-note") is None


def _frozen(
    db: Session, b: Book, source: str, note: str, *, answers_filing_id: int | None = None
) -> Version:
    save_draft(db, b.actor, b.compact, source)
    return freeze_version(db, b.actor, b.compact, note, answers_filing_id)
