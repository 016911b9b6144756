"""Meeting errors: each says, in Chinese, what happened and what to do."""

from __future__ import annotations

from app.errors import Conflict, DomainError, NotFound
from app.i18n import lazy


class MeetingNotFound(NotFound):
    title = lazy("找不到这个会议")


class MeetingStateError(Conflict):
    """An action the meeting's current status does not allow (e.g. editing after notice)."""

    title = lazy("现在还不能这样做")


class InvalidMeetingInput(DomainError):
    """Input that breaks a meeting rule, with a message per form field.

    Views show each message beside its field (status 422); anywhere else it becomes an
    error page. Raised before anything is written.
    """

    status_code = 422
    title = lazy("填写的内容需要修改")

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()))
        self.errors = dict(errors)

    def render_message(self) -> str:
        return "；".join(self.errors.values())
