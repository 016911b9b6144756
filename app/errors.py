"""Domain errors: each becomes a clear page (or JSON) saying what happened and what to do."""

from __future__ import annotations

from app.i18n import LazyText, lazy


class DomainError(Exception):
    """Base for every error a user can cause. Subclasses set a status and a message."""

    status_code = 400
    title: LazyText = lazy("操作未完成")

    def __init__(
        self, message: LazyText | str, *, hint: LazyText | str | None = None, **variables: object
    ) -> None:
        super().__init__(str(message))
        self.message = message
        self.hint = hint
        self.variables = variables

    def render_message(self) -> str:
        text = str(self.message)
        return text % self.variables if self.variables else text


class NotFound(DomainError):
    status_code = 404
    title = lazy("找不到该页面")


class Forbidden(DomainError):
    status_code = 403
    title = lazy("没有权限")


class Conflict(DomainError):
    status_code = 409
    title = lazy("与现有记录冲突")


class InvalidInput(DomainError):
    """Input that breaks a rule, with a message per form field.

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


class Busy(DomainError):
    """The database is too busy to take this change now; nothing was saved."""

    status_code = 503
    title = lazy("系统繁忙")

    def __init__(self) -> None:
        super().__init__(lazy("现在提交的人太多，您的这次操作没有保存。请等几秒钟，再点一次提交。"))
