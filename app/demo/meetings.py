"""The demo year's meetings, minutes and compact, through their packages' services.

The compact's first version goes to three groups; members comment and vote; every
comment is answered and the round closes. The representatives' assembly votes a motion
by QR slip; the villagers' assembly adopts the compact by show of hands. Both sets of
minutes are signed by host and recorder; the assembly's are posted for 15 days. The
adopted version is filed, acknowledged by the township, published and delivered.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.actors import Actor, actor_for
from app.demo import boxes
from app.demo.plan import MeetingPlan, YearPlan
from app.registry.models import Household, Person, Village
from app.sealed_box import services as sealed_box
from app.settings import Settings
from app.templating import CHINA_TIME
from compacts.adoption import answers, delivery
from compacts.adoption import services as adoption
from compacts.models import (
    AnswerOutcome,
    DeliveryMethod,
    FilingDecision,
    Version,
    VoteChoice,
)
from compacts.rounds import services as rounds
from compacts.rounds.text import article_keys
from compacts.versions.services import create_compact, freeze_version
from meetings import votes
from meetings.agenda import ItemInput, add_item
from meetings.attendance import check_in
from meetings.models import (
    CheckInMethod,
    Choice,
    ItemKind,
    Meeting,
    MeetingKind,
    Motion,
    VoteMethod,
)
from meetings.services import (
    MeetingInput,
    close_meeting,
    create_meeting,
    open_meeting,
    publish_notice,
)
from minutes import signing


def run_meetings_and_compact(
    session: Session,
    settings: Settings,
    village: Village,
    plan: YearPlan,
    staff: dict[str, StaffUser],
) -> dict[str, Meeting]:
    organizer = staff["organizer"]
    actor = actor_for(organizer)
    version = _deliberate(session, actor, village, plan)
    meetings: dict[str, Meeting] = {}
    for spec in plan.meetings:
        meeting = _meeting(session, actor, village, spec, staff)
        adopting = spec.kind is MeetingKind.VILLAGERS_ASSEMBLY
        if adopting:
            motion = adoption.put_to_assembly(session, actor, version, meeting, spec.method)
        else:
            item = add_item(
                session, actor, meeting, ItemInput(spec.motion, "", ItemKind.MOTION, None, "", "")
            )
            motion = votes.create_motion(session, actor, item, spec.motion, spec.method)
        _hold(session, staff, meeting, motion, spec, plan)
        if adopting:
            _adopt_and_deliver(session, staff, version, motion, plan)
        _minutes(session, staff, meeting, spec, plan)
        meetings[spec.key] = meeting
    return meetings


# --- the compact round -------------------------------------------------------------------


def _deliberate(session: Session, actor: Actor, village: Village, plan: YearPlan) -> Version:
    """The compact from the model text, its first version deliberated and answered."""
    spec = plan.compact
    compact = create_compact(session, actor, village, spec.title, from_model=True)
    version = freeze_version(session, actor, compact, "")
    round_ = rounds.open_round(
        session, actor, compact, version, list(spec.group_ids), spec.deadline, None
    )
    article = article_keys(version)[0]
    for group_id, person_id, text in spec.comments:
        person = session.get(Person, person_id)
        assert person is not None
        rounds.add_comment(session, actor, round_, person, article, text, group_id=group_id)
    for group_id, person_id, choice in spec.votes:
        person = session.get(Person, person_id)
        assert person is not None
        rounds.cast_vote(session, actor, round_, person, VoteChoice(choice), group_id=group_id)
    for row in answers.comments_to_answer(session, version):
        answers.answer(
            session,
            actor,
            row.comment,
            AnswerOutcome.ACCEPTED if "建议" in row.comment.text else AnswerOutcome.PARTLY,
            "已在村民会议上说明，相关内容纳入公约实施细则。",
            version,
        )
    rounds.close_round(session, actor, round_, "")
    return version


# --- meetings and minutes ----------------------------------------------------------------


def _meeting(
    session: Session,
    actor: Actor,
    village: Village,
    spec: MeetingPlan,
    staff: dict[str, StaffUser],
) -> Meeting:
    values = MeetingInput(
        kind=spec.kind,
        title=spec.title,
        group_id=None,
        convener="村民委员会",
        host_id=staff["organizer"].id,
        recorder_id=staff["recorder"].id,
        place="村委会礼堂",
        starts_at=spec.starts_at,
        notice_text=f"定于{spec.starts_at:%m月%d日%H:%M}在村委会礼堂召开{spec.title}，请准时参加。",
    )
    meeting = create_meeting(session, actor, village, values)
    publish_notice(session, actor, meeting, "", spec.notice_on)
    return meeting


def _hold(
    session: Session,
    staff: dict[str, StaffUser],
    meeting: Meeting,
    motion: Motion,
    spec: MeetingPlan,
    plan: YearPlan,
) -> None:
    host = actor_for(staff["organizer"])
    desk = actor_for(staff["teller"])
    holders = [staff["teller"], staff["teller2"], staff["teller3"]]
    votes.name_box_holders(session, host, meeting, [t.id for t in holders])
    boxes.set_passwords(session, plan, sealed_box.MEETING, meeting.id, holders)
    # The demo writes the year as it happened: the meeting opens on its noticed day,
    # which may be after the real today (the early-opening rule asks for a reason then).
    open_meeting(session, host, meeting, today=spec.starts_at.astimezone(CHINA_TIME).date())
    for person_id in spec.present:
        person = session.get(Person, person_id)
        assert person is not None
        check_in(session, desk, meeting, person, CheckInMethod.TICK)
    votes.open_motion(session, host, motion)
    if spec.method is VoteMethod.HANDS:
        for teller in (staff["teller"], staff["teller2"]):
            votes.record_hand_count(
                session, actor_for(teller), motion, teller.id, len(spec.yes), len(spec.no), 0
            )
    else:
        for person_id in spec.yes + spec.no:
            person = session.get(Person, person_id)
            assert person is not None
            choice = Choice.YES if person_id in spec.yes else Choice.NO
            votes.cast_qr_vote(session, motion, person, choice)
    votes.close_motion(session, host, motion, boxes.openers(plan, holders))
    close_meeting(session, host, meeting)


def _minutes(
    session: Session,
    staff: dict[str, StaffUser],
    meeting: Meeting,
    spec: MeetingPlan,
    plan: YearPlan,
) -> None:
    for role in spec.signers:
        user = staff["organizer" if role == "host" else "recorder"]
        signing.sign(session, user, meeting, plan.passwords[user.username])
    if spec.posted_on is not None and spec.posted_until is not None:
        recorder = staff["recorder"]
        signing.post(
            session, actor_for(recorder), recorder, meeting, spec.posted_on, spec.posted_until
        )


# --- adoption, filing, publication, delivery ---------------------------------------------


def _adopt_and_deliver(
    session: Session,
    staff: dict[str, StaffUser],
    version: Version,
    motion: Motion,
    plan: YearPlan,
) -> None:
    organizer = actor_for(staff["organizer"])
    adoption.record_adoption(session, organizer, version, motion)
    filing = adoption.submit_filing(session, organizer, version)
    adoption.decide_filing(session, actor_for(staff["admin"]), filing, FilingDecision.ACKNOWLEDGED)
    delivery.publish(session, organizer, version)
    leader = actor_for(staff["leader"])
    for household_id in plan.compact.delivered:
        household = session.get(Household, household_id)
        assert household is not None
        delivery.record_delivery(session, leader, version, household, DeliveryMethod.LEADER)
