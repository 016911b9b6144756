"""ballot_page_bytes: bytes of the villager's ballot page and of everything it loads.

Fetched from a running server like a phone would (HTML, then each stylesheet, script
and image it names), uncompressed: the page must fit the first network round trip
(about 14 kB) even where no proxy compresses it. Called by bench/cast.py on the server
it has running; `measure(port, path)` works against any server.
"""

from __future__ import annotations

import re
import urllib.request
from typing import Any

ASSETS = re.compile(r'<(?:link[^>]+href|script[^>]+src|img[^>]+src)="(/[^"]+)"')


def _get(port: int, path: str, cookie: str) -> bytes:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Cookie": cookie})
    with urllib.request.urlopen(req, timeout=30) as answer:  # noqa: S310 (loopback)
        body: bytes = answer.read()
        return body


def measure(port: int, path: str, cookie: str = "") -> dict[str, Any]:
    page = _get(port, path, cookie)
    assets = {src: len(_get(port, src, cookie)) for src in ASSETS.findall(page.decode())}
    return {"html": len(page), "assets": assets, "total": len(page) + sum(assets.values())}
