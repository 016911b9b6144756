"""Meeting errors: each says, in Chinese, what happened and what to do."""

from __future__ import annotations

from app.errors import Conflict, DomainError, InvalidInput, NotFound
from app.i18n import lazy


class MeetingNotFound(NotFound):
    title = lazy("找不到这个会议")


class MeetingStateError(Conflict):
    """An action the meeting's current status does not allow (e.g. editing after notice)."""

    title = lazy("现在还不能这样做")


class InvalidMeetingInput(InvalidInput):
    """Input that breaks a meeting rule, with a message per form field (see InvalidInput)."""


class NotOpen(DomainError):
    """Checking in or out of a meeting that is not open (not yet begun, or over)."""

    status_code = 409
    title = lazy("现在不能签到")


class VoteRefused(Conflict):
    title = lazy("现在不能这样表决")


class MotionAlreadyVoted(Conflict):
    title = lazy("已投票")
