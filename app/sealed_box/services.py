"""The sealed ballot box: a secret ballot that holds against whoever holds the database.

The double envelope, for election ballots, QR motion votes and survey answers alike:

1. Before voting opens, each key holder of the vote (an election round's tellers, a
   meeting's tellers, a survey's township or auditor reviewer) sets a *box password*.
   From it argon2id (libsodium, through PyNaCl) derives an X25519 key pair; only the
   public half and the salt are stored.
2. Voting opens (`seal`): a fresh 16-byte box secret is drawn and split k-of-n with
   Shamir's scheme (PyCryptodome's `Crypto.Protocol.SecretSharing.Shamir`) among the
   holders who set a password; each share is sealed to its holder's public key
   (libsodium sealed box). The box's own key pair is derived from the secret, the
   public half stored, and the secret forgotten. Opening needs k+1 holders ready, so
   one forgotten password never loses a vote.
3. At cast (`seal_choice`), in the transaction that writes the single-use row, the
   choice is padded to a fixed-size bucket (its length must say nothing) and sealed to
   the box's public key. The row holds ciphertext under a random key; nobody, the
   server included, can read it while voting is open.
4. At the close (`open_box`), k holders type their passwords together; the server
   rebuilds their private keys, opens their shares, combines them, checks the rebuilt
   key against the stored public key, opens every sealed choice and hands them back in
   a random order, deletes the sealed rows and erases every share, so the box can never
   be opened again. The caller writes the open choices in that order, in the same
   transaction. `scrub_after_commit` then removes the deleted rows' traces from the
   files (SQLite: secure_delete, VACUUM, WAL truncation; PostgreSQL: a table rewrite).

Why these parts: libsodium's sealed boxes (X25519 + XSalsa20-Poly1305) are the
well-kept construction for "anyone may encrypt to this key, only the key's holder can
read"; argon2id is libsodium's password hash; PyCryptodome's Shamir is a maintained
implementation over GF(2^128) for 16-byte secrets. None of it is written here.
"""

from __future__ import annotations

import json
import logging
import secrets
import struct
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import nacl.pwhash.argon2id as argon2id
from Crypto.Protocol.SecretSharing import Shamir
from nacl.encoding import RawEncoder
from nacl.exceptions import CryptoError
from nacl.hash import blake2b
from nacl.public import PrivateKey, PublicKey
from nacl.public import SealedBox as Envelope
from sqlalchemy import ColumnElement, Table, and_, delete, func, insert, select, text
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from app.accounts.models import StaffUser
from app.db import Database, utcnow
from app.drill import remove_rows
from app.i18n import lazy
from app.ordering import counting_key
from app.sealed_box.exceptions import (
    BadBoxPassword,
    BoxAlreadySealed,
    BoxNotReady,
    BoxNotSealed,
    NotBoxHolder,
    SealedBoxError,
    TooFewHolders,
    WrongBoxPassword,
)
from app.sealed_box.models import BoxHolder, SealedBox, SealedChoice
from app.secret_choice import new_key, shuffle_storage_order

__all__ = [
    "ELECTION_ROUND",
    "MEETING",
    "SURVEY",
    "BoxStatus",
    "HolderStatus",
    "box_for",
    "box_status",
    "find_box",
    "forget",
    "name_holders",
    "not_ready_message",
    "open_box",
    "open_box_clause",
    "scrub_after_commit",
    "seal",
    "seal_choice",
    "seal_into",
    "set_box_password",
]

logger = logging.getLogger("cunyi")

# The kinds of vote a box may belong to (SealedBox.poll_kind).
ELECTION_ROUND = "election_round"
MEETING = "meeting"  # one box for all of a meeting's QR motions
SURVEY = "survey"

MIN_PASSWORD_LENGTH = 8
# libsodium's "interactive" argon2id cost: about 0.1 s and 64 MiB per derivation, which
# a village laptop bears for the few holders of a vote and a guesser pays per guess.
KDF_OPSLIMIT = argon2id.OPSLIMIT_INTERACTIVE
KDF_MEMLIMIT = argon2id.MEMLIMIT_INTERACTIVE
# Every sealed choice is padded to at least this many bytes (then to a power of two), so
# a ciphertext's length says nothing about a ballot's names or a survey's answers.
MIN_BUCKET = 1024
_LENGTH = struct.Struct(">I")
_BOX_KEY_PERSON = b"cunyi-box-key"


# --- keys ----------------------------------------------------------------------------


def _holder_key(password: str, salt: bytes, opslimit: int, memlimit: int) -> PrivateKey:
    seed = argon2id.kdf(32, password.encode("utf-8"), salt, opslimit=opslimit, memlimit=memlimit)
    return PrivateKey.from_seed(seed)


def _box_key(secret: bytes) -> PrivateKey:
    """The box's key pair, derived from the 16-byte secret the holders' shares rebuild."""
    seed = blake2b(secret, digest_size=32, person=_BOX_KEY_PERSON[:16], encoder=RawEncoder)
    return PrivateKey.from_seed(seed)


def _pad(payload: bytes) -> bytes:
    size = MIN_BUCKET
    while size < len(payload) + _LENGTH.size:
        size *= 2
    return _LENGTH.pack(len(payload)) + payload + bytes(size - len(payload) - _LENGTH.size)


def _unpad(padded: bytes) -> bytes:
    (length,) = _LENGTH.unpack_from(padded)
    return padded[_LENGTH.size : _LENGTH.size + length]


# --- boxes and holders ---------------------------------------------------------------


def box_for(session: Session, kind: str, poll_id: int, *, threshold: int = 2) -> SealedBox:
    """The vote's box, made (with `threshold` as its k) on first use."""
    box = find_box(session, kind, poll_id)
    if box is None:
        box = SealedBox(poll_kind=kind, poll_id=poll_id, threshold=threshold)
        session.add(box)
        session.flush()
    return box


def find_box(session: Session, kind: str, poll_id: int) -> SealedBox | None:
    return session.scalar(
        select(SealedBox).where(SealedBox.poll_kind == kind, SealedBox.poll_id == poll_id)
    )


def name_holders(
    session: Session, kind: str, poll_id: int, holder_ids: Sequence[int], *, threshold: int = 2
) -> SealedBox:
    """Make the box's key holders exactly `holder_ids`, until voting opens.

    A holder who stays keeps the password already set. Once the box is sealed the
    holders are fixed: the call changes nothing (naming tellers later, for certifying
    the result, is the caller's business).
    """
    box = box_for(session, kind, poll_id, threshold=threshold)
    if box.sealed_at is not None:
        return box
    box.threshold = threshold
    current = {
        row.holder_id: row
        for row in session.scalars(select(BoxHolder).where(BoxHolder.box_id == box.id))
    }
    wanted = set(holder_ids)
    for holder_id, row in current.items():
        if holder_id not in wanted:
            session.delete(row)
    session.add_all(
        BoxHolder(box_id=box.id, holder_id=holder_id) for holder_id in sorted(wanted - set(current))
    )
    session.flush()
    return box


@dataclass(frozen=True)
class HolderStatus:
    holder_id: int
    name: str
    ready: bool


@dataclass(frozen=True)
class BoxStatus:
    """What the organizer and the holders see of a box: never anything inside it."""

    box_id: int | None
    threshold: int
    holders: tuple[HolderStatus, ...]
    sealed: bool
    opened: bool
    sealed_choices: int  # how many voted so far (while sealed)
    opened_count: int | None

    @property
    def ready_count(self) -> int:
        return sum(1 for h in self.holders if h.ready)

    @property
    def needed_to_open_voting(self) -> int:
        """k+1: one holder may forget their password and the box still opens."""
        return self.threshold + 1

    @property
    def can_seal(self) -> bool:
        return not self.sealed and self.ready_count >= self.needed_to_open_voting

    def is_holder(self, user_id: int) -> bool:
        return any(h.holder_id == user_id for h in self.holders)

    def holder_ready(self, user_id: int) -> bool:
        return any(h.holder_id == user_id and h.ready for h in self.holders)

    @property
    def openers(self) -> tuple[HolderStatus, ...]:
        """The holders who can help open the box (those given a share)."""
        return tuple(h for h in self.holders if h.ready)


def box_status(session: Session, kind: str, poll_id: int, *, threshold: int = 2) -> BoxStatus:
    box = find_box(session, kind, poll_id)
    if box is None:
        return BoxStatus(None, threshold, (), False, False, 0, None)
    rows = session.execute(
        select(BoxHolder, StaffUser.display_name)
        .join(StaffUser, StaffUser.id == BoxHolder.holder_id)
        .where(BoxHolder.box_id == box.id)
        .order_by(StaffUser.id)
    ).all()
    rows = sorted(rows, key=lambda row: counting_key(row[1]))
    sealed = box.sealed_at is not None and box.opened_at is None
    holders = tuple(
        HolderStatus(
            holder.holder_id,
            name,
            # Once sealed, "ready" means "holds a share"; once opened, nobody does.
            (holder.sealed_share is not None) if box.sealed_at else holder.public_key is not None,
        )
        for holder, name in rows
    )
    count = (
        session.scalar(select(func.count()).where(SealedChoice.box_id == box.id)) or 0
        if sealed
        else 0
    )
    return BoxStatus(
        box.id,
        box.threshold,
        holders,
        sealed,
        box.opened_at is not None,
        count,
        box.opened_count,
    )


def set_box_password(
    session: Session, kind: str, poll_id: int, holder_id: int, password: str, confirm: str
) -> None:
    """A key holder sets (or replaces) their box password, before voting opens."""
    box = find_box(session, kind, poll_id)
    holder = (
        None
        if box is None
        else session.scalar(
            select(BoxHolder).where(BoxHolder.box_id == box.id, BoxHolder.holder_id == holder_id)
        )
    )
    if box is None or holder is None:
        raise NotBoxHolder(lazy("您不是这次投票的票箱保管人，不能设开箱密码。"))
    if box.sealed_at is not None:
        raise BoxAlreadySealed(
            lazy("投票已经开始，开箱密码不能再改了。开箱时请输入您当初设的密码。")
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadBoxPassword(
            lazy("开箱密码至少要 %(n)s 位。请换一个长一点、别人猜不到的密码。"),
            n=MIN_PASSWORD_LENGTH,
        )
    if password != confirm:
        raise BadBoxPassword(lazy("两次输入的开箱密码不一样，请重新输入。"))
    salt = secrets.token_bytes(argon2id.SALTBYTES)
    key = _holder_key(password, salt, KDF_OPSLIMIT, KDF_MEMLIMIT)
    holder.salt, holder.opslimit, holder.memlimit = salt, KDF_OPSLIMIT, KDF_MEMLIMIT
    holder.public_key = bytes(key.public_key)
    holder.ready_at = utcnow()
    session.flush()


def not_ready_message(status: BoxStatus) -> str:
    """Why voting cannot open yet through this box, in Chinese."""
    return str(
        lazy(
            "还不能开始投票：至少要有 %(needed)s 位票箱保管人设好开箱密码"
            "（开箱时需要其中 %(k)s 位，多一位是防止有人忘记密码），"
            "现在设好了 %(ready)s 位。请通知保管人登录后设开箱密码。"
        )
    ) % {
        "needed": status.needed_to_open_voting,
        "k": status.threshold,
        "ready": status.ready_count,
    }


def seal(session: Session, kind: str, poll_id: int) -> SealedBox:
    """Voting opens: split a new box key among the ready holders; keep only its public half.

    Refused (BoxNotReady, saying how many more) unless k+1 holders set their password.
    """
    box = find_box(session, kind, poll_id)
    status = box_status(session, kind, poll_id)
    if box is None or not status.can_seal:
        if box is not None and box.sealed_at is not None:
            raise BoxAlreadySealed(lazy("票箱已经封好了。"))
        raise BoxNotReady(not_ready_message(status))
    ready = list(
        session.scalars(
            select(BoxHolder)
            .where(BoxHolder.box_id == box.id, BoxHolder.public_key.is_not(None))
            .order_by(BoxHolder.id)
        )
    )
    secret = secrets.token_bytes(16)
    shares = Shamir.split(box.threshold, len(ready), secret)
    for holder, (index, share) in zip(ready, shares, strict=True):
        assert holder.public_key is not None
        sealed_share = Envelope(PublicKey(holder.public_key)).encrypt(bytes([index]) + share)
        holder.sealed_share = bytes(sealed_share)
    box.public_key = bytes(_box_key(secret).public_key)
    box.sealed_at = utcnow()
    del secret
    session.flush()
    return box


# --- casting -------------------------------------------------------------------------


def seal_choice(session: Session, kind: str, poll_id: int, choice: Mapping[str, Any]) -> None:
    """Seal one choice into the vote's box, in the caller's (casting) transaction.

    `choice` is what the kind writes to its open table at the close (JSON-encodable).
    Refused when the box is not sealed (voting did not open through it) or already open.
    """
    found = session.execute(
        select(SealedBox.id, SealedBox.public_key).where(open_box_clause(kind, poll_id))
    ).first()
    if found is None or found.public_key is None:
        raise BoxNotSealed(lazy("这次投票的票箱没有封好，不能收票。请找工作人员。"))
    seal_into(session, found.id, found.public_key, choice)


def open_box_clause(kind: str, poll_id: Any) -> ColumnElement[bool]:
    """The condition on SealedBox for the poll's box that takes choices now: sealed and
    not yet opened. For a caller that reads the box in a statement of its own (the vote
    path reads it with the ballot) and then seals with `seal_into`."""
    return and_(
        SealedBox.poll_kind == kind,
        SealedBox.poll_id == poll_id,
        SealedBox.sealed_at.is_not(None),
        SealedBox.opened_at.is_(None),
    )


def seal_into(session: Session, box_id: int, public_key: bytes, choice: Mapping[str, Any]) -> None:
    """Seal one choice into the box read with `open_box_clause`: one INSERT, nothing else.

    The caller holds its poll open for the transaction (app.secret_choice.lock_open or
    the same lock in its own statement), so the box cannot be opened meanwhile.
    """
    payload = json.dumps(choice, ensure_ascii=False, sort_keys=True).encode("utf-8")
    sealed = Envelope(PublicKey(public_key)).encrypt(_pad(payload))
    session.connection().execute(_SEAL_INTO, {"id": new_key(), "box_id": box_id, "sealed": sealed})


_SEAL_INTO = insert(cast(Table, SealedChoice.__table__))  # built once: every vote runs it


# --- opening -------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenedBox:
    choices: list[dict[str, Any]]  # in a random order
    opened_by: list[int]  # the holders whose passwords opened it


def _open_share(holder: BoxHolder, password: str, name: str) -> tuple[int, bytes]:
    assert holder.salt and holder.opslimit and holder.memlimit and holder.sealed_share
    key = _holder_key(password, holder.salt, holder.opslimit, holder.memlimit)
    try:
        opened = Envelope(key).decrypt(holder.sealed_share)
    except CryptoError:
        refusal = WrongBoxPassword(
            lazy("%(name)s 的开箱密码不对。请本人重新输入；票箱仍然封着，什么都没有改。"),
            name=name,
        )
        refusal.holder_id = holder.holder_id
        raise refusal from None
    return opened[0], opened[1:]


def open_box(
    session: Session,
    kind: str,
    poll_id: int,
    passwords: Mapping[int, str],
    *,
    take: Callable[[Mapping[str, Any]], bool] | None = None,
    forget_key: bool = True,
) -> OpenedBox:
    """Open the box with the holders' passwords ({holder id: password}); see the module.

    Blank passwords are ignored. Refused, with nothing changed, when a password is wrong
    or fewer than k holders gave one.

    One box may serve several votes (a meeting's QR motions): `take` picks the choices
    to open now, the others stay sealed, and `forget_key=False` keeps the shares for
    the next one; `forget` erases them when the last vote is done.
    """
    # Locked (and read afresh) so two openings at once cannot both write the choices.
    box = session.scalar(
        select(SealedBox)
        .where(SealedBox.poll_kind == kind, SealedBox.poll_id == poll_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if box is None or box.sealed_at is None or box.opened_at is not None:
        raise BoxNotSealed(lazy("这个票箱没有封存的选票可开（投票没有开始过，或者已经开过箱）。"))
    names = dict(
        session.execute(
            select(StaffUser.id, StaffUser.display_name)
            .join(BoxHolder, BoxHolder.holder_id == StaffUser.id)
            .where(BoxHolder.box_id == box.id)
        ).all()
    )
    holders = {
        row.holder_id: row
        for row in session.scalars(
            select(BoxHolder).where(BoxHolder.box_id == box.id, BoxHolder.sealed_share.is_not(None))
        )
    }
    given = {holder_id: pw for holder_id, pw in passwords.items() if pw}
    strangers = [holder_id for holder_id in given if holder_id not in holders]
    if strangers:
        raise NotBoxHolder(lazy("只有这个票箱的保管人才能输入开箱密码。"))
    shares = [
        _open_share(holders[holder_id], password, names.get(holder_id, str(holder_id)))
        for holder_id, password in sorted(given.items())
    ]
    if len(given) < box.threshold:
        raise TooFewHolders(
            lazy(
                "开箱需要 %(k)s 位保管人各自输入开箱密码，现在只有 %(n)s 位。"
                "请等其他保管人到场再开箱；票箱一直封着，选票不会丢。"
            ),
            k=box.threshold,
            n=len(given),
        )
    secret = Shamir.combine(shares[: box.threshold])
    box_key = _box_key(secret)
    if bytes(box_key.public_key) != box.public_key:
        raise SealedBoxError(lazy("开箱密码拼出的钥匙和票箱对不上。请审计员检查这个票箱的记录。"))
    unsealer = Envelope(box_key)
    taken: list[dict[str, Any]] = []
    taken_ids: list[str] = []
    for row in session.scalars(select(SealedChoice).where(SealedChoice.box_id == box.id)):
        choice = json.loads(_unpad(unsealer.decrypt(row.sealed)))
        if take is None or take(choice):
            taken.append(choice)
            taken_ids.append(row.id)
    secrets.SystemRandom().shuffle(taken)
    if take is None:
        session.execute(delete(SealedChoice).where(SealedChoice.box_id == box.id))
    elif taken_ids:
        session.execute(delete(SealedChoice).where(SealedChoice.id.in_(taken_ids)))
    box.opened_count = (box.opened_count or 0) + len(taken)
    if forget_key:
        _forget(session, box)
    session.flush()
    return OpenedBox(taken, sorted(given))


def _forget(session: Session, box: SealedBox) -> None:
    """Erase every share: nothing left anywhere can open this box again."""
    for holder in session.scalars(select(BoxHolder).where(BoxHolder.box_id == box.id)):
        holder.sealed_share = None
        holder.public_key = None
        holder.salt = None
    box.opened_at = utcnow()


def forget(session: Session, kind: str, poll_id: int) -> None:
    """The last vote of a shared box is done: erase its key (see open_box)."""
    box = find_box(session, kind, poll_id)
    if box is not None and box.sealed_at is not None and box.opened_at is None:
        _forget(session, box)
        session.flush()


def remove(session: Session, kind: str, poll_id: int) -> None:
    """Delete the poll's box, its holders and whatever choices it still holds: only for
    a drill (app.drill) being removed."""
    box = find_box(session, kind, poll_id)
    if box is not None:
        remove_rows(session, "sealed_box", [box.id])


# How long scrubbing waits for transactions that overlapped the opening to end.
SCRUB_WAIT_SECONDS = 60.0
_SCRUB_POLL_SECONDS = 0.2


def scrub(database: Database) -> bool:
    """Remove what an opened box left in the files (run after the opening committed).

    SQLite (secure_delete is on for every connection, app.db): VACUUM rebuilds the file
    without free pages, then the WAL is checkpointed and truncated, so no earlier frame
    keeps a page as it was during voting; the checkpoint is retried while a reader holds
    old frames. PostgreSQL: the sealed choices and the holders' rows (their erased
    shares) are rewritten (app.secret_choice.shuffle_storage_order). A rewrite keeps
    every row version a transaction older than it may still see, so it first waits for
    the transactions running when the scrub began to end. Returns whether the traces
    are gone; False (logged) when the wait ran out, and the next opening scrubs again.
    """
    if database.in_test_transaction:
        return True  # a test's savepoint: nothing committed to scrub
    if database.is_sqlite:
        return _scrub_sqlite(database)
    with database.transaction() as session:
        started = int(session.scalar(text("SELECT txid_current()")) or 0)
    clear = _wait_for_older_transactions(database, started)
    with database.transaction() as session:
        shuffle_storage_order(session, (SealedChoice, BoxHolder))
    if not clear:
        logger.warning(
            "a transaction older than the sealed box's opening was still running after %.0f s;"
            " old row versions of sealed_choice may remain until the next opening",
            SCRUB_WAIT_SECONDS,
        )
    return clear


def _wait_for_older_transactions(database: Database, xid: int) -> bool:
    """Wait until no transaction that started before transaction `xid` is running."""
    deadline = time.monotonic() + SCRUB_WAIT_SECONDS
    while True:
        with database.transaction(write=False) as session:
            oldest = int(
                session.scalar(text("SELECT txid_snapshot_xmin(txid_current_snapshot())")) or 0
            )
        if oldest > xid:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(_SCRUB_POLL_SECONDS)


def _scrub_sqlite(database: Database) -> bool:
    deadline = time.monotonic() + SCRUB_WAIT_SECONDS
    connection = database.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("VACUUM")
        while True:
            # (busy, frames in the WAL, frames checkpointed): busy while a reader still
            # uses older frames; then they cannot be dropped yet.
            busy, _log, _done = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return True
            if time.monotonic() > deadline:
                logger.warning("the WAL could not be truncated after opening a sealed box")
                return False
            time.sleep(_SCRUB_POLL_SECONDS)
    finally:
        connection.close()


def scrub_after_commit(database: Database) -> BackgroundTask:
    """For the response of the request that opened a box."""

    def run() -> None:
        try:
            scrub(database)
        except Exception:
            logger.exception("scrubbing the sealed box's traces after opening it failed")

    return BackgroundTask(run)
