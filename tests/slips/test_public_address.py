"""The links QR codes carry are on the address phones open (issue 13, "Phones on the village
network"): CUNYI_PUBLIC_URL when set; a slip sheet reached through a loopback address
refuses to print slips no phone could open and says how to fix it; the assembly page has a
"test your link" code for the organizer's own phone."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from app.actors import Actor
from app.db import Database
from app.main import create_app
from app.permissions import Role
from slips.services import issue_slips
from tests import factories
from tests.ballots import factories_elections as fe
from tests.conftest import sign_in
from tests.html import soup

ON_THE_LAPTOP = "http://127.0.0.1:8000"
PUBLIC = "http://192.168.43.1:8000"


@pytest.fixture
def scene(db, settings):  # type: ignore[no-untyped-def]
    village = factories.VillageFactory()
    organizer = factories.staff(Role.ORGANIZER, village)
    assembly = fe.assembly(db, village)
    fe.adults(village, 2)
    issue_slips(db, Actor(label="test"), assembly, settings=settings)
    return assembly, organizer


def _browser(settings, engine, connection, base_url: str, **overrides) -> TestClient:  # type: ignore[no-untyped-def]
    database = Database(engine)
    database.bind_to_connection(connection)
    app = create_app(settings.with_overrides(**overrides), database=database)
    return TestClient(app, base_url=base_url, follow_redirects=False)


def test_a_sheet_opened_on_the_laptop_itself_prints_no_slip_and_says_how_to_fix_it(
    scene, settings, engine, connection
):
    assembly, organizer = scene
    browser = _browser(settings, engine, connection, ON_THE_LAPTOP)
    sign_in(browser, organizer.username)
    sheet = soup(browser.get(f"/assemblies/{assembly.id}/slips/sheet").text)
    warning = sheet.select_one(".loopback-warning").get_text(" ", strip=True)
    assert "http://127.0.0.1:8000/s" in warning and "只有这台电脑能打开" in warning
    assert "cunyi serve --lan" in warning and "CUNYI_PUBLIC_URL" in warning
    assert sheet.select("li.slip") == []
    # Printing anyway, for a try on this machine, keeps the warning on the paper.
    anyway = sheet.select_one(".loopback-warning a")["href"]
    printed = soup(browser.get(anyway).text)
    assert len(printed.select("li.slip")) == 2
    assert printed.select_one(".loopback-warning") is not None
    page = soup(browser.get(f"/assemblies/{assembly.id}").text)
    check = page.select_one("section.link-check")
    assert "纸条也不能打印" in check.get_text() and check.select_one("svg.qr") is not None


def test_the_public_address_is_what_every_printed_link_carries(scene, settings, engine, connection):
    assembly, organizer = scene
    browser = _browser(settings, engine, connection, ON_THE_LAPTOP, public_url=PUBLIC)
    sign_in(browser, organizer.username)
    sheet = soup(browser.get(f"/assemblies/{assembly.id}/slips/sheet").text)
    assert sheet.select_one(".loopback-warning") is None
    hints = {h.get_text(strip=True) for h in sheet.select(".slip-hint")}
    assert hints == {f"用手机扫码打开；扫不了就在 {PUBLIC}/s 输入上面的号码"}
    check = soup(browser.get(f"/assemblies/{assembly.id}").text).select_one("section.link-check")
    assert check.select_one("p.code").get_text(strip=True) == f"{PUBLIC}/link-check"
    # What the organizer's phone opens when it scans the test code.
    landed = soup(browser.get("/link-check").text)
    assert landed.select_one("h1").get_text(strip=True) == "手机能打开村议"
    assert f"{PUBLIC}/s" in landed.get_text()
