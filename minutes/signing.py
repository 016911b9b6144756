"""Signing and locking minutes, addenda, and the public posting.

The host and the recorder each sign the exact text (by its SHA-256) with their
password. A signature counts only for the text it was given for: if the draft changes
afterwards (a note edited, a vote closed late), both must sign the new text. When both
have signed the same text, the minutes lock: `locked_json` keeps that text, its hash
goes into the audit entry "minutes.lock", and the database refuses any later change.
Corrections are addenda naming the original's hash, signed by both in the same way.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.accounts.services import verify_password
from app.actors import Actor, actor_for
from app.audit.services import record
from app.db import utcnow
from app.i18n import lazy
from app.permissions import Role
from meetings.models import Meeting, MeetingStatus
from minutes import rules, services
from minutes.exceptions import Conflict, MinutesError, NotSignatory, WrongPassword
from minutes.models import Addendum, Minutes, Posting, Signature, SignerRole

WRONG_PASSWORD = lazy("密码不对，没有签名。请输入您登录时用的密码。")


def signer_roles(meeting: Meeting, user: StaffUser) -> list[SignerRole]:
    """The roles this user signs for (one person may both host and record)."""
    roles = []
    if user.id == meeting.host_id:
        roles.append(SignerRole.HOST)
    if user.id == meeting.recorder_id:
        roles.append(SignerRole.RECORDER)
    return roles


def may_post(meeting: Meeting, user: StaffUser) -> bool:
    """Who posts the public edition (村务公开): the meeting's recorder or host, or an
    organizer of its village (the request layer has checked the village). The one check,
    for the page's form and for the post itself."""
    if not user.active:
        return False
    return user.id in (meeting.host_id, meeting.recorder_id) or user.role is Role.ORGANIZER


def signatures_for(
    session: Session, minutes: Minutes, sha256: str, addendum: Addendum | None = None
) -> dict[SignerRole, Signature]:
    """The signatures given for exactly this text, by role."""
    stmt = select(Signature).where(
        Signature.minutes_id == minutes.id, Signature.signed_sha256 == sha256
    )
    if addendum is None:
        stmt = stmt.where(Signature.addendum_id.is_(None))
    else:
        stmt = stmt.where(Signature.addendum_id == addendum.id)
    return {s.role: s for s in session.scalars(stmt.order_by(Signature.id))}


def _check_signer(meeting: Meeting, user: StaffUser, password: str) -> list[SignerRole]:
    roles = signer_roles(meeting, user)
    if not roles:
        raise NotSignatory(lazy("只有本次会议的主持人和记录人才能在会议记录上签名。"))
    if not verify_password(user.password_hash, password):
        raise WrongPassword(WRONG_PASSWORD)
    return roles


def _add_signatures(
    session: Session,
    minutes: Minutes,
    user: StaffUser,
    roles: list[SignerRole],
    sha256: str,
    addendum: Addendum | None,
) -> list[SignerRole]:
    done = signatures_for(session, minutes, sha256, addendum)
    new = [role for role in roles if role not in done]
    if not new:
        raise Conflict(lazy("您已经签过名了，请等另一位签名。"))
    session.add_all(
        Signature(
            minutes_id=minutes.id,
            addendum_id=addendum.id if addendum else None,
            role=role,
            signer_id=user.id,
            signed_sha256=sha256,
        )
        for role in new
    )
    session.flush()
    return new


def sign(session: Session, user: StaffUser, meeting: Meeting, password: str) -> bool:
    """Sign the current text; True when this signature locked the minutes.

    A wrong password raises WrongPassword before anything is written.
    """
    if meeting.status is not MeetingStatus.CLOSED:
        raise MinutesError(lazy("会议结束以后才能在会议记录上签名。"))
    roles = _check_signer(meeting, user, password)
    actor = actor_for(user)
    minutes = services.ensure_minutes(session, meeting, actor)
    services.require_unlocked(minutes)
    text = rules.canonical(services.draft_document(session, meeting, minutes))
    sha256 = rules.digest(text)
    minutes.draft_json = text
    new = _add_signatures(session, minutes, user, roles, sha256, None)
    summary = {"meeting_id": meeting.id, "roles": [r.value for r in new], "sha256": sha256}
    record(
        session,
        actor,
        "minutes.sign",
        "minutes",
        minutes.id,
        summary,
        village_id=meeting.village_id,
    )
    if set(signatures_for(session, minutes, sha256)) != set(SignerRole):
        return False
    minutes.locked_json = text
    minutes.locked_sha256 = sha256
    minutes.locked_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "minutes.lock",
        "minutes",
        minutes.id,
        {"meeting_id": meeting.id, "sha256": sha256},
        village_id=meeting.village_id,
    )
    return True


# --- addenda --------------------------------------------------------------------------


def _locked_minutes(session: Session, meeting: Meeting) -> Minutes:
    minutes = services.find_minutes(session, meeting)
    if minutes is None or minutes.locked_sha256 is None:
        raise MinutesError(lazy("会议记录还没有签名锁定；锁定以前请直接修改记录。"))
    return minutes


def add_addendum(session: Session, user: StaffUser, meeting: Meeting, text: str) -> Addendum:
    """The recorder writes a correction; it points at the original by its hash."""
    services.require_recorder(meeting, user)
    minutes = _locked_minutes(session, meeting)
    assert minutes.locked_sha256 is not None
    last = session.scalar(
        select(func.max(Addendum.number)).where(Addendum.minutes_id == minutes.id)
    )
    number = (last or 0) + 1
    addendum = Addendum(
        minutes_id=minutes.id,
        number=number,
        text=text,
        sha256=rules.addendum_digest(minutes.locked_sha256, number, text),
        created_by_id=user.id,
    )
    session.add(addendum)
    session.flush()
    record(
        session,
        actor_for(user),
        "minutes.addendum",
        "minutes_addendum",
        addendum.id,
        {"minutes_id": minutes.id, "number": number, "sha256": addendum.sha256},
        village_id=meeting.village_id,
    )
    return addendum


def sign_addendum(
    session: Session, user: StaffUser, meeting: Meeting, addendum: Addendum, password: str
) -> bool:
    """Sign a correction; True when this signature locked it."""
    minutes = _locked_minutes(session, meeting)
    if addendum.minutes_id != minutes.id:
        raise MinutesError(lazy("这份更正说明不属于这次会议。"))
    if addendum.locked_at is not None:
        raise Conflict(lazy("这份更正说明已经签名锁定了。"))
    roles = _check_signer(meeting, user, password)
    actor = actor_for(user)
    new = _add_signatures(session, minutes, user, roles, addendum.sha256, addendum)
    summary = {"number": addendum.number, "roles": [r.value for r in new]}
    record(
        session,
        actor,
        "minutes.addendum_sign",
        "minutes_addendum",
        addendum.id,
        {**summary, "sha256": addendum.sha256},
        village_id=meeting.village_id,
    )
    if set(signatures_for(session, minutes, addendum.sha256, addendum)) != set(SignerRole):
        return False
    addendum.locked_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "minutes.addendum_lock",
        "minutes_addendum",
        addendum.id,
        {"minutes_id": minutes.id, "number": addendum.number, "sha256": addendum.sha256},
        village_id=meeting.village_id,
    )
    return True


# --- the public edition ---------------------------------------------------------------


def locked_addenda(session: Session, minutes: Minutes) -> list[Addendum]:
    return [a for a in services.addenda_of(session, minutes) if a.locked_at is not None]


def post(
    session: Session, actor: Actor, user: StaffUser, meeting: Meeting, posted_on: date, until: date
) -> Posting:
    """Publish the public edition on the notice board for at least 15 days (Art 35)."""
    if not may_post(meeting, user):
        raise NotSignatory(
            lazy("只有本次会议的主持人、记录人或本村的组织者才能发布会议记录的公开版。")
        )
    minutes = _locked_minutes(session, meeting)
    problem = rules.posting_problem(posted_on, until)
    if problem:
        raise MinutesError(problem)
    addenda = [
        {"number": a.number, "text": a.text, "sha256": a.sha256}
        for a in locked_addenda(session, minutes)
    ]
    edition = rules.public_edition(services.document(session, meeting, minutes), addenda)
    posting = Posting(
        minutes_id=minutes.id,
        posted_on=posted_on,
        until=until,
        public_json=rules.canonical(edition),
        posted_by_id=user.id,
    )
    session.add(posting)
    session.flush()
    record(
        session,
        actor,
        "minutes.post",
        "minutes",
        minutes.id,
        {"posted_on": posted_on, "until": until, "addenda": len(addenda)},
        village_id=meeting.village_id,
    )
    return posting


def latest_posting(session: Session, minutes: Minutes | None) -> Posting | None:
    if minutes is None:
        return None
    return session.scalar(
        select(Posting).where(Posting.minutes_id == minutes.id).order_by(Posting.id.desc()).limit(1)
    )
