"""Slips printed before the slips package existed still open after it.

The literals below were computed by the code as it stood in ballots/credentials.py
before the move (`git show HEAD:ballots/credentials.py`), for the fixed secret key,
slip id and nonce here. They are paper in villagers' hands: if this test fails, every
slip already printed has stopped opening.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from starlette.datastructures import Secret

from app.db import utcnow
from app.settings import Settings
from slips.links import sha256, slip_secret, slip_short_code, slip_token
from slips.models import Assembly, Slip
from slips.services import resolve_short_code, resolve_slip
from tests import factories
from tests.conftest import post_form

SECRET_KEY = "test-secret-key-for-slip-links"
SLIP_ID = 4242
NONCE = "00112233445566778899aabbccddeeff"
# Computed by the code before the move, for the three values above.
OLD_TOKEN = "4242.wJrEtNniQ609TuRj.6v-0Hi_2-c9rnvpp1R01-IEMXqY"
OLD_SECRET = "wJrEtNniQ609TuRj"
OLD_CODE = "ESPM-Y1Z4"
OLD_CODE_HASH = "874fbaf93cae8f618096857bd8be13107f4b6e323ebe36cd577d14c460458091"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(database_url=database_url, secret_key=Secret(SECRET_KEY), data_dir=tmp_path)


@pytest.fixture
def printed(db):
    """A slip as the old code issued it: only the nonce and the two hashes are stored."""
    village = factories.VillageFactory()
    household = factories.HouseholdFactory(village_id=village.id)
    holder = factories.PersonFactory(household=household, name="王秀英")
    assembly = Assembly(
        village_id=village.id,
        title="换届选举大会",
        held_on=utcnow().date(),
        place="村委会礼堂",
        links_expire_at=utcnow() + timedelta(hours=6),
    )
    db.add(assembly)
    db.flush()
    slip = Slip(
        id=SLIP_ID,
        assembly_id=assembly.id,
        person_id=holder.id,
        nonce=NONCE,
        secret_hash=sha256(OLD_SECRET),
        short_code_hash=OLD_CODE_HASH,
        issued_at=utcnow(),
        revoked_reason="",
    )
    db.add(slip)
    db.flush()
    return slip, holder


def test_the_new_code_derives_the_old_link_and_code(settings, printed):
    slip, _holder = printed
    assert slip_secret(settings, slip) == OLD_SECRET
    assert slip_token(settings, slip) == OLD_TOKEN
    assert slip_short_code(settings, slip) == OLD_CODE


def test_an_old_link_opens_the_slip_page(client, printed):
    _slip, holder = printed
    response = client.get(f"/s/{OLD_TOKEN}")
    assert response.status_code == 200
    assert holder.name in response.text
    assert "换届选举大会" in response.text


def test_an_old_typed_code_opens_the_same_slip(client, db, settings, printed):
    slip, holder = printed
    assert resolve_slip(db, settings, OLD_TOKEN).slip.id == slip.id
    assert resolve_short_code(db, settings, OLD_CODE, "127.0.0.1").slip.id == slip.id
    response = post_form(client, "/s", {"code": OLD_CODE.lower().replace("-", " ")})
    assert response.status_code == 303
    assert response.headers["location"] == f"/s/{OLD_TOKEN}"
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    assert holder.name in page.text
