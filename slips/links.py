"""A slip's secret, its signed link and its typed short code.

A slip's link carries the slip id and a secret, signed with itsdangerous; the database
keeps only a random nonce and hashes, so a database copy alone opens nothing, while the
app (which holds the secret key) can re-derive the same link and short code to reprint
a sheet. Every salt and HMAC purpose here is part of the links already printed: change
none of them, or every slip on paper stops opening.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from itsdangerous import BadSignature, Signer

from app.settings import Settings
from slips.models import Slip

# Crockford's base32: no I, L, O or U, so a code read aloud or typed is hard to get wrong.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TYPED_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
MAX_TOKEN_LENGTH = 200


def _key(settings: Settings) -> bytes:
    return str(settings.secret_key).encode()


def _derive(settings: Settings, purpose: str, nonce: str) -> bytes:
    return hmac.new(_key(settings), f"{purpose}:{nonce}".encode(), hashlib.sha256).digest()


def sha256(text: str) -> str:
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


def unsign_token(settings: Settings, token: str) -> tuple[int, str] | None:
    """The slip id and secret a token carries, or None when its signature fails."""
    if len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        value = _signer(settings).unsign(token).decode()
    except (BadSignature, UnicodeDecodeError):
        return None
    slip_id, _sep, secret = value.partition(".")
    if not slip_id.isdigit():
        return None
    return int(slip_id), secret


def code_from(settings: Settings, nonce: str) -> str:
    """The 8 characters of the short code a nonce gives."""
    number = int.from_bytes(_derive(settings, "code", nonce)[:5], "big")
    chars = [CODE_ALPHABET[(number >> shift) & 31] for shift in range(35, -1, -5)]
    return "".join(chars)


def slip_short_code(settings: Settings, slip: Slip) -> str:
    """The code printed under the QR for typing in, as `XXXX-XXXX`."""
    code = code_from(settings, slip.nonce)
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
