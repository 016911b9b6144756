"""Survey errors: each says, in Chinese, what happened and what to do."""

from __future__ import annotations

from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.i18n import lazy


class SurveyNotFound(NotFound):
    title = lazy("找不到这份问卷")


class SurveyStateError(Conflict):
    """An action the survey's status does not allow (e.g. editing an open survey)."""

    title = lazy("现在还不能这样做")


class InvalidSurveyInput(InvalidInput):
    """Input that breaks a survey rule, with a message per form field (see InvalidInput)."""


class AlreadyAnswered(Conflict):
    title = lazy("已答过")


class NotInAudience(Forbidden):
    title = lazy("这份问卷不是给您的")


class TooManySheets(Conflict):
    title = lazy("纸质问卷太多了")


class HoldersNotReady(SurveyStateError):
    """Too few key holders set their box password for the survey to open (surveys.box)."""


class NotKeyHolder(Forbidden):
    """The signed-in user is not a key holder of this survey's sealed box."""
