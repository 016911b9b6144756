"""Assemblies and their QR slips: creating, issuing, reissuing, opening.

A slip is one villager's key to one assembly (DESIGN decision 3); its link and short
code are derived in slips.links. What a slip opens is each domain's business: they
register it (slips.sections), this package imports none of them.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import bindparam, delete, func, select, text
from sqlalchemy.orm import Session

from app.accounts.models import SigninFailure
from app.actors import Actor
from app.audit.services import record
from app.db import utcnow
from app.drill import DrillBanner, mark_session, referenced_elsewhere, remove_rows
from app.i18n import gettext_, lazy
from app.registry.models import Person
from app.registry.rules import ADULT_AGE
from app.settings import Settings
from slips.exceptions import (
    AssemblyRefused,
    LinkExpired,
    LinkForged,
    LinkRevoked,
    LinkUnknown,
    ShortCodeThrottled,
)
from slips.holders import assembly_audience
from slips.links import (
    code_from,
    normalize_short_code,
    sha256,
    short_code_hash,
    slip_secret,
    unsign_token,
)
from slips.models import Assembly, Slip

# Typed codes are 40 random bits among a few thousand live slips, so guessing is
# hopeless long before this limit; it is generous because a whole village may share
# one address (the village Wi-Fi, a carrier's NAT) and old eyes mistype.
SHORT_CODE_MAX_FAILURES = 60
SHORT_CODE_WINDOW = timedelta(minutes=15)


# --- assemblies ----------------------------------------------------------------------


def create_assembly(
    session: Session,
    actor: Actor,
    *,
    village_id: int,
    title: str,
    held_on: date,
    place: str,
    links_expire_at: datetime,
    drill: bool = False,
) -> Assembly:
    """A new assembly; a drill's (app.drill) holds only drill elections and meetings."""
    if links_expire_at.date() < held_on:
        raise AssemblyRefused(lazy("二维码的失效时间不能早于开会的日子，请改到开会当天或以后。"))
    assembly = Assembly(
        village_id=village_id,
        title=title,
        held_on=held_on,
        place=place,
        links_expire_at=links_expire_at,
        drill=drill,
    )
    if drill:
        mark_session(session)
    session.add(assembly)
    session.flush()
    record(
        session,
        actor,
        "assembly.create",
        "assembly",
        assembly.id,
        {"title": title, "held_on": held_on, "place": place, "links_expire_at": links_expire_at},
        village_id=village_id,
    )
    return assembly


def assembly_drill(assembly: Assembly | None) -> DrillBanner | None:
    """A drill assembly's banner (it has no clock: its elections and meetings have)."""
    return DrillBanner() if assembly is not None and assembly.drill else None


def assembly_drill_problem(drill: bool) -> str:
    """Why an election or meeting cannot be held at an assembly of the other kind."""
    if drill:
        return gettext_("演练只能在演练大会上进行，请选一个演练大会，或新建一个。")
    return gettext_("这是演练大会，只能用于演练。正式的选举和会议请选一个正式的大会。")


def slip_drill(session: Session, settings: Settings, token: str) -> DrillBanner | None:
    """The 演练 banner for a villager's page, when the slip the token names is a drill
    assembly's (the page itself checks the slip and says what is wrong with it)."""
    found = _slip_rows(session, settings, token)
    return assembly_drill(found[2]) if found is not None else None


# --- issuing slips -------------------------------------------------------------------


def _new_slip(settings: Settings, assembly_id: int, person_id: int, taken: set[str]) -> Slip:
    while True:
        nonce = secrets.token_hex(16)
        code_hash = short_code_hash(settings, code_from(settings, nonce))
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
    slip.secret_hash = sha256(slip_secret(settings, slip))
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


def _adults(
    session: Session, assembly: Assembly, person_ids: Iterable[int] | None, *, chosen: bool
) -> list[int]:
    """The adult villagers among `person_ids` (all of the village's when None). Persons the
    organizer `chosen` by hand must all be villagers; an audience a domain gave is filtered."""
    stmt = select(Person).where(Person.village_id == assembly.village_id, Person.active.is_(True))
    wanted = None if person_ids is None else set(person_ids)
    if wanted is not None:
        stmt = stmt.where(Person.id.in_(wanted))
    people = list(session.scalars(stmt.order_by(Person.id)))
    if chosen and wanted is not None and len(people) != len(wanted):
        raise AssemblyRefused(lazy("有的人不是本村在册的村民，不能发二维码。请从本村名单里选择。"))
    year, month = assembly.held_on.year, assembly.held_on.month
    return [p.id for p in people if p.age_on(year, month) >= ADULT_AGE]


def audience_size(session: Session, assembly: Assembly) -> int | None:
    """How many adults the assembly's slips are for; None when nothing points at it yet
    (then every adult villager gets one)."""
    audience = assembly_audience(session, assembly)
    return None if audience is None else len(_adults(session, assembly, audience, chosen=False))


def issue_slips(
    session: Session,
    actor: Actor,
    assembly: Assembly,
    person_ids: Iterable[int] | None = None,
    *,
    settings: Settings,
) -> list[Slip]:
    """A slip for everyone without a live one among the given persons or, by default, the
    assembly's audience: those with something to do there (slips.holders), or every adult
    villager when nothing points at the assembly yet."""
    holding = set(
        session.scalars(
            select(Slip.person_id).where(Slip.assembly_id == assembly.id, Slip.revoked_at.is_(None))
        )
    )
    audience = assembly_audience(session, assembly) if person_ids is None else None
    wanted = person_ids if person_ids is not None else audience
    adults = _adults(session, assembly, wanted, chosen=person_ids is not None)
    chosen = [pid for pid in adults if pid not in holding]
    slips = _make_slips(session, settings, assembly.id, chosen)
    summary: dict[str, object] = {"issued": len(slips)}
    if person_ids is not None:
        summary["person_ids"] = chosen
    elif audience is not None:
        summary["audience"] = len(adults)
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


def _open(
    session: Session, slip: Slip, now: datetime | None, found: tuple[Person, Assembly] | None = None
) -> SlipAccess:
    if slip.revoked_at is not None:
        raise LinkRevoked(
            lazy("这张二维码已经作废，因为给您补发了新的。请用新发给您的二维码，或请工作人员帮忙。")
        )
    person, assembly = found or (
        session.get(Person, slip.person_id),
        session.get(Assembly, slip.assembly_id),
    )
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
    found = _slip_rows(session, settings, token)
    if found is None and unsign_token(settings, token) is None:
        raise LinkForged(
            lazy(
                "这个二维码无法识别，可能被改动过或没有扫完整。请对准纸条上的二维码重新扫一次，或请工作人员帮忙。"
            )
        )
    if found is None:
        raise LinkUnknown(
            lazy("找不到这个二维码对应的纸条。请确认是这次会议发的二维码，或请工作人员帮忙。")
        )
    slip, person, assembly = found
    return _open(session, slip, now, (person, assembly))


_SLIPS_READ = "slips.read"  # session.info: {token: (slip, person, assembly)} read so far


# Built once: every villager's request runs it.
_SLIP_ROWS = (
    select(Slip, Person, Assembly)
    .join(Person, Person.id == Slip.person_id)
    .join(Assembly, Assembly.id == Slip.assembly_id)
    .where(Slip.id == bindparam("slip_id"))
)


def _slip_rows(
    session: Session, settings: Settings, token: str
) -> tuple[Slip, Person, Assembly] | None:
    """The slip a genuine token names, with its villager and assembly, in one statement;
    read once per session (a villager's request asks for its slip several times: the
    drill banner, the page, the sections). None for a forged or unknown token."""
    read: dict[str, tuple[Slip, Person, Assembly]] = session.info.setdefault(_SLIPS_READ, {})
    if token in read:
        return read[token]
    carried = unsign_token(settings, token)
    if carried is None:
        return None
    slip_id, secret = carried
    row = session.execute(_SLIP_ROWS, {"slip_id": slip_id}).first()
    if row is None or not hmac.compare_digest(sha256(secret), row[0].secret_hash):
        return None
    read[token] = (row[0], row[1], row[2])
    return read[token]


CODE_FAILURE_PREFIX = "slip-code:"
# Past SHORT_CODE_MAX_FAILURES wrong codes in the window, an address may still have one
# code checked every SHORT_CODE_PACE: a villager behind the hall's shared address waits
# a few seconds, never a quarter of an hour, while a guesser gets about 450 more tries
# in 15 minutes against a space of 2**40 codes.
SHORT_CODE_PACE = timedelta(seconds=2)


def _code_failure_key(address: str) -> str:
    return f"{CODE_FAILURE_PREFIX}{address}"[:120]


def _lock_address(session: Session, key: str) -> None:
    """Serialize the throttle's count-and-record for one address. SQLite writers already
    queue (BEGIN IMMEDIATE); PostgreSQL takes a transaction-scoped advisory lock."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        lock_id = int.from_bytes(sha256(key).encode()[:8], "big") & 0x7FFF_FFFF_FFFF_FFFF
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})


def reserve_code_check(session: Session, address: str, now: datetime | None = None) -> int:
    """Count this typed code as a wrong one before it is checked, or refuse to check it.

    Count and record are one locked step, so a burst from one address has at most
    SHORT_CODE_MAX_FAILURES codes checked before the pace applies. The caller commits this
    at once (its own transaction) and, when the code was right, forgets the reservation
    with release_code_check. Returns the reservation's id."""
    key = _code_failure_key(address)
    _lock_address(session, key)
    at = now or utcnow()
    count, latest = session.execute(
        select(func.count(), func.max(SigninFailure.at)).where(
            SigninFailure.key == key, SigninFailure.at >= at - SHORT_CODE_WINDOW
        )
    ).one()
    paced = (count or 0) >= SHORT_CODE_MAX_FAILURES and latest is not None
    if paced and at - _aware(latest) < SHORT_CODE_PACE:
        raise ShortCodeThrottled(
            lazy("号码输错的次数太多了。请等 %(seconds)s 秒再输入一次，或请工作人员帮忙。"),
            seconds=int(SHORT_CODE_PACE.total_seconds()),
        )
    failure = SigninFailure(key=key, at=at)
    session.add(failure)
    session.flush()
    return failure.id


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def record_code_failure(session: Session, address: str) -> None:
    """Count a wrong typed code for an address (as reserve_code_check does)."""
    session.add(SigninFailure(key=_code_failure_key(address), at=utcnow()))


def release_code_check(session: Session, reservation: int) -> None:
    """A right code does not count against its address."""
    session.execute(delete(SigninFailure).where(SigninFailure.id == reservation))


@dataclass(frozen=True)
class ThrottledAddress:
    address: str
    failures: int


def throttled_addresses(session: Session, now: datetime | None = None) -> list[ThrottledAddress]:
    """The addresses whose typed codes are being slowed down now, for the tellers."""
    since = (now or utcnow()) - SHORT_CODE_WINDOW
    rows = session.execute(
        select(SigninFailure.key, func.count())
        .where(SigninFailure.key.startswith(CODE_FAILURE_PREFIX), SigninFailure.at >= since)
        .group_by(SigninFailure.key)
        .having(func.count() >= SHORT_CODE_MAX_FAILURES)
        .order_by(SigninFailure.key)
    )
    return [
        ThrottledAddress(address=key.removeprefix(CODE_FAILURE_PREFIX), failures=int(n))
        for key, n in rows
    ]


def clear_code_throttle(session: Session, actor: Actor, assembly: Assembly, address: str) -> int:
    """A teller lets an address type codes at full speed again (audited)."""
    address = address.strip()
    if not address:
        raise AssemblyRefused(lazy("请选择要解除限制的网络地址。"))
    key = _code_failure_key(address)
    cleared = session.scalar(select(func.count()).where(SigninFailure.key == key)) or 0
    session.execute(delete(SigninFailure).where(SigninFailure.key == key))
    record(
        session,
        actor,
        "slips.code_throttle_clear",
        "assembly",
        assembly.id,
        {"address": address, "cleared": cleared},
        village_id=assembly.village_id,
    )
    return int(cleared)


def slip_by_code(session: Session, settings: Settings, typed: str) -> Slip | None:
    """The slip (live or not) whose short code was typed, if any."""
    code = normalize_short_code(typed)
    if code is None:
        return None
    return session.scalar(
        select(Slip).where(Slip.short_code_hash == short_code_hash(settings, code))
    )


def resolve_short_code(
    session: Session,
    settings: Settings,
    typed: str,
    address: str = "",
    now: datetime | None = None,
) -> SlipAccess:
    """The slip a typed code opens. The caller first reserves the check
    (reserve_code_check, committed on its own) and releases it when the code was right;
    `address` is no longer read here."""
    del address
    slip = slip_by_code(session, settings, typed)
    if slip is None:
        raise LinkUnknown(
            lazy("这个号码不对。请核对纸条上二维码下面的 8 位号码（例如 7KQ2-M9XD），再输入一次。")
        )
    return _open(session, slip, now)


def remove_drill_assembly(session: Session, actor: Actor, assembly: Assembly) -> bool:
    """Remove a drill assembly (app.drill) and its slips once nothing else uses it (no
    other election, meeting, survey or round points at it); True when it went."""
    if not assembly.drill or referenced_elsewhere(session, "assembly", assembly.id, {"slip"}):
        return False
    record(
        session,
        actor,
        "assembly.drill_remove",
        "assembly",
        assembly.id,
        {"title": assembly.title},
        village_id=assembly.village_id,
    )
    remove_rows(session, "assembly", [assembly.id])
    return True
