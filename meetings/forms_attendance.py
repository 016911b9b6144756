"""Parsing the tellers' check-in forms (attendance area)."""

from __future__ import annotations

from app.forms import FormResult
from app.i18n import gettext_

MAX_SCAN_LENGTH = 400  # a pasted slip link is about 100 characters


def parse_scan(code: str) -> FormResult:
    """The slip's short code or link that a teller typed, scanned or pasted."""
    result = FormResult(raw={"code": code})
    if not code:
        result.error("code", gettext_("请输入纸条上二维码下面的 8 位号码，或粘贴扫码得到的链接。"))
    elif len(code) > MAX_SCAN_LENGTH:
        result.error("code", gettext_("内容太长，不像是纸条上的号码或链接。请重新扫码或输入号码。"))
    else:
        result.values["code"] = code
    return result
