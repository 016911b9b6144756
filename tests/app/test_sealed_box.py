"""The sealed ballot box (app.sealed_box), at the kernel: key holders and their box
passwords, sealing when voting opens, sealed choices nobody can read, opening with k of
the k+1 holders, and nothing left to open it with afterwards. Real database, real
cryptography; the attacker below holds every stored row and the app's secret key.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from Crypto.Protocol.SecretSharing import Shamir
from nacl.encoding import RawEncoder
from nacl.exceptions import CryptoError
from nacl.hash import blake2b
from nacl.public import PrivateKey
from nacl.public import SealedBox as Envelope
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.accounts.models import StaffUser
from app.permissions import Role
from app.registry.models import Village
from app.sealed_box import services as sealed_box
from app.sealed_box.exceptions import (
    BadBoxPassword,
    BoxAlreadySealed,
    BoxNotReady,
    BoxNotSealed,
    NotBoxHolder,
    TooFewHolders,
    WrongBoxPassword,
)
from app.sealed_box.models import BoxHolder, SealedBox, SealedChoice
from app.settings import Settings, load_or_create_secret_key
from tests import factories

KIND = sealed_box.ELECTION_ROUND
POLL = 700_001
PASSWORDS = ("第一位的开箱密码-7Qx", "second holder's box pw 42", "第三位 pass-phrase ∆")
SEALED_TABLES = ("sealed_box", "sealed_box_holder", "sealed_choice")
BALLOT = {"marks": ["张三"], "receipt": "ABCD-EFGH-JKLM", "day": "2026-12-20"}


def _holders(db: Session, count: int = 3) -> list[StaffUser]:
    village = factories.VillageFactory()
    return [
        factories.staff(Role.TELLER, village, display_name=f"保管人{n}")
        for n in ("甲", "乙", "丙", "丁")[:count]
    ]


def _named(db: Session, count: int = 3) -> list[StaffUser]:
    holders = _holders(db, count)
    sealed_box.name_holders(db, KIND, POLL, [h.id for h in holders])
    return holders


def _set_password(db: Session, holder: StaffUser, index: int) -> None:
    password = PASSWORDS[index]
    sealed_box.set_box_password(db, KIND, POLL, holder.id, password, password)


def _sealed_box(db: Session, choices: list[dict[str, object]] | None = None) -> list[StaffUser]:
    """Three holders set their box password through the service; voting opens; choices."""
    holders = _named(db)
    for index, holder in enumerate(holders):
        _set_password(db, holder, index)
    sealed_box.seal(db, KIND, POLL)
    for choice in [BALLOT] if choices is None else choices:
        sealed_box.seal_choice(db, KIND, POLL, choice)
    return holders


def _passwords(holders: list[StaffUser], *indexes: int) -> dict[int, str]:
    return {holders[i].id: PASSWORDS[i] for i in indexes}


def _rows(db: Session) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the sealed tables, as a database dump would have them."""
    return {
        table: sorted(
            (tuple(row) for row in db.execute(text(f"SELECT * FROM {table}"))),
            key=repr,
        )
        for table in SEALED_TABLES
    }


def _status(db: Session) -> sealed_box.BoxStatus:
    return sealed_box.box_status(db, KIND, POLL)


# --- naming holders, box passwords, sealing -----------------------------------------------


def test_voting_opens_only_with_k_plus_one_holders_ready(db):
    holders = _named(db)
    status = _status(db)
    assert (status.threshold, status.needed_to_open_voting, status.ready_count) == (2, 3, 0)
    assert {h.name for h in status.holders} == {"保管人甲", "保管人乙", "保管人丙"}
    _set_password(db, holders[0], 0)
    _set_password(db, holders[1], 1)
    with pytest.raises(BoxNotReady) as caught:
        sealed_box.seal(db, KIND, POLL)
    message = caught.value.render_message()
    assert "至少要有 3 位票箱保管人设好开箱密码" in message and "现在设好了 2 位" in message
    assert not _status(db).sealed
    with pytest.raises(BoxNotSealed):  # no vote before voting opens
        sealed_box.seal_choice(db, KIND, POLL, BALLOT)

    _set_password(db, holders[2], 2)
    box = sealed_box.seal(db, KIND, POLL)
    assert box.public_key is not None and len(box.public_key) == 32
    stored = list(db.scalars(select(BoxHolder).where(BoxHolder.box_id == box.id)))
    assert all(h.sealed_share for h in stored)
    assert len({h.sealed_share for h in stored}) == 3  # one share each, each sealed to its holder
    status = _status(db)
    assert status.sealed and status.ready_count == 3 and status.sealed_choices == 0
    with pytest.raises(BoxAlreadySealed):
        sealed_box.seal(db, KIND, POLL)


def test_a_box_password_too_short_or_mistyped_is_refused_and_nothing_is_stored(db):
    (holder,) = _named(db, 1)
    before = _rows(db)
    with pytest.raises(BadBoxPassword) as short:
        sealed_box.set_box_password(db, KIND, POLL, holder.id, "1234567", "1234567")
    assert "至少要 8 位" in short.value.render_message()
    with pytest.raises(BadBoxPassword) as mistyped:
        sealed_box.set_box_password(db, KIND, POLL, holder.id, PASSWORDS[0], PASSWORDS[1])
    assert "两次输入的开箱密码不一样" in mistyped.value.render_message()
    assert _rows(db) == before
    assert not _status(db).holder_ready(holder.id)


def test_only_a_named_holder_sets_a_box_password_and_only_before_voting_opens(db):
    holders = _sealed_box(db, [])
    stranger = factories.staff(Role.TELLER, db.get(Village, holders[0].village_id))
    with pytest.raises(NotBoxHolder):
        sealed_box.set_box_password(db, KIND, POLL, stranger.id, PASSWORDS[0], PASSWORDS[0])
    with pytest.raises(BoxAlreadySealed):
        sealed_box.set_box_password(db, KIND, POLL, holders[0].id, PASSWORDS[1], PASSWORDS[1])
    # Once sealed, the holders are fixed: naming others changes nothing.
    sealed_box.name_holders(db, KIND, POLL, [stranger.id])
    assert {h.holder_id for h in _status(db).holders} == {h.id for h in holders}


def test_the_stored_password_material_is_a_salt_and_a_public_key_only(db):
    holders = _sealed_box(db, [])
    for row in db.scalars(select(BoxHolder)):
        assert len(row.salt or b"") == 16 and len(row.public_key or b"") == 32
    dump = repr(_rows(db)).encode("utf-8")
    for password in PASSWORDS:
        assert password.encode("utf-8") not in dump
    assert _status(db).ready_count == len(holders)


# --- the attacker: every stored row and the app's secret key -------------------------------


@dataclass
class Loot:
    """Everything the attacker took: every value of every sealed-box row (and the
    holders' staff rows), the app's secret key, every file in the data directory."""

    values: list[bytes]
    texts: list[str]  # the values that are text: names, kinds, dates, the secret key


def _loot(db: Session, data_dir: Path, settings: Settings) -> Loot:
    values: list[bytes] = []
    texts: list[str] = []
    for rows in _rows(db).values():
        for row in rows:
            for value in row:
                if isinstance(value, bytes | memoryview):
                    values.append(bytes(value))
                elif value is not None:
                    texts.append(str(value))
    for user in db.scalars(select(StaffUser)):
        texts += [user.username, user.display_name, user.password_hash]
    texts.append(str(settings.secret_key))
    for path in sorted(data_dir.rglob("*")):
        if path.is_file():
            values.append(path.read_bytes())
            texts.append(path.read_text(encoding="utf-8").strip())
    texts = list(dict.fromkeys(texts))
    values = list(dict.fromkeys(values + [t.encode("utf-8") for t in texts]))
    return Loot(values, texts)


def _windows(value: bytes, size: int) -> Iterator[bytes]:
    for start in range(len(value) - size + 1):
        yield value[start : start + size]


def _candidate_keys(
    loot: Loot, secret_keys: list[bytes], salts: list[bytes]
) -> Iterator[PrivateKey]:
    """Every private key the attacker could make from his loot, knowing the code."""
    for value in loot.values:
        derived = [
            blake2b(value, digest_size=32, encoder=RawEncoder),
            blake2b(value, digest_size=32, person=b"cunyi-box-key", encoder=RawEncoder),
            hashlib.sha256(value).digest(),
        ]
        for secret_key in secret_keys:
            derived.append(blake2b(value, digest_size=32, key=secret_key[:64], encoder=RawEncoder))
            derived.append(hashlib.sha256(secret_key + value).digest())
        for seed in itertools.chain(_windows(value, 32), derived):
            yield PrivateKey(seed)
            yield PrivateKey.from_seed(seed)
        # The box's key comes from a 16-byte secret: try every 16 bytes he has.
        for secret in itertools.chain(_windows(value, 16), (d[:16] for d in derived)):
            yield sealed_box._box_key(secret)
    # Every text he has that could be a box password (the app takes 8 characters or
    # more), with each holder's salt and the app's argon2id cost.
    guesses = [t for t in loot.texts if len(t) >= sealed_box.MIN_PASSWORD_LENGTH]
    for guess, salt in itertools.product(guesses, salts):
        yield sealed_box._holder_key(guess, salt, sealed_box.KDF_OPSLIMIT, sealed_box.KDF_MEMLIMIT)


def _opens(key: PrivateKey, ciphertext: bytes) -> bool:
    try:
        Envelope(key).decrypt(ciphertext)
    except CryptoError:
        return False
    return True


def test_the_database_and_the_data_directory_alone_open_no_sealed_choice(db, settings):
    data_dir = settings.data_dir
    file_key = load_or_create_secret_key(data_dir)  # data/secret.key, as in production
    holders = _sealed_box(db)
    loot = _loot(db, data_dir, settings)
    (sealed,) = db.scalars(select(SealedChoice.sealed))
    holder_rows = list(db.scalars(select(BoxHolder).order_by(BoxHolder.id)))
    shares = [row.sealed_share for row in holder_rows if row.sealed_share]
    salts = [row.salt for row in holder_rows if row.salt]
    assert len(shares) == len(salts) == 3
    # Nothing of the ballot is in the clear anywhere he looks.
    everything = b"".join(loot.values)
    for secret in ("张三", BALLOT["receipt"]):
        assert str(secret).encode("utf-8") not in everything

    tried = 0
    secret_keys = [str(settings.secret_key).encode("utf-8"), file_key.encode("utf-8")]
    for key in _candidate_keys(loot, secret_keys, salts):
        tried += 1
        assert not _opens(key, sealed), "a key made from stored data opened a ballot"
        for share in shares:
            assert not _opens(key, share), "a key made from stored data opened a share"
    assert tried > 1000

    # The check is not vacuous: with two holders' passwords the same steps read it.
    opened = []
    for row, index in ((holder_rows[0], 0), (holder_rows[2], 2)):
        assert row.holder_id == holders[index].id and row.salt and row.sealed_share
        key = sealed_box._holder_key(
            PASSWORDS[index], row.salt, sealed_box.KDF_OPSLIMIT, sealed_box.KDF_MEMLIMIT
        )
        assert _opens(key, row.sealed_share)
        share = Envelope(key).decrypt(row.sealed_share)
        opened.append((share[0], share[1:]))
    box_key = sealed_box._box_key(Shamir.combine(opened))
    assert json.loads(sealed_box._unpad(Envelope(box_key).decrypt(sealed))) == BALLOT


def test_sealed_ballots_of_any_content_have_one_length(db):
    long_names = ["欧阳" + "长" * 48, "司马" + "名" * 48, "诸葛" + "字" * 48]
    _sealed_box(
        db,
        [
            {"marks": ["张三"], "receipt": "AAAA-BBBB-CCCC", "day": "2026-12-20"},
            {"marks": long_names, "receipt": "DDDD-EEEE-FFFF", "day": "2026-12-20"},
            {"marks": [], "receipt": "GGGG-HHHH-JJJJ", "day": "2026-12-20"},
        ],
    )
    lengths = {len(sealed) for sealed in db.scalars(select(SealedChoice.sealed))}
    assert len(lengths) == 1
    (length,) = lengths
    assert length >= sealed_box.MIN_BUCKET


# --- opening ---------------------------------------------------------------------------------


def test_a_wrong_password_is_refused_by_name_and_changes_nothing(db):
    holders = _sealed_box(db)
    before = _rows(db)
    passwords = _passwords(holders, 0) | {holders[1].id: PASSWORDS[0]}
    with pytest.raises(WrongBoxPassword) as caught:
        sealed_box.open_box(db, KIND, POLL, passwords)
    assert "保管人乙" in caught.value.render_message()
    assert "票箱仍然封着" in caught.value.render_message()
    assert caught.value.holder_id == holders[1].id
    assert _rows(db) == before
    assert _status(db).sealed and _status(db).sealed_choices == 1


def test_the_box_opens_with_any_k_of_the_holders(db):
    holders = _sealed_box(db)
    # The second holder forgot their password (left blank): the other two open it.
    passwords = _passwords(holders, 0, 2) | {holders[1].id: ""}
    opened = sealed_box.open_box(db, KIND, POLL, passwords)
    assert opened.choices == [BALLOT]
    assert opened.opened_by == sorted([holders[0].id, holders[2].id])


def test_fewer_than_k_holders_are_refused_and_the_box_stays_sealed(db):
    holders = _sealed_box(db)
    before = _rows(db)
    with pytest.raises(TooFewHolders) as caught:
        sealed_box.open_box(db, KIND, POLL, _passwords(holders, 1) | {holders[0].id: ""})
    message = caught.value.render_message()
    assert "开箱需要 2 位保管人" in message and "现在只有 1 位" in message
    assert _rows(db) == before
    status = _status(db)
    assert status.sealed and not status.opened and status.sealed_choices == 1


def test_a_stranger_cannot_join_the_opening(db):
    holders = _sealed_box(db)
    stranger = factories.staff(Role.TELLER, db.get(Village, holders[0].village_id))
    before = _rows(db)
    with pytest.raises(NotBoxHolder):
        sealed_box.open_box(db, KIND, POLL, _passwords(holders, 0) | {stranger.id: PASSWORDS[1]})
    assert _rows(db) == before


def test_opening_returns_every_choice_shuffled_and_forgets_the_key(db):
    ballots = [
        {"marks": [f"候选{n}"], "receipt": f"R{n:03d}", "day": "2026-12-20"} for n in range(12)
    ]
    holders = _sealed_box(db, ballots)
    opened = sealed_box.open_box(db, KIND, POLL, _passwords(holders, 0, 1))
    assert sorted(opened.choices, key=lambda c: str(c["receipt"])) == ballots
    assert opened.choices != ballots  # not in the order they were cast

    box = db.scalar(select(SealedBox))
    assert box is not None and box.opened_at is not None and box.opened_count == 12
    assert db.scalar(select(func.count()).select_from(SealedChoice)) == 0
    for row in db.scalars(select(BoxHolder)):
        assert (row.sealed_share, row.public_key, row.salt) == (None, None, None)
    status = _status(db)
    assert status.opened and not status.sealed and status.openers == ()

    with pytest.raises(BoxNotSealed):
        sealed_box.open_box(db, KIND, POLL, _passwords(holders, 0, 1))
    with pytest.raises(BoxNotSealed):  # no vote after the box was opened
        sealed_box.seal_choice(db, KIND, POLL, BALLOT)
