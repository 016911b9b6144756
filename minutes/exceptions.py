"""Minutes errors: each says, in Chinese, what happened and what to do."""

from __future__ import annotations

from app.errors import Conflict, DomainError, Forbidden, NotFound
from app.i18n import lazy


class MinutesError(DomainError):
    title = lazy("会议记录操作未完成")


class MinutesLocked(Conflict):
    """The minutes are signed: only a signed addendum can correct them."""

    title = lazy("会议记录已签名锁定")


class NotSignatory(Forbidden):
    """Only the meeting's host and recorder sign; only its recorder writes."""


class WrongPassword(MinutesError):
    status_code = 422


class MinutesNotFound(NotFound):
    pass


__all__ = [
    "Conflict",
    "MinutesError",
    "MinutesLocked",
    "MinutesNotFound",
    "NotSignatory",
    "WrongPassword",
]
