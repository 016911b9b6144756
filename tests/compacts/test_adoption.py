"""Adoption at the villagers' assembly, filing with the township, publication, delivery."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.actors import actor_for
from app.permissions import Role
from compacts.adoption import answers, delivery
from compacts.adoption import services as adoption
from compacts.exceptions import (
    AdoptionRefused,
    AlreadyReceived,
    FilingRefused,
    NotReadyForAdoption,
    PublicationRefused,
)
from compacts.models import (
    Adoption,
    AnswerOutcome,
    Compact,
    DeliveryMethod,
    DeliveryReceipt,
    FilingDecision,
    Version,
)
from compacts.versions.services import open_correction_orders
from meetings import projector, votes
from meetings.models import AgendaItem, Choice, ItemKind, MeetingKind, Motion, VoteMethod
from tests import factories
from tests.app.helpers import signed_in
from tests.compacts.adoption_support import Book, comment, round_on, version
from tests.html import soup
from tests.meetings.votes_support import Hall, arrive, close_with_box, hall


def _book(db: Session) -> tuple[Hall, Book]:
    h = hall(db, 10)
    compact = Compact(village_id=h.village.id, title="村规民约", created_by_id=h.organizer.id)
    db.add(compact)
    group = factories.GroupFactory(village_id=h.village.id)
    db.flush()
    return h, Book(h.village, h.organizer, compact, group, h.people)


def _vote(db: Session, h: Hall, motion: Motion, present: int, yes: int) -> None:
    actor = actor_for(h.organizer)
    arrive(db, h.meeting, *h.people[:present])
    votes.open_motion(db, actor, motion)
    for person in h.people[:yes]:
        votes.cast_qr_vote(db, motion, person, Choice.YES)
    close_with_box(db, actor, motion)


def test_put_to_assembly_adds_a_compact_item_and_motion(db: Session) -> None:
    h, b = _book(db)
    v = version(db, b, 1)
    motion = adoption.put_to_assembly(db, b.actor, v, h.meeting, VoteMethod.QR)
    item = db.get(AgendaItem, motion.item_id)
    assert item is not None
    assert item.kind is ItemKind.COMPACT_ADOPTION
    assert item.compact_version_ref == f"compact_version:{v.id}"
    assert adoption.motions_for(db, v) == [motion]


def test_unanswered_comment_refuses_the_vote(db: Session) -> None:
    h, b = _book(db)
    v1 = version(db, b, 1)
    c = comment(db, b, round_on(db, b, v1), b.people[0], "意见")
    with pytest.raises(NotReadyForAdoption) as refused:
        adoption.put_to_assembly(db, b.actor, v1, h.meeting, VoteMethod.QR)
    assert "还有 1 条意见没有答复" in refused.value.render_message()
    assert db.scalars(select(Motion)).all() == []
    answers.answer(db, b.actor, c, AnswerOutcome.NOT_ACCEPTED, "保留原文", v1)
    adoption.put_to_assembly(db, b.actor, v1, h.meeting, VoteMethod.QR)


def test_only_the_villagers_assembly_adopts_by_default(db: Session) -> None:
    h, b = _book(db)
    h.meeting.kind = MeetingKind.REPRESENTATIVES_ASSEMBLY
    db.flush()
    with pytest.raises(AdoptionRefused) as refused:
        adoption.put_to_assembly(db, b.actor, version(db, b, 1), h.meeting, VoteMethod.QR)
    assert "村民会议表决通过" in refused.value.render_message()


def test_record_adoption_reads_the_closed_motion(db: Session) -> None:
    h, b = _book(db)
    v = version(db, b, 1)
    motion = adoption.put_to_assembly(db, b.actor, v, h.meeting, VoteMethod.QR)
    with pytest.raises(AdoptionRefused):
        adoption.record_adoption(db, b.actor, v, motion)  # not voted yet
    _vote(db, h, motion, present=6, yes=4)
    row = adoption.record_adoption(db, b.actor, v, motion)
    assert row.adopted
    figures = adoption.figures(row)
    assert (figures["yes"], figures["present"], figures["members"]) == (4, 6, 10)
    with pytest.raises(AdoptionRefused):
        adoption.record_adoption(db, b.actor, v, motion)
    with pytest.raises(AdoptionRefused) as again:
        adoption.put_to_assembly(db, b.actor, v, h.meeting, VoteMethod.QR)
    assert "已经表决通过" in again.value.render_message()


def test_without_quorum_the_version_is_not_adopted(db: Session) -> None:
    h, b = _book(db)
    v = version(db, b, 1)
    motion = adoption.put_to_assembly(db, b.actor, v, h.meeting, VoteMethod.QR)
    _vote(db, h, motion, present=4, yes=4)  # 4 of 10 adults: no quorum
    row = adoption.record_adoption(db, b.actor, v, motion)
    assert not row.adopted
    assert adoption.adopted(db, v) is None
    with pytest.raises(FilingRefused):
        adoption.submit_filing(db, b.actor, v)


def _adopted(db: Session, h: Hall, b: Book, v: Version) -> Adoption:
    motion = adoption.put_to_assembly(db, b.actor, v, h.meeting, VoteMethod.QR)
    _vote(db, h, motion, present=6, yes=5)
    return adoption.record_adoption(db, b.actor, v, motion)


def test_order_to_correct_needs_a_new_version_answering_it(db: Session) -> None:
    h, b = _book(db)
    township = actor_for(factories.staff(Role.TOWNSHIP_ADMIN, h.village))
    v1 = version(db, b, 1)
    _adopted(db, h, b, v1)
    filing = adoption.submit_filing(db, b.actor, v1)
    with pytest.raises(FilingRefused):
        adoption.submit_filing(db, b.actor, v1)
    with pytest.raises(FilingRefused) as vague:
        adoption.decide_filing(db, township, filing, FilingDecision.CORRECTION_ORDERED, "不合法")
    assert "条款号" in vague.value.render_message()
    adoption.decide_filing(
        db, township, filing, FilingDecision.CORRECTION_ORDERED, "第二条侵犯村民权利", ["2"]
    )
    assert open_correction_orders(db, b.compact) == [filing]
    with pytest.raises(PublicationRefused):
        delivery.publish(db, b.actor, v1)

    v2 = version(db, b, 2)  # written before the order was answered
    with pytest.raises(AdoptionRefused) as refused:
        adoption.put_to_assembly(db, b.actor, v2, h.meeting, VoteMethod.QR)
    assert "责令改正" in refused.value.render_message()
    v3 = version(db, b, 3, answers_filing_id=filing.id)
    assert open_correction_orders(db, b.compact) == []
    _adopted(db, h, b, v3)
    second = adoption.submit_filing(db, b.actor, v3)
    adoption.decide_filing(db, township, second, FilingDecision.ACKNOWLEDGED)
    assert adoption.acknowledged(db, v3) == second
    assert delivery.publish(db, b.actor, v3).version_id == v3.id


def test_delivery_once_per_household_and_coverage(db: Session) -> None:
    h, b = _book(db)
    township = actor_for(factories.staff(Role.TOWNSHIP_ADMIN, h.village))
    v = version(db, b, 1)
    _adopted(db, h, b, v)
    household = db.get(type(h.people[0].household), h.people[0].household_id)
    assert household is not None
    with pytest.raises(PublicationRefused):
        delivery.record_delivery(db, b.actor, v, household, DeliveryMethod.QR)
    filing = adoption.submit_filing(db, b.actor, v)
    adoption.decide_filing(db, township, filing, FilingDecision.ACKNOWLEDGED)
    delivery.publish(db, b.actor, v)

    delivery.record_delivery(db, b.actor, v, household, DeliveryMethod.QR)
    with pytest.raises(AlreadyReceived):
        delivery.record_delivery(db, b.actor, v, household, DeliveryMethod.QR)
    ticked = [p.household_id for p in h.people[:3]]
    assert delivery.record_deliveries(db, b.actor, v, ticked) == 2  # the first one is done
    receipts = db.scalars(select(DeliveryReceipt).where(DeliveryReceipt.version_id == v.id))
    assert sorted(r.method.value for r in receipts) == ["leader", "leader", "qr"]
    reached = delivery.coverage(db, v)
    assert (reached.delivered, reached.households, reached.percent) == (3, 10, 30)


def test_an_older_motion_reads_its_version_in_words_on_staff_pages_and_the_projector(
    db: Session, app
) -> None:
    """Adoption motions made before versions were named in words carry the internal
    "（compact_version:N）": the staff motion page and the projector show 《title》第 N 版."""
    h, b = _book(db)
    v = version(db, b, 3)
    motion = adoption.put_to_assembly(db, b.actor, v, h.meeting, VoteMethod.QR)
    motion.text = f"表决通过村规民约（compact_version:{v.id}）"
    db.flush()
    page = soup(signed_in(app, h.organizer).get(f"/meetings/motions/{motion.id}").text)
    shown = page.select_one("main .card strong").get_text()
    assert shown == "表决通过村规民约" and "compact_version" not in page.get_text()
    votes.open_motion(db, actor_for(h.organizer), motion)
    panel = projector.snapshot(db, h.meeting)["motion"]
    assert panel["text"] == "表决通过村规民约"
