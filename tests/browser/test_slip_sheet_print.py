"""The slip sheet as it comes off the printer (issue 13, "Paper"): Chromium prints it to A4,
the words are read back with their boxes and every QR code is decoded from a 150 dpi
raster. No name, code or hint is cut or spills into the next slip; namesakes of one
household get slips that differ; every code on a 3,000-slip sheet decodes to its link.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from app.actors import Actor
from app.permissions import Role
from app.registry.models import Person
from slips.links import slip_short_code, slip_token
from slips.services import issue_slips
from tests import factories
from tests.app.helpers import fresh_migrated_database
from tests.ballots import factories_elections as fe
from tests.browser.conftest import ARTIFACTS, sign_in_at
from tests.browser.printing import (
    Region,
    clipped_in_print,
    decode_regions,
    print_to_pdf,
    require_tools,
    words_off_the_page,
)
from tests.browser.server import committed_session, running_app
from tests.conftest import TEST_DATABASE

pytestmark = pytest.mark.browser

# The address phones would open: printed in the codes, never visited (TEST-NET-1).
PUBLIC_HOST = "192.0.2.10"
MM = 72 / 25.4  # PDF points per millimetre
LONG_NAMES = ("欧阳娜娜娜娜", "阿卜杜热合曼·买买提", "司马相如", "李", "诸葛孔明明")


@dataclass(frozen=True)
class Printed:
    name: str
    code: str
    token: str


@dataclass(frozen=True)
class Sheet:
    base_url: str
    sheet_path: str
    organizer: str
    public_prefix: str  # what every link starts with: the public address
    slips: list[Printed]


def _seed(session, settings, many: int):  # type: ignore[no-untyped-def]
    """A village with two groups and an assembly whose slips are issued: long names, one
    character names, two 马浩然 in household 016; or `many` plain villagers."""
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    assembly = fe.assembly(session, village, title="换届选举大会")
    first = factories.GroupFactory(village_id=village.id, name="第一村民小组")
    second = factories.GroupFactory(village_id=village.id, name="第二村民小组")
    if many:
        fe.many_adults(session, village, many)
    else:
        for index, name in enumerate(LONG_NAMES):
            (person,) = fe.adults(village, 1, group_id=(first if index % 2 else second).id)
            person.name = name
        household = factories.HouseholdFactory(village_id=village.id, number="016")
        for year in (1958, 1990):
            person = factories.PersonFactory(household=household, name="马浩然", birth_year=year)
            factories.MembershipFactory(person_id=person.id, group_id=first.id)
        fe.adults(village, 14, group_id=second.id)
    session.flush()
    issued = issue_slips(session, Actor(label="test"), assembly, settings=settings)
    slips = [
        Printed(
            session.get(Person, slip.person_id).name,
            slip_short_code(settings, slip),
            slip_token(settings, slip),
        )
        for slip in issued
    ]
    return f"/assemblies/{assembly.id}/slips/sheet", organizer.username, slips


@contextmanager
def _sheet_server(tmp: Path, many: int = 0) -> Iterator[Sheet]:
    key = secrets.token_hex(32)
    with fresh_migrated_database(tmp, "sheet") as url:
        with committed_session(url, key, tmp) as (session, settings):
            path, organizer, slips = _seed(session, settings, many)
        with running_app(url, tmp, key, ready_path="/signin", public_host=PUBLIC_HOST) as app:
            prefix = f"http://{PUBLIC_HOST}:{app.port}/s/"
            yield Sheet(app.base_url, path, organizer, prefix, slips)


@pytest.fixture(scope="module")
def sheet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sheet]:
    require_tools()
    with _sheet_server(tmp_path_factory.mktemp("sheet")) as made:
        yield made


def _printed_sheet(browser: Browser, sheet: Sheet, tmp: Path, name: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    sign_in_at(page, sheet.base_url, sheet.organizer, factories.PASSWORD)
    printed = print_to_pdf(page, sheet.base_url + sheet.sheet_path, tmp / f"{name}.pdf")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}-{TEST_DATABASE}.pdf").write_bytes(printed.path.read_bytes())
    return context, page, printed


def _decoded_slip_by_slip(printed, sheet: Sheet, tmp: Path) -> list[str]:  # type: ignore[no-untyped-def]
    """Each slip cut out as it is handed over (the QR code above-left of its short code)
    and read by zbar: the problems, none when every slip's code holds its own link."""
    regions, links = [], []
    for slip in sheet.slips:
        (code,) = printed.find(slip.code)
        regions.append(
            Region(code.page, code.x0 - 4 * MM, code.y0 - 40 * MM, code.x0 + 40 * MM, code.y0)
        )
        links.append(sheet.public_prefix + slip.token)
    decoded = decode_regions(printed, regions, tmp)
    return [
        f"{slip.name} {slip.code}: read {found}"
        for slip, link, found in zip(sheet.slips, links, decoded, strict=True)
        if found != [link]
    ]


def test_every_slip_prints_whole_and_its_code_decodes(
    browser: Browser, sheet: Sheet, tmp_path: Path
) -> None:
    context, page, printed = _printed_sheet(browser, sheet, tmp_path, "slip-sheet")
    try:
        assert clipped_in_print(page, "li.slip") == []
    finally:
        context.close()
    assert words_off_the_page(printed) == []
    for slip in sheet.slips:
        (code,) = printed.find(slip.code)  # once, whole, on one line
        # The name sits above its own code, in the same slip: same page and column, within
        # a slip's height above the code, and whole (it may wrap, never lose a character).
        above = "".join(
            w.text
            for w in printed.words
            if w.page == code.page
            and code.x0 - MM <= w.x0 < code.x0 + 60 * MM
            and code.y0 - 45 * MM < w.y0 < code.y0
        )
        assert slip.name in above, f"{slip.name} is not printed whole above {slip.code}: {above}"
    text = printed.text()
    assert text.count("用手机扫码打开；扫不了就在") == len(sheet.slips)
    assert text.count("输入上面的号码") == len(sheet.slips)  # the hint's end is on paper
    assert "扫码投票" not in text
    assert text.count("1958年生") == 1 and text.count("1990年生") == 1
    assert _decoded_slip_by_slip(printed, sheet, tmp_path) == []


# axe-core takes 15 s over 3,000 slips; the same sheet of a few slips is checked above.
@pytest.mark.axe_unchecked("the sheet's markup is checked on the small sheet above")
def test_a_sheet_of_3000_slips_decodes_to_the_last_code(browser: Browser, tmp_path: Path) -> None:
    if TEST_DATABASE != "sqlite":
        pytest.skip("SQLite only: what prints does not depend on the database (both run above)")
    require_tools()
    with _sheet_server(tmp_path, many=3000) as big:
        context, _page, printed = _printed_sheet(browser, big, tmp_path, "slip-sheet-3000")
        context.close()
    assert _decoded_slip_by_slip(printed, big, tmp_path) == []
