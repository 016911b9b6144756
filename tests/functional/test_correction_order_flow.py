"""Answering a correction order (责令改正) through the pages (issue 14, "Answering a
correction order is a trap").

The township orders version 1 corrected. The organizer revises the draft and saves version
2 but leaves "这一版是按乡镇的改正通知修改的" at "不是" (the form now proposes the order, so
it takes a deliberate choice). Saving the same text again to fix that is refused beside the
form, saying where to mark it; version 2's adoption page offers the mark; once marked, the
order is answered and version 2 may go to the assembly.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.actors import actor_for
from app.permissions import Role
from compacts.adoption import services as adoption
from compacts.models import Adoption, FilingDecision, OrderAnswer, Version
from compacts.versions import services as versions
from tests import factories
from tests.conftest import post_form, sign_in
from tests.html import soup

FIRST = "# 总则\n## 宗旨\n本村村民自愿订立本公约。\n## 议事\n大事由村民会议商量决定。\n"
CORRECTED = FIRST.replace("商量决定", "依法讨论决定")


def _versions(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Version)) or 0


def test_a_version_saved_without_the_mark_can_still_answer_the_order(
    client: TestClient, db: Session
) -> None:
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    township = factories.staff(Role.TOWNSHIP_ADMIN, village)
    actor = actor_for(organizer)
    compact = versions.create_compact(db, actor, village, "村规民约")
    versions.save_draft(db, actor, compact, FIRST)
    first = versions.freeze_version(db, actor, compact, "")
    db.add(
        Adoption(
            version_id=first.id,
            adopted=True,
            figures_json="{}",
            adopted_on=adoption.today(),
            recorded_by_id=organizer.id,
        )
    )
    db.flush()
    filing = adoption.submit_filing(db, actor, first)
    adoption.decide_filing(
        db, actor_for(township), filing, FilingDecision.CORRECTION_ORDERED, "第二条要依法", ["2"]
    )

    sign_in(client, organizer.username)
    draft = f"/compacts/{compact.id}/draft"
    saved = post_form(client, draft, {"source": CORRECTED}, page=draft)
    assert saved.status_code in (200, 303)
    page = soup(client.get(draft).text)
    chosen = page.select_one("select[name=answers_filing_id] option[selected]")
    assert chosen is not None and chosen["value"] == str(filing.id), "the order is proposed"

    # The organizer picks "不是" and saves version 2 anyway: the trap of before.
    frozen = post_form(
        client,
        f"/compacts/{compact.id}/versions",
        {"change_note": "按乡镇意见改了第二条", "answers_filing_id": ""},
        page=draft,
    )
    assert frozen.status_code == 303
    second = db.scalars(select(Version).where(Version.number == 2)).one()
    assert versions.open_correction_orders(db, compact) == [filing]

    # Saving the same text again, now marked, is refused beside the form with the way out.
    again = post_form(
        client,
        f"/compacts/{compact.id}/versions",
        {"change_note": "回应改正通知", "answers_filing_id": str(filing.id)},
        page=draft,
    )
    assert again.status_code == 422
    field = (
        soup(again.text).select_one("select[name=answers_filing_id]").find_parent(class_="field")
    )
    assert "请在第 2 版的“表决、备案和送达”页面标明它回应改正通知" in field.get_text()
    assert soup(again.text).select_one("textarea[name=change_note]").get_text() == "回应改正通知"
    assert _versions(db) == 2

    # Version 2's adoption page offers the mark.
    adoption_page = f"/compacts/versions/{second.id}/adoption"
    shown = soup(client.get(adoption_page).text)
    form = shown.select_one("form.order-answer")
    assert form is not None and "第 2 版就是按乡镇的改正通知修改的" in form.get_text()
    marked = post_form(
        client,
        form["action"],
        {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")},
        page=adoption_page,
    )
    assert marked.status_code == 303
    assert versions.open_correction_orders(db, compact) == []
    assert db.scalars(select(OrderAnswer)).one().version_id == second.id
    after = soup(client.get(adoption_page).text)
    assert after.select_one("form.order-answer") is None
    assert "还没有新版本回应" not in after.get_text()
    history = soup(client.get(f"/compacts/{compact.id}").text).get_text()
    assert "按乡镇的改正通知修改。" in history

    # A second mark for the same version is refused beside the form, nothing written.
    twice = post_form(
        client,
        f"/compacts/versions/{second.id}/order-answer",
        {"filing_id": str(filing.id)},
        page=adoption_page,
    )
    assert twice.status_code == 422
    assert "已经回应过一份改正通知了" in twice.text
    assert db.scalar(select(func.count()).select_from(OrderAnswer)) == 1
