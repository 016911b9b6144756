"""CSRF tokens: one per session, sent back in a hidden field or a header.

Below both the request layer (which checks every state change) and the templates (which
put the token into every form), so neither has to import the other for it.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.datastructures import FormData
from starlette.requests import Request

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def csrf_ok(request: Request, form: FormData | None) -> bool:
    expected = request.session.get("csrf")
    if not expected:
        return False
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and form is not None:
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if sent is None:
        return False
    # Bytes, not str: compare_digest raises on non-ASCII text, which anyone can send.
    return hmac.compare_digest(str(expected).encode(), sent.encode())
