"""The compacts package's domain errors; the request layer turns each into a clear 4xx page."""

from __future__ import annotations

from app.errors import Conflict, DomainError, NotFound
from app.i18n import lazy

# --- versions ----------------------------------------------------------------------------


class CompactNotFound(NotFound):
    title = lazy("找不到这份公约")


class CompactStateError(Conflict):
    title = lazy("现在还不能这样做")


# --- deliberation rounds -----------------------------------------------------------------


class RoundClosed(Conflict):
    pass


class AlreadyVoted(Conflict):
    pass


# --- answers, adoption, filing, delivery -------------------------------------------------


class AnswerRefused(DomainError):
    title = lazy("不能这样答复")


class AlreadyAnswered(Conflict):
    title = lazy("已经答复过了")


class NotReadyForAdoption(Conflict):
    title = lazy("还有意见没有答复")


class AdoptionRefused(Conflict):
    title = lazy("现在不能提交表决")


class FilingRefused(Conflict):
    title = lazy("现在不能这样备案")


class PublicationRefused(Conflict):
    title = lazy("现在不能公布")


class AlreadyReceived(Conflict):
    title = lazy("已经登记过了")
