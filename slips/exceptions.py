"""Slip errors: each says, in Chinese, what happened and what to do."""

from __future__ import annotations

from app.errors import DomainError
from app.i18n import lazy


class LinkError(DomainError):
    """A villager's QR link that cannot be used. Subclasses say why."""

    status_code = 403
    title = lazy("这个二维码不能使用")


class LinkForged(LinkError):
    """The signature does not check out: altered, mistyped or made by someone else."""


class LinkExpired(LinkError):
    title = lazy("这个二维码已经过期")


class LinkRevoked(LinkError):
    title = lazy("这个二维码已经作废")


class LinkUnknown(LinkError):
    """Signed by us, but no such slip here (another installation, a wiped database)."""


class ShortCodeThrottled(LinkError):
    status_code = 429
    title = lazy("输错的次数太多了")


class AssemblyRefused(DomainError):
    """An assembly, slip or election link that breaks a rule; the message says which."""

    status_code = 422
    title = lazy("没有保存")
