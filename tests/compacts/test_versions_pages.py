"""The compact pages as organizers, other staff and outsiders see them."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.actors import actor_for
from app.permissions import Role
from compacts.models import (
    Adoption,
    Answer,
    AnswerOutcome,
    Comment,
    Compact,
    DeliberationRound,
    DeliveryMethod,
    DeliveryReceipt,
    Draft,
    Filing,
    FilingDecision,
    Publication,
    RoundGroup,
    Version,
)
from compacts.versions.services import create_compact, freeze_version, save_draft
from tests import factories
from tests.conftest import post_form, sign_in
from tests.html import soup


def _versions(db: Session) -> int:
    return db.scalar(select(func.count(Version.id))) or 0


def test_organizer_creates_edits_and_freezes_a_compact(client: TestClient, db: Session) -> None:
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    sign_in(client, organizer.username)

    home = client.get("/")
    assert f"/villages/{village.id}/compacts" in home.text
    created = post_form(
        client, f"/villages/{village.id}/compacts/new", {"title": "婚育新风公约", "start": "empty"}
    )
    assert created.status_code == 303
    compact = db.scalar(select(Compact).where(Compact.village_id == village.id))
    assert compact is not None
    draft_path = f"/compacts/{compact.id}/draft"
    assert created.headers["location"] == draft_path

    saved = post_form(client, draft_path, {"source": "# 总则\n## 目的\n为了<b>和睦</b>。"})
    assert saved.status_code == 303
    page = client.get(draft_path)
    assert "草稿已保存" in page.text
    assert "第一章 总则" in page.text and "第一条 目的" in page.text
    assert "为了&lt;b&gt;和睦&lt;/b&gt;。" in page.text

    frozen = post_form(client, f"/compacts/{compact.id}/versions", {}, page=draft_path)
    assert frozen.status_code == 303
    version = db.scalar(select(Version).where(Version.compact_id == compact.id))
    assert version is not None and version.number == 1
    shown = client.get(frozen.headers["location"])
    assert "已保存为第 1 版" in shown.text and version.sha256 in shown.text

    history = client.get(f"/compacts/{compact.id}")
    assert "第 1 版" in history.text and "还没有征求意见" in history.text
    listing = client.get(f"/villages/{village.id}/compacts")
    assert "婚育新风公约" in listing.text


def test_a_missing_title_is_explained_and_nothing_is_written(
    client: TestClient, db: Session
) -> None:
    village = factories.VillageFactory()
    sign_in(client, factories.staff(Role.ORGANIZER, village).username)

    response = post_form(client, f"/villages/{village.id}/compacts/new", {"title": ""})

    assert response.status_code == 422
    assert "请填写公约名称" in response.text
    assert db.scalar(select(func.count(Compact.id))) == 0


def test_freezing_an_unchanged_draft_is_refused_and_says_why(
    client: TestClient, db: Session
) -> None:
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    compact = create_compact(db, actor_for(organizer), village, "公约")
    freeze_version(db, actor_for(organizer), compact, "")
    sign_in(client, organizer.username)
    draft_path = f"/compacts/{compact.id}/draft"

    response = post_form(
        client, f"/compacts/{compact.id}/versions", {"change_note": "再存"}, page=draft_path
    )

    # Beside the form, on the draft page, with the typed note kept (not a bare error page).
    assert response.status_code == 422
    page = soup(response.text)
    assert "一字不差" in page.select_one("div.errors").get_text()
    assert page.select_one("textarea[name=change_note]").get_text() == "再存"
    assert _versions(db) == 1


def test_a_later_version_without_a_note_shows_the_error_beside_the_field(
    client: TestClient, db: Session
) -> None:
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    compact = create_compact(db, actor_for(organizer), village, "公约")
    freeze_version(db, actor_for(organizer), compact, "")
    save_draft(db, actor_for(organizer), compact, "## 唯一\n改过的内容")
    sign_in(client, organizer.username)
    draft_path = f"/compacts/{compact.id}/draft"

    response = post_form(client, f"/compacts/{compact.id}/versions", {}, page=draft_path)

    assert response.status_code == 422
    assert 'id="e-change_note"' in response.text and "请写一句修改说明" in response.text
    assert _versions(db) == 1


def test_compare_shows_marks_and_renumbering(client: TestClient, db: Session) -> None:
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    actor = actor_for(organizer)
    compact = create_compact(db, actor, village, "公约", from_model=False)
    save_draft(db, actor, compact, "## 甲\n邻里和睦。\n## 乙\n爱护环境。")
    freeze_version(db, actor, compact, "")
    save_draft(
        db, actor, compact, "## 新\n<script>x</script>\n## 甲\n邻里和睦相处。\n## 乙\n爱护环境。"
    )
    freeze_version(db, actor, compact, "改")
    sign_in(client, factories.staff(Role.GROUP_LEADER, village).username)

    page = client.get(f"/compacts/{compact.id}/compare?old=1&new=2")

    assert page.status_code == 200
    assert "<ins>相处</ins>" in page.text
    assert "仅条号变了" in page.text and "新增" in page.text
    assert "<script>x" not in page.text and "&lt;script&gt;x" in page.text
    wrong = client.get(f"/compacts/{compact.id}/compare?old=1&new=7")
    assert wrong.status_code == 422 and "请选择这份公约已有的一个版本" in wrong.text


def test_other_villages_and_read_only_staff(client: TestClient, db: Session) -> None:
    village, elsewhere = factories.VillageFactory(), factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    compact = create_compact(db, actor_for(organizer), village, "公约")
    version = freeze_version(db, actor_for(organizer), compact, "")

    sign_in(client, factories.staff(Role.ORGANIZER, elsewhere).username)
    assert client.get(f"/compacts/{compact.id}").status_code == 404
    assert client.get(f"/compacts/versions/{version.id}").status_code == 404
    assert client.get(f"/villages/{village.id}/compacts").status_code == 403

    client.cookies.clear()
    sign_in(client, factories.staff(Role.TELLER, village).username)
    assert client.get(f"/compacts/{compact.id}").status_code == 200
    response = post_form(
        client,
        f"/compacts/{compact.id}/draft",
        {"source": "## 改\n改"},
        page=f"/compacts/{compact.id}",
    )
    assert response.status_code == 403
    draft = db.scalar(select(Draft).where(Draft.compact_id == compact.id))
    assert draft is not None and "## 改" not in draft.source


def test_the_compact_page_tells_the_whole_history(client: TestClient, db: Session) -> None:
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    compact = create_compact(db, actor_for(organizer), village, "公约")
    version = freeze_version(db, actor_for(organizer), compact, "")
    group = factories.GroupFactory(village_id=village.id)
    household = factories.HouseholdFactory(village_id=village.id)
    person = factories.PersonFactory(household=household)
    round_ = DeliberationRound(
        compact_id=compact.id, version_id=version.id, deadline=date(2026, 12, 31)
    )
    db.add(round_)
    db.flush()
    db.add(RoundGroup(round_id=round_.id, group_id=group.id))
    db.flush()
    comments = [
        Comment(round_id=round_.id, group_id=group.id, person_id=person.id, article="1", text=t)
        for t in ("意见一", "意见二")
    ]
    db.add_all(comments)
    db.flush()
    figures = {"yes": 40, "no": 3, "abstain": 2}
    db.add_all(
        [
            Answer(
                comment_id=comments[0].id,
                outcome=AnswerOutcome.ACCEPTED,
                reason="已采纳",
                answered_by_id=organizer.id,
            ),
            Adoption(
                version_id=version.id,
                adopted=True,
                figures_json=json.dumps(figures),
                adopted_on=date(2027, 1, 5),
                recorded_by_id=organizer.id,
            ),
            Filing(
                version_id=version.id,
                submitted_by_id=organizer.id,
                decision=FilingDecision.ACKNOWLEDGED,
            ),
            Publication(
                version_id=version.id, published_on=date(2027, 1, 20), published_by_id=organizer.id
            ),
            DeliveryReceipt(
                version_id=version.id, household_id=household.id, method=DeliveryMethod.LEADER
            ),
        ]
    )
    db.flush()
    sign_in(client, organizer.username)

    page = client.get(f"/compacts/{compact.id}")

    assert page.status_code == 200
    assert "意见 2 条，已答复 1 条" in page.text
    assert "村民会议通过，2027-01-05" in page.text and "赞成 40，反对 3，弃权 2" in page.text
    assert "乡镇已备案" in page.text
    assert "2027-01-20 公布；已送达 1 户，共 1 户" in page.text
    version_page = client.get(f"/compacts/versions/{version.id}")
    assert "还有 1 条没有答复" in version_page.text


def test_a_new_version_answers_the_townships_correction_order(
    client: TestClient, db: Session
) -> None:
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    actor = actor_for(organizer)
    compact = create_compact(db, actor, village, "公约")
    first = freeze_version(db, actor, compact, "")
    order = Filing(
        version_id=first.id,
        submitted_by_id=organizer.id,
        decision=FilingDecision.CORRECTION_ORDERED,
        order_text="第二条的说法需要修改",
    )
    db.add(order)
    db.flush()
    save_draft(db, actor, compact, "## 目的\n按乡镇意见改过的文字。")
    sign_in(client, organizer.username)
    draft_path = f"/compacts/{compact.id}/draft"
    assert "第二条的说法需要修改" in client.get(draft_path).text

    response = post_form(
        client,
        f"/compacts/{compact.id}/versions",
        {"change_note": "按通知改正", "answers_filing_id": str(order.id)},
        page=draft_path,
    )

    assert response.status_code == 303
    second = db.scalar(select(Version).where(Version.number == 2))
    assert second is not None and second.answers_filing_id == order.id
    assert "按乡镇的改正通知修改" in client.get(f"/compacts/{compact.id}").text
