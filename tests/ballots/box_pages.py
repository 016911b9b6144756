"""An election round's sealed box through the staff pages, for page tests.

A named teller sets a box password on the round page; at the count, tellers type their
box passwords on the round page to open the box. The holders of a box made by
tests.sealed_box_support have the passwords `password_of(i)` and sign in with
tests.factories.PASSWORD.
"""

from __future__ import annotations

from collections.abc import Mapping

from httpx2 import Response
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.sealed_box import services as sealed_box
from app.sealed_box.forms import opening_field
from tests.app.helpers import signed_in
from tests.conftest import post_form
from tests.sealed_box_support import box_holders, password_of


def round_path(app: Starlette, round_id: int, name: str = "ballots:round") -> str:
    return str(app.url_path_for(name, round_id=round_id))


def set_box_password(
    app: Starlette, client: TestClient, round_id: int, password: str, confirm: str | None = None
) -> Response:
    """The signed-in teller sets their box password on the round page."""
    return post_form(
        client,
        round_path(app, round_id, "ballots:box_password"),
        {
            "box_password": password,
            "box_password_confirm": password if confirm is None else confirm,
        },
        page=round_path(app, round_id),
    )


def open_box(
    app: Starlette, client: TestClient, round_id: int, passwords: Mapping[int, str]
) -> Response:
    """Tellers type their box passwords ({holder id: password}) on the round page."""
    return post_form(
        client,
        round_path(app, round_id, "ballots:open_box"),
        {opening_field(holder_id): password for holder_id, password in passwords.items()},
        page=round_path(app, round_id),
    )


def open_as_tellers(app: Starlette, db: Session, round_id: int, openers: int = 2) -> TestClient:
    """The first teller signs in and `openers` of the round's tellers type their box
    passwords on the round page; returns the signed-in teller's browser."""
    holders = box_holders(db, sealed_box.ELECTION_ROUND, round_id)
    teller = signed_in(app, holders[0])
    passwords = {holder.id: password_of(i) for i, holder in enumerate(holders[:openers])}
    opened = open_box(app, teller, round_id, passwords)
    assert opened.status_code == 303, opened.text
    return teller
