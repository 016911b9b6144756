"""Registry domain errors."""

from __future__ import annotations

from collections.abc import Mapping

from app.errors import Conflict, DomainError, NotFound
from app.i18n import lazy


class HouseholdNotFound(NotFound):
    pass


class PersonStateConflict(Conflict):
    """E.g. deactivating someone already off the roll."""


class InvalidRegistryInput(DomainError):
    """Input that breaks a registry rule, with a message per form field.

    Views catch it and show each message beside its field (status 422); anywhere else
    it becomes an error page. Raised before anything is written.
    """

    status_code = 422
    title = lazy("填写的内容需要修改")

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = dict(errors)

    def render_message(self) -> str:
        return "；".join(self.errors.values())


class RollFileError(DomainError):
    """An uploaded roll file that cannot be read at all; the message says what to do."""

    status_code = 422
    title = lazy("名单文件读不了")


class ImportAlreadyApplied(Conflict):
    title = lazy("这份名单已经导入过了")
