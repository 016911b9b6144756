"""Assessment errors: each says, in Chinese, what happened and what to do."""

from __future__ import annotations

from app.errors import DomainError, InvalidInput, NotFound
from app.i18n import lazy


class AssessmentError(DomainError):
    title = lazy("考核操作未完成")


class InvalidSettings(InvalidInput):
    """Thresholds that are not whole percentages; nothing is saved."""


class BadYear(AssessmentError):
    status_code = 400
    title = lazy("年份不对")


class VillageNotFound(NotFound):
    pass


__all__ = ["AssessmentError", "BadYear", "InvalidSettings", "VillageNotFound"]
