"""The township's list of filings waiting for an answer (issue 14, "Roles and the township"):
the admin finds every village's filing in one place, from the home page, and cannot answer
a filing they submitted themselves."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.actors import actor_for
from app.permissions import Role
from compacts.adoption import services as adoption
from compacts.exceptions import FilingRefused
from compacts.models import FilingDecision, Version
from tests import factories
from tests.compacts.adoption_support import Book, adopt, book, version
from tests.conftest import post_form, sign_in
from tests.html import soup


def _filed(db: Session, b: Book, number: int, at: datetime, by=None) -> Version:
    v = version(db, b, number)
    adopt(db, b, v, "{}")
    filing = adoption.submit_filing(db, by or b.actor, v)
    filing.submitted_at = at
    db.flush()
    return v


def _rows(html: str) -> list[list[str]]:
    return [
        [" ".join(cell.get_text().split()) for cell in row.select("th, td")]
        for row in soup(html).select("main table tbody tr")
    ]


def test_the_township_admin_finds_every_waiting_filing_from_home(
    db: Session, client: TestClient
) -> None:
    first, second = book(db), book(db)
    second.village.township_id = first.village.township_id
    db.flush()
    elsewhere = book(db)  # another township's village
    newer = _filed(db, first, 1, datetime(2026, 11, 20, 2, tzinfo=UTC))
    older = _filed(db, second, 1, datetime(2026, 11, 10, 2, tzinfo=UTC))
    _filed(db, elsewhere, 1, datetime(2026, 11, 1, 2, tzinfo=UTC))
    admin = factories.staff(Role.TOWNSHIP_ADMIN, first.village)
    sign_in(client, admin.username)

    home = soup(client.get("/").text)
    task = next(li for li in home.select("li") if "份村规民约备案等您答复" in li.get_text())
    assert "2 份村规民约备案等您答复" in task.get_text()
    listing = client.get(task.select_one("a")["href"])
    assert listing.status_code == 200
    rows = _rows(listing.text)
    assert [row[0] for row in rows] == [second.village.name, first.village.name]  # oldest first
    assert rows[0][1] == "村规民约 第 1 版" and rows[0][3] == "2026-11-10"
    links = [a["href"] for a in soup(listing.text).select("main table a")]
    assert links == [
        f"/compacts/versions/{older.id}/adoption",
        f"/compacts/versions/{newer.id}/adoption",
    ]

    page = links[0]
    answered = post_form(
        client, page.replace("adoption", "filing/decide"), {"decision": "acknowledged"}, page=page
    )
    assert answered.status_code == 303
    assert [row[0] for row in _rows(client.get("/township/filings").text)] == [first.village.name]


def test_nobody_answers_their_own_filing(db: Session, client: TestClient) -> None:
    b = book(db)
    admin = factories.staff(Role.TOWNSHIP_ADMIN, b.village)
    v = _filed(db, b, 1, datetime(2026, 11, 20, 2, tzinfo=UTC), by=actor_for(admin))
    filing = adoption.pending_filing(db, v)
    assert filing is not None
    with pytest.raises(FilingRefused, match="不能由您自己答复"):
        adoption.decide_filing(db, actor_for(admin), filing, FilingDecision.ACKNOWLEDGED)
    assert filing.decision is None

    sign_in(client, admin.username)
    (row,) = _rows(client.get("/township/filings").text)
    assert row[-1] == "您报送的，请另一位工作人员答复"
    assert "备案等您答复" not in client.get("/").text
    page = f"/compacts/versions/{v.id}/adoption"
    refused = post_form(
        client, f"/compacts/versions/{v.id}/filing/decide", {"decision": "acknowledged"}, page=page
    )
    assert refused.status_code == 422  # on the adoption page, beside its form
    assert "不能由您自己答复" in refused.text


def test_the_list_is_empty_and_says_so(client: TestClient, db: Session) -> None:
    admin = factories.staff(Role.TOWNSHIP_ADMIN, book(db).village)
    sign_in(client, admin.username)
    page = soup(client.get("/township/filings").text)
    assert page.select_one("p.empty").get_text(strip=True).startswith("没有等待答复的备案")
