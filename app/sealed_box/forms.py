"""Reading the box forms: a holder's new box password, and the passwords typed to open it."""

from __future__ import annotations

from collections.abc import Callable

from app.sealed_box.services import BoxStatus


def opening_field(holder_id: int) -> str:
    """The name of the password field of one holder on the opening form."""
    return f"open_{holder_id}"


def opening_passwords(box: BoxStatus, secret_field: Callable[[str], str]) -> dict[int, str]:
    """{holder id: password typed} for every holder who may open the box."""
    return {h.holder_id: secret_field(opening_field(h.holder_id)) for h in box.openers}
