"""A compact from first draft to every household, through the real pages.

Draft; two rounds across four groups of all three kinds, with members commenting and
voting through their QR links and a group leader entering paper opinions; every comment
answered; adopted at a villagers' assembly that meets quorum; filed; the township orders
a correction; revised, re-adopted, filed again, published and delivered to households.
The hall itself (check-in, the QR votes, closing the motion) uses the meetings services:
that package's pages have their own tests.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.accounts.models import StaffUser
from app.actors import SYSTEM, actor_for
from app.db import utcnow
from app.permissions import Role
from app.registry.models import GroupKind, Person, Village
from app.registry.rules import today_in_china
from app.sealed_box import services as sealed_box
from app.settings import Settings
from compacts.models import (
    Adoption,
    Answer,
    Comment,
    Compact,
    DeliberationRound,
    DeliveryReceipt,
    Filing,
    FilingDecision,
    MemberVote,
    Version,
)
from meetings import votes
from meetings.models import Choice, Meeting, MeetingStatus, Motion
from slips.links import slip_token
from slips.services import issue_slips
from tests import factories
from tests.app.helpers import signed_in
from tests.ballots import factories_elections as fe
from tests.conftest import csrf_from
from tests.html import soup
from tests.meetings.meetings_support import villagers_assembly
from tests.meetings.votes_support import arrive, close_with_box
from tests.sealed_box_support import holders_for

FIRST_TEXT = "# 总则\n## 宗旨\n本村村民自愿订立本公约。\n## 议事\n大事由村民会议商量决定。\n"
SECOND_TEXT = FIRST_TEXT + "## 互助\n邻里之间互相帮助，照顾老人和孩子。\n"
CORRECTED = SECOND_TEXT.replace("大事由村民会议商量决定。", "大事由村民会议依法讨论决定。")


def post(browser: TestClient, path: str, data: dict[str, Any], page: str) -> Any:
    response = browser.post(path, data={**data, "csrf_token": csrf_from(browser, page)})
    assert response.status_code in (200, 303), (path, response.status_code, response.text[:2000])
    return response


class Village4:
    """Four groups of all three kinds, eight adults with slips of one assembly."""

    def __init__(self, db: Session, app: Starlette, settings: Settings) -> None:
        self.db, self.app, self.settings = db, app, settings
        self.village: Village = factories.VillageFactory()
        self.organizer: StaffUser = factories.staff(Role.ORGANIZER, self.village)
        self.leader = factories.staff(Role.GROUP_LEADER, self.village)
        self.township = factories.staff(Role.TOWNSHIP_ADMIN, self.village)
        kinds = [GroupKind.VILLAGERS, GroupKind.VILLAGERS, GroupKind.WOMEN, GroupKind.ASSOCIATION]
        self.groups = [
            factories.GroupFactory(village_id=self.village.id, kind=kind, name=f"第{i + 1}组")
            for i, kind in enumerate(kinds)
        ]
        self.people: list[Person] = fe.adults(self.village, 8)
        for index, person in enumerate(self.people):
            group = self.groups[index // 2]
            factories.MembershipFactory(person_id=person.id, group_id=group.id, kind=group.kind)
        self.assembly = fe.assembly(db, self.village, title="公约征求意见和表决")
        slips = issue_slips(
            db, SYSTEM, self.assembly, [p.id for p in self.people], settings=settings
        )
        by_person = {s.person_id: slip_token(settings, s) for s in slips}
        self.tokens = [by_person[p.id] for p in self.people]
        self.staff = signed_in(app, self.organizer)

    def phone(self) -> TestClient:
        """A villager's own browser: never signed in as staff."""
        return TestClient(self.app, follow_redirects=False)

    def latest(self, compact: Compact) -> Version:
        found = self.db.scalars(
            select(Version).where(Version.compact_id == compact.id).order_by(Version.number.desc())
        ).first()
        assert found is not None
        return found

    def freeze(
        self, compact: Compact, source: str, note: str, filing: int | None = None
    ) -> Version:
        draft = f"/compacts/{compact.id}/draft"
        post(self.staff, draft, {"source": source}, draft)
        data: dict[str, Any] = {"change_note": note}
        if filing is not None:
            data["answers_filing_id"] = str(filing)
        post(self.staff, f"/compacts/{compact.id}/versions", data, draft)
        return self.latest(compact)

    def deliberate(self, compact: Compact, version: Version, texts: list[str]) -> None:
        """A round over the four groups: members 0..5 by QR, group 4 on paper by the leader."""
        new = f"/compacts/{compact.id}/rounds/new"
        data = {
            "version_id": str(version.id),
            "groups": [str(g.id) for g in self.groups],
            "deadline": (today_in_china() + timedelta(days=7)).isoformat(),
            "assembly_id": str(self.assembly.id),
        }
        post(self.staff, new, data, new)
        round_ = self.db.scalars(
            select(DeliberationRound).where(DeliberationRound.version_id == version.id)
        ).one()
        for index in range(6):
            phone = self.phone()
            # The villager's slip page links to the round, once per group of theirs.
            slip = soup(phone.get(f"/s/{self.tokens[index]}").text)
            (link,) = slip.select(f"a[href*='/compacts/rounds/{round_.id}/']")
            page = str(link["href"])
            if index < len(texts):
                post(phone, page + "/comment", {"article": "2", "text": texts[index]}, page)
            post(phone, page + "/vote", {"choice": "approve"}, page)
        leader = signed_in(self.app, self.leader)
        paper = f"/compacts/rounds/{round_.id}/groups/{self.groups[3].id}"
        for person in self.people[6:]:
            who = str(person.id)
            post(
                leader,
                paper + "/comment",
                {"person_id": who, "article": "1", "text": "纸面意见"},
                paper,
            )
            post(
                leader, paper + "/vote", {"person_id": who, "choice": "approve_with_changes"}, paper
            )
        post(leader, paper + "/summary", {"summary": "协会联户组同意，建议写明互助。"}, paper)
        close = f"/compacts/rounds/{round_.id}"
        post(self.staff, close + "/close", {"close_note": ""}, close)

    def answer_all(self, version: Version) -> None:
        page = f"/compacts/versions/{version.id}/answers"
        answered = set(self.db.scalars(select(Answer.comment_id)))
        for comment in self.db.scalars(select(Comment).order_by(Comment.id)):
            if comment.id not in answered:
                data = {"outcome": "accepted", "reason": f"已采纳：{comment.text}"}
                post(self.staff, f"{page}/{comment.id}", data, page)

    def meeting(self) -> Meeting:
        return villagers_assembly(
            self.db,
            self.village,
            self.organizer,
            self.organizer,
            title="村民会议",
            place="礼堂",
            starts_at=utcnow(),
            status=MeetingStatus.OPEN,
            assembly_id=self.assembly.id,
        )

    def adopt(self, version: Version) -> Adoption:
        meeting = self.meeting()
        page = f"/compacts/versions/{version.id}/adoption"
        post(self.staff, page + "/put", {"meeting": str(meeting.id), "method": "qr"}, page)
        motion = adoption_motion(self.db, meeting)
        actor = actor_for(self.organizer)
        arrive(self.db, meeting, *self.people[:6])  # 6 of 8 adults: quorum
        # Three tellers hold the meeting's sealed box, their box passwords set.
        holders_for(self.db, sealed_box.MEETING, meeting.id, self.village, Role.TELLER)
        votes.open_motion(self.db, actor, motion)
        for person in self.people[:5]:
            votes.cast_qr_vote(self.db, motion, person, Choice.YES)
        close_with_box(self.db, actor, motion)
        post(self.staff, page + "/record", {"motion": str(motion.id)}, page)
        row = self.db.scalar(select(Adoption).where(Adoption.motion_id == motion.id))
        assert row is not None
        return row

    def file(self, version: Version, decision: FilingDecision) -> Filing:
        page = f"/compacts/versions/{version.id}/adoption"
        post(self.staff, f"/compacts/versions/{version.id}/filing", {}, page)
        township = signed_in(self.app, self.township)
        data = {"decision": decision.value, "order_text": "", "articles": ""}
        if decision is FilingDecision.CORRECTION_ORDERED:
            data.update(order_text="第二条要写明依法", articles="2")
        post(township, f"/compacts/versions/{version.id}/filing/decide", data, page)
        filing = self.db.scalars(
            select(Filing).where(Filing.version_id == version.id).order_by(Filing.id.desc())
        ).first()
        assert filing is not None and filing.decision is decision
        return filing


def adoption_motion(db: Session, meeting: Meeting) -> Motion:
    from meetings.models import AgendaItem

    return db.scalars(
        select(Motion).join(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
    ).one()


def test_compact_from_draft_to_every_household(
    db: Session, app: Starlette, settings: Settings
) -> None:
    v = Village4(db, app, settings)
    new = f"/villages/{v.village.id}/compacts/new"
    post(v.staff, new, {"title": "村规民约", "start": "empty"}, new)
    compact = db.scalars(select(Compact).where(Compact.village_id == v.village.id)).one()

    v1 = v.freeze(compact, FIRST_TEXT, "初稿")
    v.deliberate(compact, v1, ["第二条要写清楚谁来召集", "加一条互助", "同意"])
    v2 = v.freeze(compact, SECOND_TEXT, "按第一轮意见增加互助条款")
    v.answer_all(v2)
    v.deliberate(compact, v2, ["互助条款很好", "再写明照顾留守儿童"])
    assert db.scalar(select(MemberVote.id).where(MemberVote.person_id == v.people[7].id))

    # An unanswered comment blocks the vote, with the count.
    page = f"/compacts/versions/{v2.id}/adoption"
    early = v.meeting()
    refused = v.staff.post(
        page + "/put",
        data={"meeting": str(early.id), "method": "qr", "csrf_token": csrf_from(v.staff, page)},
    )
    assert refused.status_code == 409
    assert "还有 4 条意见没有答复" in refused.text
    assert db.scalars(select(Motion)).all() == []
    early.status = MeetingStatus.CLOSED
    db.flush()
    v.answer_all(v2)

    first = v.adopt(v2)
    assert first.adopted
    order = v.file(v2, FilingDecision.CORRECTION_ORDERED)
    assert "第二条要写明依法" in v.staff.get(page).text

    v3 = v.freeze(compact, CORRECTED, "按乡镇改正意见修改第二条", filing=order.id)
    assert v3.answers_filing_id == order.id
    assert v.adopt(v3).adopted
    v.file(v3, FilingDecision.ACKNOWLEDGED)
    post(v.staff, f"/compacts/versions/{v3.id}/publish", {}, f"/compacts/versions/{v3.id}/adoption")

    # Public page and the A4 edition carry the adoption figures and the filing.
    public = v.staff.get(f"/public/compacts/versions/{v3.id}/print")
    assert public.status_code == 200
    assert "赞成 5 票" in public.text and "已报乡镇人民政府备案" in public.text

    # Delivery: one household through its member's slip, two ticked by the leader.
    phone = v.phone()
    received = f"/s/{v.tokens[0]}/compacts/{v3.id}/received"
    post(phone, received, {}, received)
    leader = signed_in(app, v.leader)
    tick = f"/compacts/versions/{v3.id}/delivery"
    households = [str(p.household_id) for p in v.people[:3]]
    post(leader, tick + "/tick", {"household": households}, tick)
    receipts = db.scalars(select(DeliveryReceipt).where(DeliveryReceipt.version_id == v3.id))
    assert sorted(r.method.value for r in receipts) == ["leader", "leader", "qr"]
    assert "已送达 3 户，共 8 户（38%）" in leader.get(tick).text

    # Every member can read the answer to what they said.
    mine = phone.get(f"/s/{v.tokens[0]}/compacts/answers")
    assert "已采纳：第二条要写清楚谁来召集" in mine.text
