"""Staff accounts: password hashing, sign-in with throttling, account management."""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.accounts.exceptions import InvalidCredentials, SigninThrottled
from app.accounts.models import SigninFailure, StaffSession, StaffUser
from app.actors import Actor
from app.audit.services import record
from app.db import utcnow
from app.errors import Conflict
from app.i18n import lazy
from app.ordering import counting_key
from app.permissions import VILLAGE_ROLES, Principal, Role

_hasher = PasswordHasher()
# A hash of a random password: verifying against it when the account does not exist
# keeps "no such user" and "wrong password" equally slow.
_DUMMY_HASH = _hasher.hash("cunyi-timing-equaliser")
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class ThrottlePolicy:
    max_per_account: int
    max_per_address: int
    window: timedelta


def _locked_until(
    session: Session, key: str, limit: int, since: datetime, window: timedelta
) -> datetime | None:
    """When `key` may try again, or None when it is not locked.

    Locked while `limit` or more failures fall inside the window. With `count`
    failures, the lock ends when the (count - limit + 1) oldest have left the window,
    not merely the oldest (the limit may have been lowered, or attempts raced).
    """
    in_window = (SigninFailure.key == key, SigninFailure.at >= since)
    count = session.scalar(select(func.count()).where(*in_window)) or 0
    if count < limit:
        return None
    unlocking = session.scalar(
        select(SigninFailure.at)
        .where(*in_window)
        .order_by(SigninFailure.at)
        .offset(count - limit)
        .limit(1)
    )
    return unlocking + window if unlocking is not None else None


def _check_throttle(
    session: Session, username: str, address: str, policy: ThrottlePolicy, now: datetime
) -> None:
    since = now - policy.window
    for key, limit in (
        (f"account:{username.lower()}", policy.max_per_account),
        (f"address:{address}", policy.max_per_address),
    ):
        until = _locked_until(session, key, limit, since, policy.window)
        if until is not None:
            wait = until - now
            minutes = max(1, math.ceil(wait.total_seconds() / 60))
            raise SigninThrottled(
                lazy(
                    "登录失败次数太多，为保护账号已暂停登录。请在 %(minutes)s 分钟后再试，或请乡镇管理员协助。"
                ),
                minutes=minutes,
            )


def authenticate(
    session: Session, username: str, password: str, address: str, policy: ThrottlePolicy
) -> StaffUser:
    """Return the user, or raise. Failures are recorded by the caller's separate unit of work."""
    now = utcnow()
    _check_throttle(session, username, address, policy, now)
    user = session.scalar(
        select(StaffUser).where(func.lower(StaffUser.username) == username.lower())
    )
    valid = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not valid or not user.active:
        raise InvalidCredentials(lazy("用户名或密码不对，请检查后重新输入。"))
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.execute(delete(SigninFailure).where(SigninFailure.key == f"account:{username.lower()}"))
    return user


def record_failure(session: Session, username: str, address: str, policy: ThrottlePolicy) -> None:
    now = utcnow()
    # Failures past the window never count again; dropping them keeps the table as
    # small as the window, however long someone keeps guessing.
    session.execute(delete(SigninFailure).where(SigninFailure.at < now - policy.window))
    session.add(SigninFailure(key=f"account:{username.lower()}", at=now))
    session.add(SigninFailure(key=f"address:{address}", at=now))


def username_taken(session: Session, username: str) -> bool:
    """Usernames are unique regardless of case: "Wang" and "wang" are one person."""
    found = session.scalar(
        select(StaffUser.id).where(func.lower(StaffUser.username) == username.lower())
    )
    return found is not None


def create_user(
    session: Session,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    password: str,
    role: Role,
    township_id: int,
    village_id: int | None,
) -> StaffUser:
    if role in VILLAGE_ROLES and village_id is None:
        raise Conflict(lazy("这个角色必须指定所在的村。"))
    if role is Role.TOWNSHIP_ADMIN and village_id is not None:
        raise Conflict(lazy("乡镇管理员属于乡镇，不能指定村。"))
    if username_taken(session, username):
        raise Conflict(lazy("用户名“%(username)s”已被使用，请换一个。"), username=username)
    user = StaffUser(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        role=role,
        township_id=township_id,
        village_id=village_id,
    )
    session.add(user)
    session.flush()
    record(
        session,
        actor,
        "staff.create",
        "staff_user",
        user.id,
        {"username": username, "role": role.value, "village_id": village_id},
        township_id=township_id,
        village_id=village_id,
    )
    return user


def _session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def session_cookie(user: StaffUser, session_id: str) -> dict[str, Any]:
    """What the session cookie holds for a sign-in (the id is the credential)."""
    return {"uid": user.id, "epoch": user.session_epoch, "sid": session_id}


def start_session(session: Session, user: StaffUser, max_age: timedelta) -> dict[str, Any]:
    """Record a new sign-in of `user` and return the session cookie's content.

    Sessions of the account revoked longer ago than a cookie lives are dropped: no cookie
    could still name them.
    """
    now = utcnow()
    session.execute(
        delete(StaffSession).where(
            StaffSession.user_id == user.id, StaffSession.revoked_at < now - max_age
        )
    )
    session_id = secrets.token_urlsafe(32)
    session.add(StaffSession(id_hash=_session_hash(session_id), user_id=user.id, created_at=now))
    session.flush()
    return session_cookie(user, session_id)


def end_session(session: Session, cookie: Mapping[str, Any]) -> None:
    """Sign-out: the session the cookie names opens nothing any more, wherever it was copied
    (a sign-in held while the device is handed over ends too)."""
    held = cookie.get(HELD)
    for source in (cookie, held if isinstance(held, Mapping) else {}):
        session_id = source.get("sid")
        if not isinstance(session_id, str):
            continue
        session.execute(
            update(StaffSession)
            .where(
                StaffSession.id_hash == _session_hash(session_id),
                StaffSession.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
        )


# Handing the device over -----------------------------------------------------------------
#
# A teller hands their own phone to a homebound villager to vote in private. For that
# while, the sign-in is taken out of the cookie's reach (the cookie opens no staff page,
# so the staff menu, the lists and 退出 are not in the villager's hands) and held aside
# until the teller types their password again.

HELD = "held"
_SIGN_IN_KEYS = ("uid", "epoch", "sid")


def hand_over(cookie: MutableMapping[str, Any], return_to: str) -> None:
    """Suspend this browser's sign-in; `resume` brings it back to `return_to`."""
    held = {key: cookie.pop(key) for key in _SIGN_IN_KEYS if key in cookie}
    cookie[HELD] = {**held, "return_to": return_to}


def held_user(session: Session, cookie: Mapping[str, Any]) -> StaffUser | None:
    """The staff member whose sign-in this browser holds aside, if it is still live."""
    held = cookie.get(HELD)
    return session_user(session, held) if isinstance(held, Mapping) else None


def resume(cookie: MutableMapping[str, Any]) -> str:
    """Give the held sign-in back to this browser (its password was checked); whatever was
    kept for the handed-over page goes. Returns where the teller left off."""
    held = dict(cookie.get(HELD) or {})
    return_to = str(held.pop("return_to", "/"))
    cookie.clear()
    cookie.update(held)
    return return_to


def _revoke_all(session: Session, user: StaffUser) -> int:
    result = session.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user.id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def sign_out_everywhere(session: Session, actor: Actor, user: StaffUser) -> int:
    """End every session of the account, this browser's too. How many were open."""
    ended = _revoke_all(session, user)
    record(
        session,
        actor,
        "staff.signout_everywhere",
        "staff_user",
        user.id,
        {"username": user.username, "sessions": ended},
        township_id=user.township_id,
        village_id=user.village_id,
    )
    return ended


def change_password(session: Session, actor: Actor, user: StaffUser, new_password: str) -> None:
    """Every session of the account ends (the caller may start a new one for this browser)."""
    user.password_hash = hash_password(new_password)
    user.session_epoch += 1
    _revoke_all(session, user)
    record(
        session,
        actor,
        "staff.password",
        "staff_user",
        user.id,
        {"username": user.username},
        township_id=user.township_id,
        village_id=user.village_id,
    )


def set_active(session: Session, actor: Actor, user: StaffUser, active: bool) -> None:
    user.active = active
    user.session_epoch += 1
    _revoke_all(session, user)
    record(
        session,
        actor,
        "staff.activate" if active else "staff.deactivate",
        "staff_user",
        user.id,
        {"username": user.username},
        township_id=user.township_id,
        village_id=user.village_id,
    )


def village_tellers(session: Session, village_id: int) -> list[StaffUser]:
    """The village's active teller accounts, by name as a person counts (甲 before 乙): who
    may count and hold a sealed box."""
    found = session.scalars(
        select(StaffUser)
        .where(
            StaffUser.village_id == village_id,
            StaffUser.role == Role.TELLER,
            StaffUser.active.is_(True),
        )
        .order_by(StaffUser.id)
    )
    return sorted(found, key=lambda user: counting_key(user.display_name))


def staff_in_scope(session: Session, viewer: StaffUser) -> list[StaffUser]:
    stmt = select(StaffUser).where(StaffUser.township_id == viewer.township_id)
    if viewer.village_id is not None:
        stmt = stmt.where(StaffUser.village_id == viewer.village_id)
    return list(session.scalars(stmt.order_by(StaffUser.role, StaffUser.username)))


def session_user(session: Session, cookie: Mapping[str, Any]) -> StaffUser | None:
    """The staff member a session cookie signs in, if the account still accepts it.

    Installed by the composition as the request layer's principal loader. The cookie
    opens pages only while its sign-in session is live: a copy kept after sign-out,
    a password change, a deactivation or "sign out everywhere" opens nothing (a cookie
    from before a password change or deactivation also carries an older epoch). One
    lookup by primary key per request.
    """
    user_id = cookie.get("uid")
    session_id = cookie.get("sid")
    if not isinstance(user_id, int) or not isinstance(session_id, str):
        return None
    user = session.scalar(
        select(StaffUser)
        .join(StaffSession, StaffSession.user_id == StaffUser.id)
        .where(
            StaffSession.id_hash == _session_hash(session_id),
            StaffSession.revoked_at.is_(None),
            StaffUser.id == user_id,
        )
    )
    if user is None or not user.active or user.session_epoch != cookie.get("epoch"):
        return None
    return user


def staff_member(session: Session, principal: Principal) -> StaffUser:
    """The account row of the signed-in principal (the request layer loaded it: an
    identity-map hit), for services that need more than the principal's role and scope."""
    user = session.get(StaffUser, principal.id)
    if user is None:
        raise LookupError(f"no staff account {principal.id}")
    return user
