"""A member on a 360px phone opens their QR slip link, reads the compact article by
article, comments on one article and votes once. The villager's pages run no script."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from compacts.models import Comment, MemberVote, VoteChoice
from tests.app.helpers import fresh_migrated_database
from tests.browser.conftest import PHONE_WIDTH, screenshot
from tests.browser.server import ServerProcess, committed_session, running_app
from tests.compacts.rounds_support import open_round, setting

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class CompactServer:
    url: str  # the database, to check what was written
    link: str  # what the member's QR code holds
    round_id: int
    process: ServerProcess

    def log(self) -> str:
        return self.process.tail()


def _seed(url: str, key: str, tmp: Path) -> tuple[str, int]:
    """An open round of a two-chapter compact, and 王建国's slip link."""
    with committed_session(url, key, tmp) as (session, settings):
        s = setting(session, settings)
        round_ = open_round(session, s)
        return s.tokens[1], round_.id


@pytest.fixture(scope="module")
def compact_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CompactServer]:
    tmp = tmp_path_factory.mktemp("compact")
    key = secrets.token_hex(32)
    with fresh_migrated_database(tmp, "compact") as url:
        token, round_id = _seed(url, key, tmp)
        with running_app(url, tmp, key, ready_path="/s") as app:
            yield CompactServer(url, f"{app.base_url}/s/{token}", round_id, app.process)


def _written(url: str) -> tuple[list[tuple[str, str]], list[VoteChoice]]:
    with committed_session(url) as (session, _settings):
        comments = [(c.article, c.text) for c in session.scalars(select(Comment))]
        votes = [v.choice for v in session.scalars(select(MemberVote))]
        return comments, votes


def test_each_article_has_a_big_comment_button_and_radios_sit_beside_their_labels(
    page: Page, compact_server: CompactServer
) -> None:
    """Before voting (this test writes nothing): under each article a button-sized
    "对第N条提意见", and the vote box's radio circles on their labels' lines."""
    page.goto(compact_server.link)
    page.get_by_role("link", name="村规民约征求意见").click()
    for name in ("对第二条提意见", "对第三条提意见"):
        toggle = page.locator("details.comment > summary", has_text=name)
        expect(toggle).to_be_visible()
        box = toggle.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 200, box
    page.locator("details.comment > summary", has_text="对第三条提意见").click()
    expect(page.locator("#f-text-3")).to_be_visible()
    for choice in ("同意", "修改后同意"):
        circle = page.get_by_role("radio", name=choice, exact=True).bounding_box()
        label = page.locator("#vote").get_by_text(choice, exact=True).bounding_box()
        assert circle is not None and label is not None
        middle = circle["y"] + circle["height"] / 2
        assert label["y"] <= middle <= label["y"] + label["height"], (circle, label)
        assert circle["x"] + circle["width"] <= label["x"] and label["height"] >= 44
    screenshot(page, "compact-round-toggles-360")


def test_a_member_reads_comments_and_votes_on_a_phone(
    page: Page, compact_server: CompactServer
) -> None:
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    page.goto(compact_server.link)  # what scanning the slip's QR code opens
    assert "王建国，您好" in page.inner_text("main"), compact_server.log()
    page.get_by_role("link", name="村规民约征求意见").click()
    main = page.inner_text("main")
    assert "第一章" in main and "第二条 邻里" in main and "第三条 施行" in main
    assert int(page.evaluate("document.documentElement.scrollWidth")) <= PHONE_WIDTH

    page.get_by_text("对第二条提意见").click()
    page.locator("#f-text-2").fill("邻里互助最好有人牵头")
    page.locator("#art-2 ~ details").first.get_by_role("button", name="提交意见").click()
    assert "您的意见已经收到" in page.inner_text("main"), compact_server.log()
    assert "您的意见：邻里互助最好有人牵头" in page.inner_text("main")

    page.get_by_label("修改后同意").check()
    page.get_by_role("button", name="确认表态").click()
    main = page.inner_text("main")
    assert "已投票" in main and "修改后同意" in main
    assert page.get_by_role("button", name="确认表态").count() == 0
    assert int(page.evaluate("document.documentElement.scrollWidth")) <= PHONE_WIDTH
    screenshot(page, "compact-round-360")
    assert scripts == []

    comments, votes = _written(compact_server.url)
    assert comments == [("2", "邻里互助最好有人牵头")]
    assert votes == [VoteChoice.APPROVE_WITH_CHANGES]
