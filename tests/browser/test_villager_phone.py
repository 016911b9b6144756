"""What villagers see at the assembly (issue 14), on a 360px phone through the QR slip,
and what the organizer sees of the same compact at 1,280px.

A villager opens their slip: it offers a check-in (so it never says there is nothing to
do), after checking in it says 已签到 with the time; the compact adoption ballot names
the version in words (never "compact_version:N"), links to its text in the same tab with
a way back, puts each radio circle beside its label; a second submission of the same
vote says the first one stands and writes nothing. A slip with nothing at its assembly
says so. The organizer's agenda, item page and adoption page name the version in words,
and the delivery list names each household's representative.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import func, select

from app.actors import SYSTEM, actor_for
from app.db import utcnow
from app.templating import CHINA_TIME
from compacts.adoption import services as adoption
from compacts.models import Compact
from meetings import votes
from meetings.models import MotionVoteUse, VoteMethod
from slips.links import slip_token
from slips.models import Assembly
from slips.services import issue_slips
from tests import factories
from tests.app.helpers import fresh_migrated_database
from tests.browser.conftest import PHONE_WIDTH, create_organizer, screenshot, sign_in_at
from tests.browser.server import ServerProcess, committed_session, running_app
from tests.compacts.adoption_support import Book, publish, version
from tests.meetings.votes_support import hall

pytestmark = pytest.mark.browser

VILLAGER = "李桂英"
TITLE = "柳溪村村规民约"
WORDS = f"《{TITLE}》第 2 版"
PASSWORD = "villager-test-" + secrets.token_hex(6)


@dataclass(frozen=True)
class Hall:
    base_url: str
    link: str  # the villager's slip at the assembly
    idle_link: str  # another villager's slip at an assembly with nothing on
    meeting_id: int
    item_id: int
    voted_version_id: int
    published_version_id: int
    url: str  # the database
    process: ServerProcess

    def log(self) -> str:
        return self.process.tail()


def _seed(url: str, key: str, tmp: Path) -> dict[str, object]:
    with committed_session(url, key, tmp) as (session, settings):
        h = hall(session, 3)
        h.people[0].name = VILLAGER
        h.people[0].is_household_representative = True
        household = h.people[0].household
        household.number, household.address = "001", "柳溪村1组1号"
        create_organizer(session, h.village, PASSWORD)
        compact = Compact(village_id=h.village.id, title=TITLE, created_by_id=h.organizer.id)
        session.add(compact)
        session.flush()
        book = Book(
            h.village,
            h.organizer,
            compact,
            factories.GroupFactory(village_id=h.village.id),
            h.people,
        )
        published = version(session, book, 1)
        publish(session, book, published)
        voted = version(session, book, 2)
        motion = adoption.put_to_assembly(session, book.actor, voted, h.meeting, VoteMethod.QR)
        votes.open_motion(session, actor_for(h.organizer), motion)
        idle = Assembly(
            village_id=h.village.id,
            title="秋季村民大会",
            held_on=utcnow().date(),
            place="礼堂",
            links_expire_at=h.assembly.links_expire_at,
        )
        session.add(idle)
        session.flush()
        (slip,) = issue_slips(session, SYSTEM, h.assembly, [h.people[0].id], settings=settings)
        (other,) = issue_slips(session, SYSTEM, idle, [h.people[1].id], settings=settings)
        return {
            "token": slip_token(settings, slip),
            "idle": slip_token(settings, other),
            "meeting_id": h.meeting.id,
            "item_id": motion.item_id,
            "voted": voted.id,
            "published": published.id,
        }


@pytest.fixture(scope="module")
def assembly_hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    tmp = tmp_path_factory.mktemp("villager")
    key = secrets.token_hex(32)
    with fresh_migrated_database(tmp, "villager") as url:
        seeded = _seed(url, key, tmp)
        with running_app(url, tmp, key, ready_path="/s") as app:
            yield Hall(
                app.base_url,
                f"{app.base_url}/s/{seeded['token']}",
                f"{app.base_url}/s/{seeded['idle']}",
                int(str(seeded["meeting_id"])),
                int(str(seeded["item_id"])),
                int(str(seeded["voted"])),
                int(str(seeded["published"])),
                url,
                app.process,
            )


def _votes_stored(url: str) -> int:
    with committed_session(url) as (session, _settings):
        return int(session.scalar(select(func.count()).select_from(MotionVoteUse)) or 0)


def _beside(radio: Locator, label: Locator) -> None:
    """The radio circle sits on its label's line, left of it, and the row is a tap target."""
    circle, text = radio.bounding_box(), label.bounding_box()
    assert circle is not None and text is not None
    middle = circle["y"] + circle["height"] / 2
    assert text["y"] <= middle <= text["y"] + text["height"], (circle, text)
    assert circle["x"] + circle["width"] <= text["x"]
    assert text["height"] >= 44


def test_a_villager_checks_in_reads_the_compact_and_votes_once(
    page: Page, assembly_hall: Hall
) -> None:
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    page.goto(assembly_hall.link)  # what scanning the slip's QR code opens
    assert f"{VILLAGER}，您好" in page.inner_text("main"), assembly_hall.log()
    expect(page.locator("#nothing-to-do")).to_have_count(0)
    page.get_by_role("link", name="签到：村民会议").click()
    page.get_by_role("button", name="确认签到").click()
    expect(page.locator("#checked-in")).to_contain_text("已签到")
    expect(page.locator("#checked-in")).to_contain_text(
        utcnow().astimezone(CHINA_TIME).strftime("%H:")
    )

    page.get_by_role("link", name="返回").click()
    expect(page.locator(".checked-in")).to_contain_text("已签到")
    expect(page.get_by_role("link", name="签到：村民会议")).to_have_count(0)
    expect(page.locator("#nothing-to-do")).to_have_count(0)

    page.get_by_role("link", name=f"表决：表决通过{WORDS}").click()
    main = page.locator("main")
    expect(main).to_contain_text(f"表决通过{WORDS}")
    assert "compact_version" not in main.inner_text()
    ballot_url = page.url
    page.locator("#version-text").click()  # same tab: the version's public text
    expect(page.locator("h1")).to_have_text(TITLE)
    assert page.url.startswith(
        f"{assembly_hall.base_url}/public/compacts/versions/{assembly_hall.voted_version_id}"
    )
    page.locator("#back-to-ballot").click()
    assert page.url == ballot_url

    for choice in ("同意", "不同意", "弃权"):
        _beside(
            page.get_by_role("radio", name=choice, exact=True),
            page.get_by_text(choice, exact=True),
        )
    assert int(page.evaluate("document.documentElement.scrollWidth")) <= PHONE_WIDTH
    screenshot(page, "villager-compact-ballot-360")

    # A second tab holds the confirmation too, as when a person presses twice.
    again = page.context.new_page()
    again.goto(ballot_url)
    again.get_by_label("同意", exact=True).check()
    again.get_by_role("button", name="下一步").click()

    page.get_by_label("同意", exact=True).check()
    page.get_by_role("button", name="下一步").click()
    expect(page.locator("main")).to_contain_text(WORDS)
    page.get_by_role("button", name="确认投票").click()
    expect(page.locator("h1")).to_have_text("已投票")
    assert _votes_stored(assembly_hall.url) == 1

    again.get_by_role("button", name="确认投票").click()  # the repeat submission
    expect(again.locator("#already-voted")).to_contain_text("您已经投过票了，这一票已经记下")
    assert "没有保存" not in again.inner_text("main")
    assert _votes_stored(assembly_hall.url) == 1

    page.goto(ballot_url)  # reopening the ballot after voting
    expect(page.locator("#already-voted")).to_contain_text("您已经投过票了，这一票已经记下")
    assert "没有保存" not in page.inner_text("main")
    assert page.get_by_role("button", name="下一步").count() == 0
    assert scripts == []


def test_a_slip_with_nothing_at_its_assembly_says_so(page: Page, assembly_hall: Hall) -> None:
    page.goto(assembly_hall.idle_link)
    expect(page.locator("#nothing-to-do")).to_contain_text("这次大会没有您可以投的票")


def test_the_organizer_sees_the_version_in_words_and_the_households_by_name(
    browser: Browser, assembly_hall: Hall
) -> None:
    desk = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    try:
        page = desk.new_page()
        base = assembly_hall.base_url
        sign_in_at(page, base, "organizer", PASSWORD)
        page.goto(f"{base}/meetings/{assembly_hall.meeting_id}")
        expect(page.locator(".agenda .version-name")).to_have_text(f"版本：{WORDS}")
        assert "compact_version" not in page.inner_text("main")
        page.goto(f"{base}/meetings/items/{assembly_hall.item_id}/votes")
        expect(page.locator("#version-name")).to_contain_text(WORDS)
        assert "compact_version" not in page.inner_text("main")
        page.goto(f"{base}/compacts/versions/{assembly_hall.voted_version_id}/adoption")
        expect(page.locator(".motion-text")).to_have_text(f"表决通过{WORDS}")
        assert "compact_version" not in page.inner_text("main")
        page.goto(f"{base}/compacts/versions/{assembly_hall.published_version_id}/delivery")
        row = page.locator("main label, main li.card").filter(has_text="001 户").first
        expect(row).to_contain_text(f"001 户 · {VILLAGER} · 柳溪村1组1号")
        expect(row.locator(".household-name")).to_have_text(VILLAGER)
        screenshot(page, "compact-delivery-1280")
    finally:
        desk.close()
