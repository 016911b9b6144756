"""Issue 13, "accessibility, measured": axe-core (WCAG 2.1 A/AA) finds nothing on the
villagers' pages at a 360 px phone and at 200 % zoom on it (180 CSS px), nor on the staff
pages at a 1,280 px desk and at 200 % zoom on it (640 CSS px); no page scrolls sideways.

One server holds the demo township (a year of elections, meetings, a compact, surveys)
and, beside it, what a villager meets while things are open: an election open for voting,
a meeting open with a QR motion, a compact's open deliberation round and an open survey,
each with a slip. A villager walks every page state through the slip links as a person
does (wrong entries included: the error states are page states too); the staff pages are
found by following the links from each role's home page, one page per kind of address.
Each state is checked once per width (tests/browser/axe.py); the width change reflows the
same page, so nothing is loaded twice.

The other tests read what the issue names, as a person would: a 刷新 link and no timed
reload on the live pages, tables in named, focusable regions that the arrow keys scroll,
errors that the control's description reads out beside its hint, and the rest.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from app.actors import SYSTEM
from app.demo import build_demo
from app.permissions import Role
from app.registry.models import Village
from slips.links import slip_token
from slips.services import issue_slips
from tests import factories
from tests.app.helpers import fresh_migrated_database
from tests.ballots import factories_elections as fe
from tests.browser.axe import PageStates, Violation, describe
from tests.browser.conftest import sign_in_at
from tests.browser.server import committed_session, running_app
from tests.compacts.rounds_support import open_round
from tests.compacts.rounds_support import setting as compact_setting
from tests.meetings.votes_support import hall, motion
from tests.surveys.support import open_survey
from tests.surveys.support import setting as survey_setting

pytestmark = pytest.mark.browser

PHONE, PHONE_ZOOMED = 360, 180  # a villager's phone, and the same at 200 % zoom
DESK, DESK_ZOOMED = 1280, 640  # a staff desk, and the same at 200 % zoom
ELECTION_TITLE = "2026年桃源村计划生育协会会长选举（第一轮投票）"
# Links the crawl does not follow: another language, downloads, the JSON API, the
# projector's event stream, villagers' slip links (walked by the villager test).
NOT_FOLLOWED = re.compile(
    r"^/(language|api/|s/|s$|link-check)|/events$|\.(csv|xlsx|json)$|/csv$|/xlsx$|/export"
)


@dataclass(frozen=True)
class Site:
    base_url: str
    signins: dict[str, tuple[str, str]]  # who: (username, password)
    links: dict[str, str]  # the villagers' slip links: vote, meeting, compact, survey
    paths: dict[str, list[str]]  # who: the live pages only they reach (turnout, ...)

    def url(self, path: str) -> str:
        return self.base_url + path


Seeded = tuple[dict[str, tuple[str, str]], dict[str, str], dict[str, list[str]]]


def _seed(url: str, key: str, tmp: Path) -> Seeded:
    with committed_session(url, key, tmp) as (session, settings):
        demo = build_demo(session, settings)
        signins = {
            "admin": next((s.username, s.password) for s in demo if s.role is Role.TOWNSHIP_ADMIN),
            "organizer": next(
                (s.username, s.password)
                for s in demo
                if s.role is Role.ORGANIZER and s.village == "桃源村"
            ),
        }
        v = fe.voting(session, voters=3)
        v.election.title = ELECTION_TITLE
        (vote_slip,) = issue_slips(session, SYSTEM, v.assembly, [v.people[0].id], settings=settings)
        h = hall(session, 3)
        motion(session, h.item)
        (hall_slip,) = issue_slips(session, SYSTEM, h.assembly, [h.people[0].id], settings=settings)
        c = compact_setting(session, settings)
        open_round(session, c)
        s = survey_setting(session, settings)
        survey = open_survey(session, s)
        signins["voting"] = (v.organizer.username, factories.PASSWORD)
        signins["meeting"] = (h.organizer.username, factories.PASSWORD)
        signins["survey"] = (s.organizer.username, factories.PASSWORD)
        links = {
            "vote": "/s/" + slip_token(settings, vote_slip),
            "meeting": "/s/" + slip_token(settings, hall_slip),
            "compact": "/s/" + c.tokens[1],
            "survey": "/s/" + s.tokens[s.adults[0].id],
        }
        paths = {
            "voting": [f"/rounds/{v.round.id}/turnout", f"/rounds/{v.round.id}"],
            "meeting": [
                f"/meetings/{h.meeting.id}/attendance/live",
                f"/meetings/{h.meeting.id}/projector",
                f"/meetings/{h.meeting.id}",
            ],
            "survey": [f"/surveys/{survey.id}"],
        }
        village = session.scalars(select(Village).where(Village.name == "桃源村")).one()
        paths["election_new"] = [f"/villages/{village.id}/elections/new"]
        return signins, links, paths


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("a11y")
    key = secrets.token_hex(32)
    with fresh_migrated_database(tmp, "a11y") as url:
        signins, links, paths = _seed(url, key, tmp)
        with running_app(url, tmp, key, ready_path="/signin") as app:
            yield Site(app.base_url, signins, links, paths)


def _context(browser: Browser, width: int, **options: object) -> BrowserContext:
    context = browser.new_context(
        locale="zh-CN", viewport={"width": width, "height": 2 * width}, **options
    )
    context.set_default_timeout(15_000)
    return context


def _scrolls_sideways(page: Page) -> int:
    """How many CSS pixels the page is wider than the window (0: it fits)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


# The innermost elements that reach past the window's right edge, for the message.
_STICKING_OUT = """() => [...document.body.querySelectorAll("*")]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
    && ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1))
  .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : "")
    + " «" + e.textContent.trim().slice(0, 30) + "»")"""


# What a screen reader's list of headings shows wrong: a level skipped on the way down
# (h1 then h3), a section of the page without a heading to find it by.
_OUTLINE = """() => {
  const problems = [];
  let level = 0;
  for (const h of document.querySelectorAll("main h1, main h2, main h3, main h4, main h5, main h6")) {
    const next = Number(h.tagName[1]);
    if (next > level + 1) problems.push(`h${next} after h${level}: «${h.textContent.trim().slice(0, 30)}»`);
    level = next;
  }
  for (const s of document.querySelectorAll("main section")) {
    if (!s.hidden && !s.querySelector("h1, h2, h3, h4, h5, h6") && !s.getAttribute("aria-label"))
      problems.push(`a section without a heading: ${s.id || s.className}`);
  }
  return problems;
}"""


class Checker:
    """Checks the page state on screen at each width: axe's violations, sideways scrolling."""

    def __init__(self, states: PageStates, widths: tuple[int, int]) -> None:
        self.states, self.widths = states, widths
        self.violations: list[Violation] = []
        self.too_wide: list[str] = []
        self.outline: list[str] = []
        self.seen = 0

    def __call__(self, page: Page) -> None:
        self.seen += 1
        self.outline += [f"{page.url}: {problem}" for problem in page.evaluate(_OUTLINE)]
        for width in self.widths:
            page.set_viewport_size({"width": width, "height": 2 * width})
            self.violations += self.states.check_now(page)
            if (extra := _scrolls_sideways(page)) > 0:
                out = ", ".join(page.evaluate(_STICKING_OUT))
                self.too_wide.append(f"{page.url} at {width} px: {extra} px too wide ({out})")
        page.set_viewport_size({"width": self.widths[0], "height": 2 * self.widths[0]})

    def assert_clean(self) -> None:
        problems = describe(self.violations) if self.violations else ""
        assert not self.violations and not self.too_wide and not self.outline, "\n".join(
            [problems, *self.too_wide, *self.outline]
        )


def _submit(page: Page, name: str) -> None:
    page.get_by_role("button", name=name).first.click()
    page.wait_for_load_state()


def _read_with_its_control(page: Page, role: str, name: str | re.Pattern[str], error: str) -> None:
    """The control a person fixes reads the error out as its description, and the error
    is announced when the page opens (an alert)."""
    control = page.get_by_role(role, name=name)  # type: ignore[arg-type]
    description = control.evaluate(
        "c => (c.getAttribute('aria-describedby') || '').split(' ').filter(Boolean)"
        ".map(id => document.getElementById(id).textContent.trim()).join(' ')"
    )
    assert description and error in description, f"{name}: described as {description!r}"
    expect(page.get_by_role("alert").filter(has_text=description).first).to_be_visible()


def test_every_villager_page_state_at_360_px_and_200_percent(
    browser: Browser, site: Site, page_states: PageStates
) -> None:
    check = Checker(page_states, (PHONE, PHONE_ZOOMED))
    context = _context(browser, PHONE)
    page = context.new_page()
    try:
        with page_states.collecting(check.violations):
            # The typed-code page, and a wrong code.
            page.goto(site.url("/s"))
            check(page)
            page.get_by_label(re.compile("号码")).first.fill("0000-0000")
            _submit(page, "打开")
            check(page)
            page.goto(site.url("/s/not-a-real-link"))
            check(page)

            # Voting: the slip, the ballot, two ticks for one seat, the check, the receipt.
            page.goto(site.url(site.links["vote"]))
            check(page)
            page.get_by_role("link", name="去投票").click()
            check(page)
            for box in page.locator("input[name=mark]").all()[:2]:
                box.check()
            _submit(page, "下一步：核对")
            check(page)
            _read_with_its_control(page, "group", "候选人（在同意的人前面打勾）", "最多只能选 1 人")
            page.locator("input[name=mark]").nth(1).uncheck()
            _submit(page, "下一步：核对")
            check(page)
            _submit(page, "确认投票")
            check(page)
            page.goto(site.url(site.links["vote"]))
            check(page)

            # A meeting: check in, then the QR motion, first without a choice.
            page.goto(site.url(site.links["meeting"]))
            check(page)
            checkin = page.get_by_role("link", name=re.compile("签到"))
            if checkin.count():
                checkin.first.click()
                check(page)
                _submit(page, "签到")
                check(page)
                page.goto(site.url(site.links["meeting"]))
            page.get_by_role("link", name=re.compile("表决")).first.click()
            check(page)
            _submit(page, "下一步")
            check(page)
            _read_with_its_control(page, "group", "您的意见", "请选一项")
            page.get_by_label("同意", exact=True).check()
            _submit(page, "下一步")
            check(page)
            page.get_by_role("button", name=re.compile("确认")).first.click()
            check(page)

            # The compact: read it, an empty comment, a vote.
            page.goto(site.url(site.links["compact"]))
            check(page)
            page.get_by_role("link", name=re.compile("村规民约|征求意见")).first.click()
            check(page)
            _submit(page, "确认表态")
            check(page)
            _read_with_its_control(page, "group", re.compile("您对这一版的看法"), "")

            # The survey: nothing answered, then everything, the check, the thanks.
            page.goto(site.url(site.links["survey"]))
            check(page)
            page.get_by_role("link", name=re.compile("问卷|答题")).first.click()
            check(page)
            _submit(page, "下一步")
            check(page)
            first = page.locator("fieldset.question").first
            error = first.locator(".error").inner_text()
            assert first.get_attribute("aria-describedby") == first.locator(".error").get_attribute(
                "id"
            )
            _read_with_its_control(page, "group", re.compile(r"^1\."), error)
            for question in page.locator("fieldset.question").all():
                question.locator("input").first.check()
            _submit(page, "下一步")
            check(page)
            _submit(page, "确认提交")
            check(page)
    finally:
        context.close()
    assert check.seen >= 20
    check.assert_clean()


def _crawl(page: Page, site: Site, check: Checker, seen: set[str], limit: int = 60) -> None:
    """Follow the links from the home page, checking one page of each kind of address."""
    queue = ["/"]
    while queue and limit:
        path = queue.pop(0)
        kind = re.sub(r"\d+", "#", urlsplit(path).path)
        if kind in seen:
            continue
        seen.add(kind)
        response = page.goto(site.url(path))
        if response is None or response.status != 200:
            continue
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        limit -= 1
        check(page)
        for href in page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)"):
            address = urlsplit(urljoin(page.url, href))
            if f"{address.scheme}://{address.netloc}" != site.base_url:
                continue
            if NOT_FOLLOWED.search(address.path):
                continue
            queue.append(address.path + (f"?{address.query}" if address.query else ""))


def test_every_kind_of_staff_page_at_1280_px_and_200_percent(
    browser: Browser, site: Site, page_states: PageStates
) -> None:
    check = Checker(page_states, (DESK, DESK_ZOOMED))
    seen: set[str] = set()
    with page_states.collecting(check.violations):
        for who in ("admin", "organizer", "voting", "meeting", "survey"):
            context = _context(browser, DESK)
            page = context.new_page()
            try:
                sign_in_at(page, site.base_url, *site.signins[who])
                seen.discard("/")
                _crawl(page, site, check, seen)
                # The live states the demo's finished year does not have.
                for path in site.paths.get(who, []):
                    response = page.goto(site.url(path))
                    assert response is not None and response.status == 200, path
                    check(page)
            finally:
                context.close()
    assert check.seen >= 40, sorted(seen)
    check.assert_clean()


def _signed_in(browser: Browser, site: Site, who: str, width: int, **options: object) -> Page:
    page = _context(browser, width, **options).new_page()
    sign_in_at(page, site.base_url, *site.signins[who])
    return page


def test_live_pages_offer_a_refresh_link_and_never_reload_by_themselves(
    browser: Browser, site: Site, page_states: PageStates
) -> None:
    (turnout, _round) = site.paths["voting"]
    attendance, projector, _meeting = site.paths["meeting"]
    for who, path in (("voting", turnout), ("meeting", attendance)):
        page = _signed_in(browser, site, who, DESK)
        try:
            page.goto(site.url(path))
            assert page.locator('meta[http-equiv="refresh"]').count() == 0
            page.get_by_role("link", name="刷新", exact=True).click()
            page.wait_for_load_state()
            assert urlsplit(page.url).path == path
        finally:
            page.context.close()
    # The projector keeps itself live with its script; without script it offers the link.
    for script in (True, False):
        context = _context(browser, DESK, java_script_enabled=script)
        if not script:
            page_states.without_script(context)
        try:
            page = context.new_page()
            page.goto(site.url(projector))
            assert page.locator('meta[http-equiv="refresh"]').count() == 0
            link = page.get_by_role("link", name="刷新", exact=True)
            assert link.is_visible() is (not script)
        finally:
            context.close()


def test_wide_tables_scroll_from_the_keyboard_and_say_what_they_hold(
    browser: Browser, site: Site
) -> None:
    page = _signed_in(browser, site, "admin", DESK_ZOOMED)
    try:
        page.goto(site.url("/audit"))
        region = page.get_by_role("region", name="审计日志")
        assert region.evaluate("r => r.scrollWidth > r.clientWidth")  # it is wider than 640 px
        # Tab reaches it; the arrow key scrolls it.
        for _ in range(40):
            page.keyboard.press("Tab")
            if region.evaluate("r => r === document.activeElement"):
                break
        else:
            raise AssertionError("Tab never reaches the audit table")
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        # Chromium animates keyboard scrolling, so on a busy machine the first frames may not
        # have moved yet when the key returns: wait for the box to move (or time out and fail).
        region.element_handle().wait_for_element_state("stable")
        page.wait_for_function("r => r.scrollLeft > 0", arg=region.element_handle(), timeout=5000)
        outline = region.evaluate("r => getComputedStyle(r).outlineWidth")
        assert float(outline.removesuffix("px")) >= 3
        # Every table box on a report is a named region in the tab order.
        page.goto(site.url("/assessment"))
        boxes = page.locator("div.table-wrap")
        assert boxes.count() >= 3
        for box in boxes.all():
            assert box.get_attribute("tabindex") == "0" and box.get_attribute("role") == "region"
            caption = box.locator("caption").inner_text()
            expect(box).to_have_accessible_name(caption)
    finally:
        page.context.close()


def test_the_slip_page_fits_200_percent_zoom_with_the_whole_title(
    browser: Browser, site: Site
) -> None:
    context = _context(browser, PHONE_ZOOMED)
    try:
        page = context.new_page()
        page.goto(site.url(site.links["vote"]))
        assert _scrolls_sideways(page) == 0
        title = page.get_by_role("heading", name=ELECTION_TITLE)
        box = title.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE_ZOOMED
        assert title.evaluate("t => t.scrollWidth <= t.clientWidth")
        card = page.locator(".cards > li").first.bounding_box()
        assert card is not None and card["x"] + card["width"] <= PHONE_ZOOMED
    finally:
        context.close()


def test_a_field_error_adds_to_its_hint(browser: Browser, site: Site) -> None:
    page = _signed_in(browser, site, "organizer", DESK)
    try:
        page.goto(site.url(site.paths["election_new"][0]))
        page.get_by_role("button", name="保存").click()
        title = page.get_by_label("选举名称")
        assert title.get_attribute("aria-invalid") == "true"
        expect(title).to_have_accessible_description(re.compile("^例如：2026年计生主任选举。 .+"))
        error = page.locator("#e-title").inner_text()
        expect(title).to_have_accessible_description(f"例如：2026年计生主任选举。 {error}")
    finally:
        page.context.close()


def test_the_survey_page_keeps_its_buttons_in_the_toolbar(browser: Browser, site: Site) -> None:
    page = _signed_in(browser, site, "survey", DESK)
    try:
        page.goto(site.url(site.paths["survey"][0]))
        toolbar = page.locator(".toolbar", has=page.get_by_role("link", name="查看结果"))
        expect(toolbar.get_by_role("button", name="结束答题")).to_be_visible()
        assert page.locator("p:empty").count() == 0  # a <p> the parser closed on a <form>
    finally:
        page.context.close()


def test_pages_have_an_icon_and_red_buttons_a_thick_focus_ring(
    browser: Browser, site: Site
) -> None:
    context = _context(browser, PHONE)
    try:
        page = context.new_page()
        page.goto(site.url("/signin"))
        icon = page.locator('link[rel="icon"]').get_attribute("href")
        assert icon is not None
        response = page.request.get(site.url(icon))
        assert response.ok and response.headers["content-type"].startswith("image/svg+xml")
        page.get_by_label("用户名").fill("someone")
        page.get_by_label("密码").focus()
        page.keyboard.press("Tab")
        button = page.get_by_role("button", name="登录")
        assert button.evaluate("b => b === document.activeElement")
        ring = button.evaluate(
            "b => { const s = getComputedStyle(b); return [s.outlineStyle, s.outlineWidth]; }"
        )
        assert ring[0] == "solid" and float(ring[1].removesuffix("px")) >= 3, ring
    finally:
        context.close()
