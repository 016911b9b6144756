"""QR slips: signed links, short codes, issuing, revoking and reissuing, credentials."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.actors import Actor
from app.audit.models import AuditEntry
from app.db import utcnow
from app.qr import QUIET_ZONE, qr_matrix, qr_svg
from app.registry.models import Village
from ballots.exceptions import NotOnRoll
from ballots.models import Credential
from ballots.setup import credentials
from slips.exceptions import (
    AssemblyRefused,
    LinkExpired,
    LinkForged,
    LinkRevoked,
    LinkUnknown,
    ShortCodeThrottled,
)
from slips.links import CODE_ALPHABET, slip_secret, slip_short_code, slip_token
from slips.models import Slip
from slips.services import (
    SHORT_CODE_MAX_FAILURES,
    SHORT_CODE_PACE,
    create_assembly,
    issue_slips,
    record_code_failure,
    reserve_code_check,
    resolve_short_code,
    resolve_slip,
    revoke_and_reissue,
)
from tests import factories
from tests.ballots import factories_elections as fe

ACTOR = Actor(label="测试组织者")


def _slip(db, settings, village=None, **kw):
    village = village or factories.VillageFactory()
    meeting = fe.assembly(db, village, **kw)
    (person,) = fe.adults(village, 1)
    (slip,) = issue_slips(db, ACTOR, meeting, [person.id], settings=settings)
    return slip, person, meeting


def _audit(db, action):
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


# --- links and codes -------------------------------------------------------------------


def test_a_slip_link_opens_its_slip_and_can_be_reprinted(db, settings):
    slip, person, meeting = _slip(db, settings)
    token = slip_token(settings, slip)
    assert token == slip_token(settings, slip)  # a reprint gives the same link
    assert token.startswith(f"{slip.id}.")
    access = resolve_slip(db, settings, token)
    assert (access.slip.id, access.person.id, access.assembly.id) == (
        slip.id,
        person.id,
        meeting.id,
    )


def test_the_database_keeps_no_secret_that_opens_a_slip(db, settings):
    slip, _person, _meeting = _slip(db, settings)
    secret = slip_secret(settings, slip)
    code = slip_short_code(settings, slip)
    stored = " ".join(
        str(v) for v in (slip.nonce, slip.secret_hash, slip.short_code_hash, slip.revoked_reason)
    )
    assert secret not in stored
    assert code.replace("-", "") not in stored
    # Another installation (another secret key) cannot open this database's slips.
    other = settings.with_overrides(secret_key=type(settings.secret_key)("another-key"))
    with pytest.raises(LinkForged):
        resolve_slip(db, other, slip_token(settings, slip))


def _flip_first_signature_char(token):
    body, signature = token.rsplit(".", 1)
    flipped = "A" if signature[0] != "A" else "B"
    return f"{body}.{flipped}{signature[1:]}"


@pytest.mark.parametrize(
    "tamper",
    [
        # Signature altered. Its first character, not its last: the last base64 character
        # carries padding bits, and changing only those decodes to the same signature.
        lambda t: _flip_first_signature_char(t),
        lambda t: "9" + t,  # another slip id, same signature
        lambda t: t.rsplit(".", 1)[0],  # signature cut off (QR half scanned)
        lambda t: "x" * 300,
        lambda t: "",
    ],
)
def test_a_forged_link_is_refused_in_plain_chinese(db, settings, tamper):
    slip, _person, _meeting = _slip(db, settings)
    with pytest.raises(LinkForged) as caught:
        resolve_slip(db, settings, tamper(slip_token(settings, slip)))
    assert "二维码无法识别" in caught.value.render_message()


def test_a_signed_link_to_a_slip_that_is_not_there_is_unknown(db, settings):
    slip, _person, _meeting = _slip(db, settings)
    # Same key, same id, but the slip row was issued afresh (another database, a wipe).
    slip.nonce = "0" * 32
    with pytest.raises(LinkUnknown) as caught:
        resolve_slip(db, settings, slip_token(settings, slip))
    assert "找不到这个二维码对应的纸条" in caught.value.render_message()


def test_a_link_stops_working_when_the_assembly_links_expire(db, settings):
    slip, _person, meeting = _slip(db, settings)
    token = slip_token(settings, slip)
    just_before = meeting.links_expire_at - timedelta(seconds=1)
    assert resolve_slip(db, settings, token, now=just_before).slip.id == slip.id
    with pytest.raises(LinkExpired) as caught:
        resolve_slip(db, settings, token, now=meeting.links_expire_at)
    assert meeting.title in caught.value.render_message()
    assert "停止使用" in caught.value.render_message()


def test_short_codes_look_alike_when_typed_loosely(db, settings):
    slip, person, _meeting = _slip(db, settings)
    code = slip_short_code(settings, slip)
    assert len(code) == 9 and code[4] == "-"
    assert set(code.replace("-", "")) <= set(CODE_ALPHABET)
    typed = " " + code.lower().replace("0", "o").replace("1", "l").replace("-", " ") + " "
    found = resolve_short_code(db, settings, typed, "10.0.0.1")
    assert found.person.id == person.id


@pytest.mark.parametrize("typed", ["", "ABC", "ABCD-EFGH-J", "UUUU-UUUU"])
def test_a_wrong_code_is_unknown(db, settings, typed):
    _slip(db, settings)
    with pytest.raises(LinkUnknown) as caught:
        resolve_short_code(db, settings, typed, "10.0.0.1")
    assert "号码不对" in caught.value.render_message()


def test_typed_codes_are_throttled_per_address(db, settings):
    """Past the limit an address is slowed to one check every few seconds, never locked
    out: a villager behind the hall's shared address still gets in with the right code."""
    slip, _person, _meeting = _slip(db, settings)
    code = slip_short_code(settings, slip)
    for _ in range(SHORT_CODE_MAX_FAILURES):
        record_code_failure(db, "10.0.0.9")
    db.flush()
    with pytest.raises(ShortCodeThrottled) as caught:
        reserve_code_check(db, "10.0.0.9")
    assert "秒" in caught.value.render_message()
    # Another address is not held back.
    reserve_code_check(db, "10.0.0.10")
    assert resolve_short_code(db, settings, code).slip.id == slip.id
    # A few seconds on, the same address has its code checked, and the right one opens.
    soon = utcnow() + SHORT_CODE_PACE + timedelta(seconds=1)
    reserve_code_check(db, "10.0.0.9", soon)
    assert resolve_short_code(db, settings, code, now=soon).slip.id == slip.id


# --- issuing ---------------------------------------------------------------------------


def test_slips_go_to_every_adult_of_the_village_once(db, settings):
    village = factories.VillageFactory()
    meeting = fe.assembly(db, village, held_on=date(2026, 6, 15))
    household = factories.HouseholdFactory(village_id=village.id)
    turns_18 = factories.PersonFactory(household=household, birth_year=2008, birth_month=6)
    too_young = factories.PersonFactory(household=household, birth_year=2008, birth_month=7)
    gone = factories.PersonFactory(household=household, active=False)
    elsewhere = fe.adults(factories.VillageFactory(), 1)[0]
    adult = factories.PersonFactory(household=household)

    issued = issue_slips(db, ACTOR, meeting, settings=settings)
    assert {s.person_id for s in issued} == {turns_18.id, adult.id}
    assert not ({too_young.id, gone.id, elsewhere.id} & {s.person_id for s in issued})
    # Pressing the button again issues nothing new.
    assert issue_slips(db, ACTOR, meeting, settings=settings) == []
    entries = _audit(db, "slips.issue")
    assert [json.loads(e.summary)["issued"] for e in entries] == [2, 0]
    codes = {slip_short_code(settings, s) for s in issued}
    assert len(codes) == 2


def test_slips_for_named_people_refuse_another_villages_people(db, settings):
    village = factories.VillageFactory()
    meeting = fe.assembly(db, village)
    stranger = fe.adults(factories.VillageFactory(), 1)[0]
    with pytest.raises(AssemblyRefused) as caught:
        issue_slips(db, ACTOR, meeting, [stranger.id], settings=settings)
    assert "不是本村" in caught.value.render_message()
    assert db.scalar(select(func.count()).select_from(Slip)) == 0


def test_an_assembly_may_not_expire_before_it_is_held(db):
    village = factories.VillageFactory()
    with pytest.raises(AssemblyRefused):
        create_assembly(
            db,
            ACTOR,
            village_id=village.id,
            title="大会",
            held_on=date(2026, 6, 15),
            place="",
            links_expire_at=utcnow().replace(year=2026, month=6, day=14),
        )


# --- revoke and reissue ----------------------------------------------------------------


def test_a_lost_slip_is_revoked_and_reissued_with_an_audit_entry(db, settings):
    old, person, _meeting = _slip(db, settings)
    old_token = slip_token(settings, old)
    old_code = slip_short_code(settings, old)

    new = revoke_and_reissue(db, ACTOR, old, " 纸条丢失 ", settings=settings)

    assert new.person_id == person.id and new.replaces_id == old.id
    assert old.revoked_reason == "纸条丢失"
    with pytest.raises(LinkRevoked) as caught:
        resolve_slip(db, settings, old_token)
    assert "作废" in caught.value.render_message()
    with pytest.raises(LinkRevoked):
        resolve_short_code(db, settings, old_code, "10.0.0.1")
    new_token = slip_token(settings, new)
    assert new_token != old_token
    assert resolve_slip(db, settings, new_token).person.id == person.id
    (entry,) = _audit(db, "slip.reissue")
    assert json.loads(entry.summary) == {
        "person_id": person.id,
        "reason": "纸条丢失",
        "revoked_slip_id": old.id,
    }


def test_reissue_needs_a_reason_and_a_live_slip(db, settings):
    old, _person, _meeting = _slip(db, settings)
    with pytest.raises(AssemblyRefused) as caught:
        revoke_and_reissue(db, ACTOR, old, "  ", settings=settings)
    assert "原因" in caught.value.render_message()
    assert old.revoked_at is None
    revoke_and_reissue(db, ACTOR, old, "丢失", settings=settings)
    with pytest.raises(AssemblyRefused):
        revoke_and_reissue(db, ACTOR, old, "丢失", settings=settings)


# --- credentials -----------------------------------------------------------------------


def test_credentials_one_per_voter_on_the_roll_kept_as_hashes(db):
    v = fe.voting(db, voters=3)
    v.entries[2].struck = True
    assert credentials.ensure_credentials(db, v.election) == 2
    assert credentials.ensure_credentials(db, v.election) == 0
    made = list(db.scalars(select(Credential).where(Credential.election_id == v.election.id)))
    assert sorted(c.roll_entry_id for c in made) == sorted(e.id for e in v.entries[:2])
    assert all(len(c.secret_hash) == 64 for c in made)
    assert len({c.secret_hash for c in made}) == 2


def test_credential_for_makes_one_when_missing_and_refuses_struck_entries(db):
    v = fe.voting(db, voters=2)
    first = credentials.credential_for(db, v.election, v.entries[0])
    assert credentials.credential_for(db, v.election, v.entries[0]).id == first.id
    v.entries[1].struck = True
    with pytest.raises(NotOnRoll):
        credentials.credential_for(db, v.election, v.entries[1])
    other = fe.election(db, v.village)
    with pytest.raises(NotOnRoll):
        credentials.credential_for(db, other, v.entries[0])
    assert db.scalar(select(func.count()).select_from(Credential)) == 1


# --- the QR drawing --------------------------------------------------------------------


def _cells(path: str) -> set[tuple[int, int]]:
    """The modules an SVG path of horizontal unit strokes paints."""
    cells, x, y = set(), 0.0, 0.0
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            cells.update((int(x) + i, int(y)) for i in range(int(a)))
            x += float(a)
    return cells


@pytest.mark.parametrize("best_mask", [False, True])
def test_the_qr_drawing_paints_exactly_the_dark_modules(best_mask):
    link = "https://cunyi.example.cn/s/1234.Ab3dEf5hIj7lMnOp.abcdefghijklmnopqrstuvwxyz1"
    svg = qr_svg(link, best_mask=best_mask)
    matrix = qr_matrix(link, best_mask=best_mask)
    dark = {
        (x + QUIET_ZONE, y + QUIET_ZONE)
        for y, row in enumerate(matrix)
        for x, value in enumerate(row)
        if value
    }
    (path,) = re.findall(r' d="([^"]+)"', svg)
    assert _cells(path) == dark
    # Version 5 (37 modules) with the standard's quiet zone of 4 on each side.
    size = len(matrix) + 2 * QUIET_ZONE
    assert (len(matrix), size) == (37, 45)
    assert f'viewBox="0 0 {size} {size}"' in svg and 'width="33.75mm"' in svg


def test_a_short_code_already_in_use_is_never_issued_again(db, settings, monkeypatch):
    first, _person, meeting = _slip(db, settings)
    (person,) = fe.adults(db.get(Village, meeting.village_id), 1)
    nonces = iter([first.nonce, "f" * 32])  # the first draw repeats an issued slip's code
    monkeypatch.setattr(credentials.secrets, "token_hex", lambda _n: next(nonces))
    (second,) = issue_slips(db, ACTOR, meeting, [person.id], settings=settings)
    assert second.nonce == "f" * 32
    assert slip_short_code(settings, second) != slip_short_code(settings, first)
