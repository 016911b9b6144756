from __future__ import annotations

from app.errors import DomainError
from app.i18n import lazy


class SigninThrottled(DomainError):
    status_code = 429
    title = lazy("登录尝试过多")


class InvalidCredentials(DomainError):
    status_code = 400
    title = lazy("无法登录")
