"""A group-leader round as the organizer sees it at 1,280 px: the members and households come
from the group's roll (nothing to type), a presence below the ballots cast is refused beside
its field, the quorum verdict says why, and the public results show the figures the rule was
measured against, with the turnout by channel (issue 18)."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from app.accounts.models import StaffUser
from app.actors import actor_for
from ballots.models import Channel, Round
from ballots.results import certification as results_certify
from ballots.results import services as results
from tests import factories
from tests.app.helpers import fresh_migrated_database
from tests.ballots.results_support import ELECTION_DAY, make_poll
from tests.browser.conftest import screenshot, sign_in_at
from tests.browser.server import committed_session, running_app

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class GroupRound:
    base_url: str
    database_url: str
    key: str
    tmp: Path
    round_id: int
    election_id: int
    organizer: str


@pytest.fixture(scope="module")
def group_round(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GroupRound]:
    tmp = tmp_path_factory.mktemp("group-round")
    key = secrets.token_hex(32)
    with fresh_migrated_database(tmp, "group_round") as url:
        with committed_session(url, key, tmp) as (session, _settings):
            # A group of 6 adults in 6 households; 4 vote, one of them at the mobile box.
            poll = make_poll(session, voters=6, profile="group-meeting", groups=1)
            poll.votes([["甲"]] * 3)
            poll.vote(poll.entries[3], ["甲"], Channel.MOBILE)
            tellers = [poll.teller(f"监票人{n}") for n in range(2)]
            results_certify.set_tellers(session, poll.actor, poll.round, [t.id for t in tellers])
            results.close_voting(session, poll.actor, poll.round, ELECTION_DAY)
            made = GroupRound(
                "", url, key, tmp, poll.round.id, poll.election.id, poll.organizer.username
            )
        with running_app(url, tmp, key, ready_path="/signin") as app:
            yield GroupRound(
                app.base_url,
                url,
                key,
                tmp,
                made.round_id,
                made.election_id,
                made.organizer,
            )


def _sign_in(page: Page, server: GroupRound) -> None:
    sign_in_at(page, server.base_url, server.organizer, factories.PASSWORD)


def test_the_quorum_comes_from_the_roll_and_the_public_sees_its_figures(
    browser: Browser, group_round: GroupRound
) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        _sign_in(page, group_round)
        page.goto(f"{group_round.base_url}/rounds/{group_round.round_id}")
        section = page.locator("#attendance")
        expect(section).to_contain_text("本组选民名单计算：6 人，6 户")
        expect(section.locator("input[name=members]")).to_have_count(0)

        section.get_by_label("实到人数（会场清点）").fill("3")
        section.get_by_role("button", name="保存到会人数").click()
        error = page.locator("#attendance #e-present")
        expect(error).to_be_visible()
        expect(error).to_contain_text("已经有 4 人投了票，实到人数不能少于 4")
        expect(page.locator("#f-present")).to_have_value("3")

        page.locator("#f-present").fill("4")
        page.locator("#attendance").get_by_role("button", name="保存到会人数").click()
        verdict = page.locator("#attendance p.good")
        expect(verdict).to_contain_text("法定人数已达到")
        expect(verdict).to_contain_text("实到 4 人；至少要到 4 人")
        screenshot(page, "group-round-quorum")

        with committed_session(group_round.database_url, group_round.key, group_round.tmp) as (
            session,
            _settings,
        ):
            round_ = session.get(Round, group_round.round_id)
            organizer = session.scalar(
                select(StaffUser).where(StaffUser.username == group_round.organizer)
            )
            assert round_ is not None and organizer is not None
            results.announce(session, actor_for(organizer), round_, ELECTION_DAY)

        public = context.new_page()
        public.goto(f"{group_round.base_url}/public/elections/{group_round.election_id}/results")
        card = public.locator("section.card").first
        expect(card).to_contain_text("本组选民名单上 6 人，实到 4 人")
        expect(card).to_contain_text("法定人数已达到")
        figures = card.locator("dl.channels")
        expect(figures).to_contain_text("参加投票")
        pairs = dict(
            zip(
                figures.locator("dt").all_inner_texts(),
                figures.locator("dd").all_inner_texts(),
                strict=True,
            )
        )
        assert pairs == {
            "登记选民": "6",
            "参加投票": "4",
            "扫码投票": "3",
            "纸质选票": "0",
            "流动票箱": "1",
            "委托投票": "0",
        }
        screenshot(public, "group-round-public")
    finally:
        context.close()


def test_the_stage_bar_numbers_its_steps_without_overlapping_them(
    browser: Browser, group_round: GroupRound
) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        _sign_in(page, group_round)
        page.goto(f"{group_round.base_url}/elections/{group_round.election_id}")
        steps = page.locator("ol.stages li")
        boxes = [steps.nth(i).bounding_box() for i in range(steps.count())]
        assert len(boxes) >= 8 and all(boxes)
        for left, right in itertools.pairwise(boxes):
            assert left is not None and right is not None
            same_line = abs(left["y"] - right["y"]) < 4
            assert not same_line or left["x"] + left["width"] <= right["x"], "steps overlap"
        numbers = page.eval_on_selector_all(
            "ol.stages li", "ls => ls.map(l => getComputedStyle(l, '::before').content)"
        )
        # Each number is drawn inside its own step's box, not as a marker hanging outside it.
        assert set(numbers) == {'counter(stage) ". "'}
        assert (
            page.eval_on_selector("ol.stages", "o => getComputedStyle(o).listStyleType") == "none"
        )
        screenshot(page, "election-stage-bar")
    finally:
        context.close()
