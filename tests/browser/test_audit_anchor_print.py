"""A public notice printed from Chromium to an A4 PDF carries the audit chain's anchor: the
text reads back from the PDF (pdftotext), the QR code decodes from a raster of it (pdftoppm,
zbarimg), both are the log's head when the page was made, and `cunyi verify-audit` accepts
both as they came off the paper.
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from app.audit.services import chain_anchor
from tests.app.helpers import fresh_migrated_database, run_cli
from tests.audit.anchors_support import build_notices
from tests.browser.conftest import ARTIFACTS
from tests.browser.server import committed_session, running_app
from tests.conftest import TEST_DATABASE

pytestmark = pytest.mark.browser

PRINTED = re.compile(r"#(\d+) · ([0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})")
TOOLS = ("pdftotext", "pdftoppm", "zbarimg")


@dataclass(frozen=True)
class NoticeServer:
    base_url: str
    database_url: str
    paths: dict[str, str]
    label: str  # the chain's head as printed, read from the database
    machine: str  # the QR code's content


@pytest.fixture(scope="module")
def notice_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NoticeServer]:
    tmp = tmp_path_factory.mktemp("anchors")
    key = secrets.token_hex(32)
    with fresh_migrated_database(tmp, "anchors") as url:
        with committed_session(url, key, tmp) as (session, _settings):
            notices = build_notices(session)
        with committed_session(url, key, tmp, write=False) as (session, _settings):
            head = chain_anchor(session)
        with running_app(url, tmp, key, ready_path="/signin") as app:
            yield NoticeServer(app.base_url, url, notices.paths, head.label, head.machine)


@pytest.fixture(scope="module")
def tools() -> dict[str, str]:
    found = {name: shutil.which(name) for name in TOOLS}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        pytest.skip(
            f"{', '.join(missing)} not installed (apt-get install poppler-utils zbar-tools)"
        )
    return {name: str(path) for name, path in found.items()}


def _run(*command: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("notice", ["roll", "results", "compact-print"])
def test_the_printed_notice_carries_the_anchor_in_text_and_qr(
    browser: Browser, notice_server: NoticeServer, tools: dict[str, str], tmp_path: Path, notice
) -> None:
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        response = page.goto(notice_server.base_url + notice_server.paths[notice])
        assert response is not None and response.status == 200
        page.emulate_media(media="print")
        pdf = page.pdf(format="A4", print_background=False)
    finally:
        context.close()
    assert pdf.startswith(b"%PDF")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"audit-anchor-{notice}-{TEST_DATABASE}.pdf").write_bytes(pdf)
    document = tmp_path / "notice.pdf"
    document.write_bytes(pdf)

    text = _run(tools["pdftotext"], "-enc", "UTF-8", str(document), "-")
    assert "审计链锚点" in text and "用途：核对本公告之前的记录未被改动。" in text
    printed = PRINTED.search(text)
    assert printed is not None, text[-600:]
    assert printed.group(0) == notice_server.label

    _run(tools["pdftoppm"], "-r", "200", "-png", str(document), str(tmp_path / "page"))
    images = sorted(str(path) for path in tmp_path.glob("page*.png"))
    assert images
    decoded = _run(tools["zbarimg"], "--raw", "-q", *images).split()
    assert decoded == [notice_server.machine]

    # Both forms, as they came off the paper, check out against the untouched log.
    result = run_cli(
        notice_server.database_url,
        tmp_path,
        "verify-audit",
        "--anchor",
        printed.group(0),
        "--anchor",
        decoded[0],
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(f"OK: anchor {notice_server.label}") == 2
