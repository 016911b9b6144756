"""Meetings core: the meeting's life (draft → notified → open → closed), the choices its
form offers, and the Art 29 composition warnings. Who may attend and quorum now are in
meetings.presence. Services never commit; every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.actors import Actor
from app.audit.services import record
from app.db import utcnow
from app.drill import Drillable, mark_session, new_marker, now_of, remove_rows, today_of
from app.i18n import lazy
from app.ordering import counting_key
from app.registry.models import Group, GroupKind, Sex, Village
from app.sealed_box import services as sealed_box
from app.settings import Settings
from app.templating import CHINA_TIME, iso_minutes
from meetings import broadcast, rules
from meetings.exceptions import InvalidMeetingInput, MeetingStateError
from meetings.models import Meeting, MeetingKind, MeetingStatus
from meetings.presence import eligible_people, profile_for, quorum_figures
from meetings.votes import open_motions
from slips.models import Assembly
from slips.services import (
    assembly_drill_problem,
    create_assembly,
    issue_slips,
    remove_drill_assembly,
)

EDITABLE = frozenset({MeetingStatus.DRAFT})


# --- composition ---------------------------------------------------------------------------


def composition_warnings(session: Session, meeting: Meeting) -> list[str]:
    """Art 29, for a representatives' assembly: representatives ≥ 4/5, women ≥ 1/3."""
    if meeting.kind is not MeetingKind.REPRESENTATIVES_ASSEMBLY:
        return []
    body = eligible_people(session, meeting)
    representatives = sum(1 for p in body if p.is_villager_representative)
    women = sum(1 for p in body if p.sex is Sex.FEMALE)
    return rules.representatives_body_warnings(len(body), representatives, women)


# --- looking things up ---------------------------------------------------------------------


def village_meetings(session: Session, village_id: int) -> list[Meeting]:
    return list(
        session.scalars(
            select(Meeting)
            .where(Meeting.village_id == village_id)
            .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
        )
    )


def staff_choices(session: Session, village: Village) -> list[StaffUser]:
    """Active staff who may host or record: the village's own and the township's."""
    return sorted(
        session.scalars(
            select(StaffUser)
            .where(StaffUser.active.is_(True))
            .where(
                (StaffUser.village_id == village.id)
                | (StaffUser.village_id.is_(None) & (StaffUser.township_id == village.township_id))
            )
            .order_by(StaffUser.id)
        ),
        key=lambda user: counting_key(user.display_name),
    )


def group_choices(session: Session, village_id: int) -> list[Group]:
    """The villagers' groups, 第一 to 第十一 as a person counts them."""
    found = session.scalars(
        select(Group).where(Group.village_id == village_id, Group.kind == GroupKind.VILLAGERS)
    )
    return sorted(found, key=lambda group: counting_key(group.name))


# --- creating and editing --------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingInput:
    kind: MeetingKind
    title: str
    group_id: int | None
    convener: str
    host_id: int
    recorder_id: int
    place: str
    starts_at: datetime
    notice_text: str
    # The voting assembly whose QR slips check attendees in (slips.models.Assembly).
    assembly_id: int | None = None
    # A drill (app.drill): how many real seconds one of its days lasts (creating only).
    drill_day_seconds: int | None = None


def assembly_choices(
    session: Session, village_id: int, *, drill: bool | None = None, keep: int | None = None
) -> list[Assembly]:
    """The village's assemblies a meeting can check people in with: any assembly (made for
    an election, a survey or a meeting alike) whose slip links still work, of the meeting's
    kind (`drill`, when known); `keep` is the one already linked, listed even if expired."""
    stmt = select(Assembly).where(Assembly.village_id == village_id)
    if drill is not None:
        stmt = stmt.where(Assembly.drill.is_(drill))
    usable = Assembly.links_expire_at > utcnow()
    stmt = stmt.where(usable | (Assembly.id == keep) if keep is not None else usable)
    return list(session.scalars(stmt.order_by(Assembly.held_on.desc(), Assembly.id.desc())))


def _check_input(
    session: Session,
    village: Village,
    values: MeetingInput,
    marker: Drillable,
    linked: int | None = None,
) -> None:
    """Per-field problems; `marker` is the meeting's drill marker, whose clock says what
    "now" is (a drill's starts_at is on the drill's calendar); `linked` the assembly the
    meeting already uses (kept even once its links expired)."""
    errors: dict[str, str] = {}
    staff_ids = {u.id for u in staff_choices(session, village)}
    if values.host_id not in staff_ids:
        errors["host_id"] = str(lazy("请从列表里选择主持人（本村或本乡镇的工作人员）。"))
    if values.recorder_id not in staff_ids:
        errors["recorder_id"] = str(lazy("请从列表里选择记录人（本村或本乡镇的工作人员）。"))
    groups = {g.id for g in group_choices(session, village.id)}
    if values.kind is MeetingKind.GROUP_MEETING and values.group_id not in groups:
        errors["group_id"] = str(lazy("村民小组会议要选择是哪个村民小组。"))
    if values.starts_at <= now_of(marker):
        errors["starts_at"] = str(lazy("开会时间要在现在之后。"))
    assemblies = {a.id: a for a in assembly_choices(session, village.id, keep=linked)}
    if values.assembly_id is not None and values.assembly_id not in assemblies:
        errors["assembly_id"] = str(
            lazy("请从列表里选择本村一次二维码还能用的大会，或者不选（不用二维码签到）。")
        )
    elif values.assembly_id is not None:
        drill = marker.drill_started_at is not None
        if assemblies[values.assembly_id].drill != drill:
            errors["assembly_id"] = assembly_drill_problem(drill)
    if errors:
        raise InvalidMeetingInput(errors)


def _fields(values: MeetingInput) -> dict[str, object]:
    group_id = values.group_id if values.kind is MeetingKind.GROUP_MEETING else None
    return {
        "kind": values.kind,
        "title": values.title,
        "group_id": group_id,
        "convener": values.convener,
        "host_id": values.host_id,
        "recorder_id": values.recorder_id,
        "place": values.place,
        "starts_at": values.starts_at,
        "notice_text": values.notice_text,
        "assembly_id": values.assembly_id,
    }


def _summary(meeting: Meeting) -> dict[str, object]:
    return {
        "kind": meeting.kind.value,
        "title": meeting.title,
        "group_id": meeting.group_id,
        "host_id": meeting.host_id,
        "recorder_id": meeting.recorder_id,
        "place": meeting.place,
        "starts_at": meeting.starts_at.isoformat(),
    }


def create_meeting(
    session: Session, actor: Actor, village: Village, values: MeetingInput
) -> Meeting:
    """A new meeting in draft; with `values.drill_day_seconds` a drill (app.drill) whose
    clock starts now, and whose audit entries are marked drill."""
    marker = new_marker(values.drill_day_seconds)
    meeting = Meeting(
        village_id=village.id, created_by_id=actor.user_id, **_fields(values), **marker
    )
    _check_input(session, village, values, meeting)
    if meeting.is_drill:
        mark_session(session)
    session.add(meeting)
    session.flush()
    record(
        session,
        actor,
        "meeting.create",
        "meeting",
        meeting.id,
        _summary(meeting),
        village_id=village.id,
    )
    return meeting


def update_meeting(
    session: Session, actor: Actor, meeting: Meeting, village: Village, values: MeetingInput
) -> None:
    """Only a draft changes: once the notice is out, villagers have read it."""
    if meeting.status not in EDITABLE:
        raise MeetingStateError(
            lazy("会议通知已经发布，不能再修改会议。如需改期，请另开一次会议。")
        )
    _check_input(session, village, values, meeting, linked=meeting.assembly_id)
    for key, value in _fields(values).items():
        setattr(meeting, key, value)
    session.flush()
    record(
        session,
        actor,
        "meeting.update",
        "meeting",
        meeting.id,
        _summary(meeting),
        village_id=meeting.village_id,
    )


# --- the meeting's own QR slips -------------------------------------------------------------

SLIPS_PREPARABLE = frozenset({MeetingStatus.DRAFT, MeetingStatus.NOTIFIED, MeetingStatus.OPEN})


def prepare_slips(
    session: Session, actor: Actor, meeting: Meeting, *, settings: Settings
) -> Assembly:
    """An assembly of the meeting's own (its title, day and place; a drill's for a drill),
    linked to the meeting, with a QR slip for everyone on the meeting's list (slips asks
    meetings who that is: meetings.presence.attendees_at). Its links work to the end of
    the meeting's day, and at least to the end of today."""
    if meeting.assembly_id is not None:
        raise MeetingStateError(
            lazy("这次会议已经有签到用的二维码纸条了，请到那次大会的页面打印或补发。")
        )
    if meeting.status not in SLIPS_PREPARABLE:
        raise MeetingStateError(lazy("会议已经结束或取消了，不用再准备二维码纸条。"))
    held_on = meeting.starts_at.astimezone(CHINA_TIME).date()
    last_day = max(held_on, datetime.now(CHINA_TIME).date())
    assembly = create_assembly(
        session,
        actor,
        village_id=meeting.village_id,
        title=meeting.title,
        held_on=held_on,
        place=meeting.place,
        links_expire_at=datetime.combine(last_day, time(23, 59), tzinfo=CHINA_TIME),
        drill=meeting.is_drill,
    )
    meeting.assembly_id = assembly.id
    session.flush()
    slips = issue_slips(session, actor, assembly, settings=settings)
    record(
        session,
        actor,
        "meeting.slips_prepare",
        "meeting",
        meeting.id,
        {"assembly_id": assembly.id, "slips": len(slips)},
        village_id=meeting.village_id,
    )
    return assembly


# --- notice, opening, closing ------------------------------------------------------------------


def days_of_notice(meeting: Meeting, today: date) -> int:
    """Whole days between today and the meeting day (China time)."""
    return (meeting.starts_at.astimezone(CHINA_TIME).date() - today).days


def publish_notice(
    session: Session, actor: Actor, meeting: Meeting, short_reason: str, today: date
) -> None:
    """Publish the notice; shorter than the profile's notice period needs a recorded reason."""
    if meeting.status is not MeetingStatus.DRAFT:
        raise MeetingStateError(lazy("这个会议的通知已经发布过了。"))
    if not meeting.notice_text.strip():
        raise InvalidMeetingInput(
            {"notice_text": str(lazy("请先在“修改会议”里写好通知内容，再发布通知。"))}
        )
    days = days_of_notice(meeting, today)
    profile = profile_for(meeting)
    if days < 0:
        raise InvalidMeetingInput(
            {"short_notice_reason": str(lazy("开会日期已经过了，请先修改开会时间。"))}
        )
    short = rules.notice_is_short(profile, days)
    if short and not short_reason:
        message = lazy(
            "离开会只有 %(days)s 天，按规定要提前 %(need)s 天通知。确需临时召开的，请写明原因。"
        )
        raise InvalidMeetingInput(
            {"short_notice_reason": str(message) % {"days": days, "need": profile.notice_days}}
        )
    meeting.notice_published_at = now_of(meeting)
    meeting.short_notice_reason = short_reason if short else ""
    meeting.status = MeetingStatus.NOTIFIED
    session.flush()
    record(
        session,
        actor,
        "meeting.notice",
        "meeting",
        meeting.id,
        {"days_before": days, "required_days": profile.notice_days, "short_reason": short_reason},
        village_id=meeting.village_id,
    )


def opens_early(meeting: Meeting, today: date) -> bool:
    """Today is before the day the notice named."""
    return days_of_notice(meeting, today) > 0


def open_meeting(
    session: Session,
    actor: Actor,
    meeting: Meeting,
    early_reason: str = "",
    today: date | None = None,
) -> None:
    """Open the meeting for check-in. Before the noticed day this defeats the notice, so it
    needs a recorded reason, like a short notice; the noticed start is kept and the real
    start becomes the meeting's (its minutes, the adoption date and the assessment agree)."""
    if meeting.status is not MeetingStatus.NOTIFIED:
        raise MeetingStateError(lazy("会议通知发布后才能开始开会。"))
    early = opens_early(meeting, today or today_of(meeting))
    reason = early_reason.strip()
    if early and not reason:
        message = lazy(
            "通知的开会日期是 %(day)s，今天提前开会等于没有按通知开会。确需提前的，请写明原因。"
        )
        day = meeting.starts_at.astimezone(CHINA_TIME).date().isoformat()
        raise InvalidMeetingInput({"early_open_reason": str(message) % {"day": day}})
    summary: dict[str, object] = {}
    if early:
        summary = {"noticed_for": iso_minutes(meeting.starts_at), "early_reason": reason}
        meeting.noticed_starts_at = meeting.starts_at
        meeting.starts_at = now_of(meeting)
        meeting.early_open_reason = reason
    meeting.status = MeetingStatus.OPEN
    session.flush()
    broadcast.announce(session, meeting.id)
    state = quorum_figures(session, meeting)
    record(
        session,
        actor,
        "meeting.open",
        "meeting",
        meeting.id,
        {"eligible": state.eligible, **summary},
        village_id=meeting.village_id,
    )


def close_meeting(session: Session, actor: Actor, meeting: Meeting) -> None:
    if meeting.status is not MeetingStatus.OPEN:
        raise MeetingStateError(lazy("会议还没有开始，不能结束。"))
    if open_motions(session, meeting):
        raise MeetingStateError(lazy("还有表决没有结束。请先结束表决，再结束会议。"))
    state = quorum_figures(session, meeting)
    meeting.status = MeetingStatus.CLOSED
    meeting.ends_at = now_of(meeting)
    # Every QR motion is closed and counted: erase the key of the meeting's sealed box.
    sealed_box.forget(session, sealed_box.MEETING, meeting.id)
    session.flush()
    broadcast.announce(session, meeting.id)
    record(
        session,
        actor,
        "meeting.close",
        "meeting",
        meeting.id,
        {"eligible": state.eligible, "present": state.present, "quorum": state.holds},
        village_id=meeting.village_id,
    )


def remove_drill(session: Session, actor: Actor, meeting: Meeting) -> dict[str, int]:
    """Remove a drill meeting (app.drill), finished or abandoned, with everything it made:
    agenda, attendance, motions and their votes, minutes (signed ones too) and its sealed
    box, and its drill assembly with the slips once nothing else uses it. Refused for a
    real meeting. Its audit entries stay, marked drill; the removal is one more entry."""
    if not meeting.is_drill:
        raise MeetingStateError(lazy("只有演练可以删除。正式的会议是永久的记录，不能删除。"))
    mark_session(session)
    assembly = session.get(Assembly, meeting.assembly_id) if meeting.assembly_id else None
    record(
        session,
        actor,
        "meeting.drill_remove",
        "meeting",
        meeting.id,
        {"title": meeting.title},
        village_id=meeting.village_id,
    )
    sealed_box.remove(session, sealed_box.MEETING, meeting.id)
    removed = remove_rows(session, "meeting", [meeting.id])
    if assembly is not None:
        remove_drill_assembly(session, actor, assembly)
    return removed
