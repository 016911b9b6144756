"""Assemblies, QR slips and their signed links, and voters' credentials.

A slip is one villager's key to one assembly (DESIGN decision 3). Its link carries the
slip id and a secret, signed with itsdangerous; the database keeps only a random nonce
and hashes, so a database copy alone opens nothing, while the app (which holds the
secret key) can re-derive the same link and short code to reprint a sheet.

A credential is a voter's single-use right in one election. It is exercised through
the slip (or by a teller issuing a paper ballot), never by its secret, so only the hash
of a random value is stored: enough to make each row unique and meaningless.

Assemblies live in ballots.assemblies; their functions are re-exported here, part of
this area's API.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, Signer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.models import SigninFailure
from app.actors import Actor
from app.audit.services import record
from app.db import utcnow
from app.i18n import lazy
from app.registry.models import Person
from app.settings import Settings
from ballots.assemblies import assembly_elections as assembly_elections
from ballots.assemblies import create_assembly as create_assembly
from ballots.assemblies import link_election as link_election
from ballots.exceptions import (
    AssemblyRefused,
    LinkExpired,
    LinkForged,
    LinkRevoked,
    LinkUnknown,
    NotOnRoll,
    ShortCodeThrottled,
)
from ballots.models import Assembly, Credential, Election, RollEntry, Slip

# Crockford's base32: no I, L, O or U, so a code read aloud or typed is hard to get wrong.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TYPED_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Typed codes are 40 random bits among a few thousand live slips, so guessing is
# hopeless long before this limit; it is generous because a whole village may share
# one address (the village Wi-Fi, a carrier's NAT) and old eyes mistype.
SHORT_CODE_MAX_FAILURES = 60
SHORT_CODE_WINDOW = timedelta(minutes=15)
MAX_TOKEN_LENGTH = 200
ADULT_AGE = 18


# --- slips: secrets, links and short codes -------------------------------------------


def _key(settings: Settings) -> bytes:
    return str(settings.secret_key).encode()


def _derive(settings: Settings, purpose: str, nonce: str) -> bytes:
    return hmac.new(_key(settings), f"{purpose}:{nonce}".encode(), hashlib.sha256).digest()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _signer(settings: Settings) -> Signer:
    return Signer(_key(settings), salt="cunyi.slip")


def slip_secret(settings: Settings, slip: Slip) -> str:
    # The nonce is random and unique to the slip, so it alone tells slips apart; 96
    # bits keep the link (and so the QR code) short.
    digest = _derive(settings, "slip", slip.nonce)[:12]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def slip_token(settings: Settings, slip: Slip) -> str:
    """The signed value in the slip's link: `<slip id>.<secret>.<signature>`."""
    return _signer(settings).sign(f"{slip.id}.{slip_secret(settings, slip)}").decode()


def _code_from(settings: Settings, nonce: str) -> str:
    number = int.from_bytes(_derive(settings, "code", nonce)[:5], "big")
    chars = [CODE_ALPHABET[(number >> shift) & 31] for shift in range(35, -1, -5)]
    return "".join(chars)


def slip_short_code(settings: Settings, slip: Slip) -> str:
    """The code printed under the QR for typing in, as `XXXX-XXXX`."""
    code = _code_from(settings, slip.nonce)
    return f"{code[:4]}-{code[4:]}"


def normalize_short_code(typed: str) -> str | None:
    """The 8 code characters of what a villager typed, or None when it cannot be one."""
    cleaned = "".join(ch for ch in typed.upper() if ch.isalnum()).translate(_TYPED_LOOKALIKES)
    if len(cleaned) != 8 or any(ch not in CODE_ALPHABET for ch in cleaned):
        return None
    return cleaned


def short_code_hash(settings: Settings, code: str) -> str:
    # Keyed: 40 bits are too few to keep a plain hash secret from a database copy.
    return hmac.new(_key(settings), f"code-hash:{code}".encode(), hashlib.sha256).hexdigest()


def _new_slip(settings: Settings, assembly_id: int, person_id: int, taken: set[str]) -> Slip:
    while True:
        nonce = secrets.token_hex(16)
        code_hash = short_code_hash(settings, _code_from(settings, nonce))
        if code_hash not in taken:
            taken.add(code_hash)
            break
    slip = Slip(
        assembly_id=assembly_id,
        person_id=person_id,
        nonce=nonce,
        short_code_hash=code_hash,
        issued_at=utcnow(),
        revoked_reason="",
    )
    slip.secret_hash = _sha256(slip_secret(settings, slip))
    return slip


def _taken_code_hashes(session: Session, candidates: Sequence[str]) -> set[str]:
    taken: set[str] = set()
    for start in range(0, len(candidates), 500):
        chunk = candidates[start : start + 500]
        taken.update(
            session.scalars(select(Slip.short_code_hash).where(Slip.short_code_hash.in_(chunk)))
        )
    return taken


def _make_slips(
    session: Session, settings: Settings, assembly_id: int, person_ids: Sequence[int]
) -> list[Slip]:
    """New slips whose short codes clash with no slip ever issued (a 40-bit space)."""
    taken: set[str] = set()
    slips = [_new_slip(settings, assembly_id, pid, taken) for pid in person_ids]
    check = [s.short_code_hash for s in slips]
    while clashing := _taken_code_hashes(session, check):
        taken |= clashing
        renewed = [
            _new_slip(settings, assembly_id, s.person_id, taken)
            if s.short_code_hash in clashing
            else s
            for s in slips
        ]
        check = [
            new.short_code_hash for new, old in zip(renewed, slips, strict=True) if new is not old
        ]
        slips = renewed
    session.add_all(slips)
    session.flush()
    return slips


def _adults(session: Session, assembly: Assembly, person_ids: Iterable[int] | None) -> list[int]:
    stmt = select(Person).where(Person.village_id == assembly.village_id, Person.active.is_(True))
    wanted = None if person_ids is None else set(person_ids)
    if wanted is not None:
        stmt = stmt.where(Person.id.in_(wanted))
    people = list(session.scalars(stmt.order_by(Person.id)))
    if wanted is not None and len(people) != len(wanted):
        raise AssemblyRefused(lazy("有的人不是本村在册的村民，不能发二维码。请从本村名单里选择。"))
    year, month = assembly.held_on.year, assembly.held_on.month
    return [p.id for p in people if p.age_on(year, month) >= ADULT_AGE]


def issue_slips(
    session: Session,
    actor: Actor,
    assembly: Assembly,
    person_ids: Iterable[int] | None = None,
    *,
    settings: Settings,
) -> list[Slip]:
    """A slip for every adult of the village (or the given persons) without a live one."""
    holding = set(
        session.scalars(
            select(Slip.person_id).where(Slip.assembly_id == assembly.id, Slip.revoked_at.is_(None))
        )
    )
    chosen = [pid for pid in _adults(session, assembly, person_ids) if pid not in holding]
    slips = _make_slips(session, settings, assembly.id, chosen)
    summary: dict[str, object] = {"issued": len(slips)}
    if person_ids is not None:
        summary["person_ids"] = chosen
    record(
        session,
        actor,
        "slips.issue",
        "assembly",
        assembly.id,
        summary,
        village_id=assembly.village_id,
    )
    return slips


def revoke_and_reissue(
    session: Session, actor: Actor, slip: Slip, reason: str, *, settings: Settings
) -> Slip:
    """Void a lost slip and give its holder a new one (new link, new short code)."""
    reason = reason.strip()
    if not reason:
        raise AssemblyRefused(lazy("请写明补发的原因，例如“纸条丢失”。"))
    if slip.revoked_at is not None:
        raise AssemblyRefused(lazy("这张二维码已经作废了，请给最新的那张补发。"))
    slip.revoked_at = utcnow()
    slip.revoked_reason = reason
    session.flush()  # the old slip must stop being live before the new one exists
    (new,) = _make_slips(session, settings, slip.assembly_id, [slip.person_id])
    new.replaces_id = slip.id
    session.flush()
    assembly = session.get(Assembly, slip.assembly_id)
    record(
        session,
        actor,
        "slip.reissue",
        "slip",
        new.id,
        {"person_id": slip.person_id, "revoked_slip_id": slip.id, "reason": reason},
        village_id=assembly.village_id if assembly else None,
    )
    return new


# --- opening a slip ------------------------------------------------------------------


@dataclass(frozen=True)
class SlipAccess:
    """A villager who opened a valid slip: who, and at which assembly."""

    slip: Slip
    person: Person
    assembly: Assembly


def _open(session: Session, slip: Slip, now: datetime | None) -> SlipAccess:
    if slip.revoked_at is not None:
        raise LinkRevoked(
            lazy("这张二维码已经作废，因为给您补发了新的。请用新发给您的二维码，或请工作人员帮忙。")
        )
    assembly = session.get(Assembly, slip.assembly_id)
    person = session.get(Person, slip.person_id)
    if assembly is None or person is None:
        raise LinkUnknown(lazy("找不到这个二维码对应的会议。请找工作人员帮忙。"))
    if (now or utcnow()) >= assembly.links_expire_at:
        raise LinkExpired(
            lazy("“%(title)s”的二维码已经停止使用。如有疑问，请找村里的工作人员。"),
            title=assembly.title,
        )
    return SlipAccess(slip=slip, person=person, assembly=assembly)


def resolve_slip(
    session: Session, settings: Settings, token: str, now: datetime | None = None
) -> SlipAccess:
    """The slip a link opens, or a LinkError saying in plain words why not."""
    forged = LinkForged(
        lazy(
            "这个二维码无法识别，可能被改动过或没有扫完整。请对准纸条上的二维码重新扫一次，或请工作人员帮忙。"
        )
    )
    if len(token) > MAX_TOKEN_LENGTH:
        raise forged
    try:
        value = _signer(settings).unsign(token).decode()
    except (BadSignature, UnicodeDecodeError):
        raise forged from None
    slip_id, _sep, secret = value.partition(".")
    if not slip_id.isdigit():
        raise forged
    slip = session.get(Slip, int(slip_id))
    if slip is None or not hmac.compare_digest(_sha256(secret), slip.secret_hash):
        raise LinkUnknown(
            lazy("找不到这个二维码对应的纸条。请确认是这次会议发的二维码，或请工作人员帮忙。")
        )
    return _open(session, slip, now)


def _code_failure_key(address: str) -> str:
    return f"slip-code:{address}"[:120]


def check_code_throttle(session: Session, address: str, now: datetime | None = None) -> None:
    since = (now or utcnow()) - SHORT_CODE_WINDOW
    failures = session.scalar(
        select(func.count()).where(
            SigninFailure.key == _code_failure_key(address), SigninFailure.at >= since
        )
    )
    if (failures or 0) >= SHORT_CODE_MAX_FAILURES:
        minutes = int(SHORT_CODE_WINDOW.total_seconds() // 60)
        raise ShortCodeThrottled(
            lazy("号码输错的次数太多了。请过 %(minutes)s 分钟再试，或请工作人员帮忙。"),
            minutes=minutes,
        )


def record_code_failure(session: Session, address: str) -> None:
    """Count a wrong typed code; called after the failed request rolled back."""
    session.add(SigninFailure(key=_code_failure_key(address), at=utcnow()))


def resolve_short_code(
    session: Session, settings: Settings, typed: str, address: str, now: datetime | None = None
) -> SlipAccess:
    """The slip a typed code opens. The caller records a failure with record_code_failure."""
    check_code_throttle(session, address, now)
    code = normalize_short_code(typed)
    slip = None
    if code is not None:
        slip = session.scalar(
            select(Slip).where(Slip.short_code_hash == short_code_hash(settings, code))
        )
    if slip is None:
        raise LinkUnknown(
            lazy("这个号码不对。请核对纸条上二维码下面的 8 位号码（例如 7KQ2-M9XD），再输入一次。")
        )
    return _open(session, slip, now)


# --- credentials ---------------------------------------------------------------------


def _new_credential(election_id: int, entry_id: int) -> Credential:
    return Credential(
        election_id=election_id,
        roll_entry_id=entry_id,
        secret_hash=_sha256(secrets.token_urlsafe(32)),
        revoked_reason="",
    )


def ensure_credentials(session: Session, election: Election) -> int:
    """One live credential per roll entry that is not struck; returns how many were made."""
    has_live = select(Credential.roll_entry_id).where(
        Credential.election_id == election.id, Credential.revoked_at.is_(None)
    )
    entries = session.scalars(
        select(RollEntry.id).where(
            RollEntry.election_id == election.id,
            RollEntry.struck.is_(False),
            RollEntry.id.not_in(has_live),
        )
    ).all()
    session.add_all([_new_credential(election.id, entry_id) for entry_id in entries])
    session.flush()
    return len(entries)


def _live_credential(session: Session, election_id: int, entry_id: int) -> Credential | None:
    return session.scalar(
        select(Credential).where(
            Credential.election_id == election_id,
            Credential.roll_entry_id == entry_id,
            Credential.revoked_at.is_(None),
        )
    )


def credential_for(session: Session, election: Election, roll_entry: RollEntry) -> Credential:
    """The voter's live credential, made on first need if voting opened without one."""
    if roll_entry.election_id != election.id or roll_entry.struck:
        raise NotOnRoll(lazy("这位选民不在这次选举的选民名单上。"))
    found = _live_credential(session, election.id, roll_entry.id)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            credential = _new_credential(election.id, roll_entry.id)
            session.add(credential)
        return credential
    except IntegrityError:
        # Another request made it a moment ago: the unique index kept there being one.
        found = _live_credential(session, election.id, roll_entry.id)
        if found is None:
            raise
        return found
