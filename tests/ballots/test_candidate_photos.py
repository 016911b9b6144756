"""Candidates' photos: the organizer adds, replaces and takes off a photo on the candidates
page; the upload is re-encoded into a small portrait (or refused beside the field with
nothing stored); every ballot page shows the number, the photo and the name; the photo is
served public and cached for good at an address naming its content."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.actors import Actor
from ballots.exceptions import PhotoRefused
from ballots.models import CandidatePhoto, RoundStatus, Stage
from ballots.setup import credentials, latest_round, round_candidates
from ballots.setup.photos import ballot_faces
from ballots.setup.portrait import MAX_PORTRAIT_BYTES, PORTRAIT, make_portrait
from slips.links import slip_token
from slips.services import issue_slips
from tests.ballots import factories_elections as fe
from tests.ballots.paper_support import make_scene
from tests.ballots.photo_support import add_photo, jpeg, png, png_declaring
from tests.ballots.setup_support import audit_actions, place, to_stage
from tests.ballots.setup_support import election as new_election
from tests.ballots.test_vote_path_statements import (
    CAST_BUDGET,
    PAGE_BUDGET,
    _app_statements,
    counted,
)
from tests.conftest import csrf_from, post_form, sign_in
from tests.html import soup

MB = 1024 * 1024


def _opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# --- the portrait ---------------------------------------------------------------------------


def test_a_camera_jpeg_becomes_a_small_upright_portrait_without_its_metadata():
    exif = Image.Exif()
    exif[0x010F] = "Cunyi Phone"  # Make
    exif[0x0132] = "2026:12:01 09:30:00"  # DateTime
    exif[0x0112] = 6  # the camera was turned: shown rotated a quarter turn clockwise
    # Stored landscape, left half red, right half blue: upright, red is on top.
    stored = Image.new("RGB", (1600, 1200), (220, 20, 20))
    stored.paste((20, 20, 220), (800, 0, 1600, 1200))
    upload = io.BytesIO()
    stored.save(upload, "JPEG", quality=95, exif=exif)

    portrait = make_portrait(upload.getvalue())

    image = _opened(portrait)
    assert image.format == "JPEG" and image.size == PORTRAIT == (144, 192)
    assert len(portrait) <= MAX_PORTRAIT_BYTES
    assert not image.getexif() and "exif" not in image.info and "icc_profile" not in image.info
    assert b"Cunyi Phone" not in portrait and b"2026:12:01" not in portrait
    top, bottom = image.getpixel((72, 10)), image.getpixel((72, 180))
    assert top[0] > 150 and top[2] < 100, top  # red above
    assert bottom[2] > 150 and bottom[0] < 100, bottom  # blue below


def test_a_png_with_transparency_becomes_a_jpeg_on_white():
    portrait = make_portrait(png(alpha=True))
    image = _opened(portrait)
    assert image.format == "JPEG" and image.size == PORTRAIT and image.mode == "RGB"
    assert image.getpixel((140, 188))[0] > 230  # see-through became white, not black


def test_a_wide_photo_keeps_its_middle_and_a_tall_one_its_top():
    wide = Image.new("RGB", (3000, 1000), (0, 0, 0))
    wide.paste((255, 255, 255), (1200, 0, 1800, 1000))  # a white band in the middle
    out = io.BytesIO()
    wide.save(out, "PNG")
    middle = _opened(make_portrait(out.getvalue()))
    assert middle.getpixel((72, 96))[0] > 200  # the band is the middle of the portrait

    tall = Image.new("RGB", (600, 2000), (0, 0, 0))
    tall.paste((255, 255, 255), (0, 0, 600, 150))  # a white strip along the top
    out = io.BytesIO()
    tall.save(out, "PNG")
    top = _opened(make_portrait(out.getvalue()))
    # 3:4 of 600 wide is 800 high; 20 % of the 1200 cut comes off the top (240 > 150).
    assert top.getpixel((72, 2))[0] < 50
    again = Image.new("RGB", (600, 2000), (0, 0, 0))
    again.paste((255, 255, 255), (0, 240, 600, 400))
    out = io.BytesIO()
    again.save(out, "PNG")
    assert _opened(make_portrait(out.getvalue())).getpixel((72, 10))[0] > 200


def test_a_busy_picture_still_fits_the_database_check():
    noise = Image.effect_noise((900, 1200), 128).convert("RGB")  # 3 MB that hardly compress
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert len(make_portrait(out.getvalue())) <= MAX_PORTRAIT_BYTES


@pytest.mark.parametrize(
    ("upload", "says"),
    [
        (b"", "请先选择一张照片"),
        ("这是一个文本文件，不是照片。".encode() * 50, "不是能用的照片"),
        (b"GIF89a" + b"\x00" * 200, "不是能用的照片"),
        (png_declaring(60_000, 60_000), "像素太多"),
        (jpeg((40, 40)), "太小"),
        (b"\xff" * (5 * MB + 1), "不能超过 5 MB"),
    ],
)
def test_what_is_not_a_usable_photo_is_refused_in_chinese(upload, says):
    with pytest.raises(PhotoRefused) as refused:
        make_portrait(upload)
    assert says in refused.value.render_message()


def test_a_phones_multi_picture_jpeg_is_read_like_a_jpeg():
    # Many phones save MPO files (a JPEG with a second picture); Pillow names them MPO.
    first = Image.new("RGB", (3000, 4000), (200, 120, 90))
    out = io.BytesIO()
    first.save(out, "MPO", save_all=True, append_images=[first.copy()])
    assert Image.open(io.BytesIO(out.getvalue())).format == "MPO"
    portrait = _opened(make_portrait(out.getvalue()))
    assert portrait.format == "JPEG" and portrait.size == PORTRAIT


def test_a_png_larger_than_a_phone_screenshot_is_refused():
    out = io.BytesIO()
    Image.new("RGB", (2600, 2600), (255, 255, 255)).save(out, "PNG")  # 6.8 MP
    with pytest.raises(PhotoRefused) as refused:
        make_portrait(out.getvalue())
    assert "像素太多" in refused.value.render_message()


def test_a_real_decompression_bomb_is_refused_before_it_is_decoded():
    # 5000 x 5000 of one colour: a few KB of file, 75 MB once decoded.
    out = io.BytesIO()
    Image.new("RGB", (5000, 5000), (255, 255, 255)).save(out, "PNG", optimize=True)
    assert len(out.getvalue()) < 200_000
    with pytest.raises(PhotoRefused) as refused:
        make_portrait(out.getvalue())
    assert "像素太多" in refused.value.render_message()


# --- the organizer's candidates page ------------------------------------------------------


@pytest.fixture
def published(client, db):
    """Candidates published (选民0 and 选民1), voting not yet open; the organizer signed in."""
    where = place(db, voters=4)
    found = new_election(db, where)
    to_stage(db, where, found, Stage.CANDIDATES_PUBLISHED)
    sign_in(client, where.organizer.username)
    round_ = latest_round(db, found)
    assert round_ is not None and round_.status is RoundStatus.PENDING
    first, second = round_candidates(db, round_)
    return where, found, first, second


def _photos(db) -> int:
    return db.scalar(select(func.count()).select_from(CandidatePhoto))


def _upload(client, found, candidate, data: bytes, filename="photo.jpg", kind="image/jpeg"):
    return post_form(
        client,
        f"/elections/{found.id}/candidates/{candidate.id}/photo",
        {},
        page=f"/elections/{found.id}/candidates",
        files={"photo": (filename, data, kind)},
    )


def test_an_organizer_adds_replaces_and_takes_off_a_photo(client, db, published):
    _where, found, first, _second = published
    page = soup(client.get(f"/elections/{found.id}/candidates").text)
    field = page.select_one(f"#f-photo-{first.id}")
    assert field is not None and field["type"] == "file"
    assert page.select_one(f"label[for=f-photo-{first.id}]").get_text() == "选民0 的照片"

    added = _upload(client, found, first, jpeg())
    assert added.status_code == 303
    (photo,) = db.scalars(select(CandidatePhoto)).all()
    assert photo.name == "选民0" and photo.image and len(photo.image) <= 10240
    assert audit_actions(db, "candidate_photo", photo.id) == ["election.candidate_photo"]
    page = soup(client.get(f"/elections/{found.id}/candidates").text)
    shown = page.select_one(f"tr:has(#f-photo-{first.id}) img")
    assert shown["src"] == f"/public/photos/{photo.sha256}.jpg" and shown["alt"] == "选民0"

    replaced = _upload(client, found, first, png(), "new.png", "image/png")
    assert replaced.status_code == 303
    assert _photos(db) == 2  # a new record; the first one stays as it was
    newest = db.scalars(select(CandidatePhoto).order_by(CandidatePhoto.id.desc())).first()
    assert newest.sha256 != photo.sha256
    round_ = latest_round(db, found)
    assert ballot_faces(db, round_)[0].photo == newest.sha256
    page = soup(client.get(f"/elections/{found.id}/candidates").text)
    assert page.select_one(f"tr:has(#f-photo-{first.id}) img")["src"].endswith(
        f"{newest.sha256}.jpg"
    )

    removed = post_form(
        client,
        f"/elections/{found.id}/candidates/{first.id}/photo",
        {"action": "remove"},
        page=f"/elections/{found.id}/candidates",
    )
    assert removed.status_code == 303
    last = db.scalars(select(CandidatePhoto).order_by(CandidatePhoto.id.desc())).first()
    assert last.image is None and last.sha256 == ""
    assert audit_actions(db, "candidate_photo", last.id) == ["election.candidate_photo_remove"]
    assert ballot_faces(db, round_)[0].photo == ""
    page = soup(client.get(f"/elections/{found.id}/candidates").text)
    assert page.select_one(f"tr:has(#f-photo-{first.id}) img") is None
    assert page.select_one(f"tr:has(#f-photo-{first.id}) i") is not None  # the placeholder
    # A replaced or removed picture (a wrong one, say) is no longer served to anyone.
    for gone in (photo.sha256, newest.sha256):
        assert client.get(f"/public/photos/{gone}.jpg").status_code == 404


@pytest.mark.parametrize(
    ("data", "filename", "says"),
    [
        ("名单\n张三,李四\n".encode() * 100, "photo.jpg", "不是能用的照片"),
        (png_declaring(50_000, 40_000), "bomb.png", "像素太多"),
        (b"\xff\xd8" + b"\x00" * (6 * MB), "big.jpg", "不能超过 5 MB"),
    ],
    ids=["text-renamed-jpg", "image-bomb", "six-mb"],
)
def test_a_bad_upload_is_refused_beside_the_field_and_nothing_is_stored(
    client, db, published, data, filename, says
):
    _where, found, first, second = published
    answer = _upload(client, found, first, data, filename)
    assert answer.status_code == 422
    page = soup(answer.text)
    error = page.select_one(f"#e-photo-{first.id}")
    assert error is not None and says in error.get_text()
    assert page.select_one(f"#f-photo-{first.id}")["aria-describedby"] == f"e-photo-{first.id}"
    assert page.select_one(f"#e-photo-{second.id}") is None
    assert _photos(db) == 0
    assert audit_actions(db, "candidate_photo", 1) == []


def test_a_twenty_megabyte_upload_is_refused_unread_beside_the_field(client, db, published):
    _where, found, first, _second = published
    answer = _upload(client, found, first, b"\xff\xd8" + b"\x00" * (20 * MB), "huge.jpg")
    assert answer.status_code == 413
    error = soup(answer.text).select_one(f"#e-photo-{first.id}")
    assert error is not None and "不能超过 5 MB" in error.get_text()
    assert _photos(db) == 0


def test_photos_change_only_until_voting_opens(client, db, published):
    _where, found, first, _second = published
    # A withdrawn candidate is not on the ballot.
    first.withdrawn = True
    db.flush()
    refused = _upload(client, found, first, jpeg())
    assert refused.status_code == 422
    assert "已经退出" in soup(refused.text).select_one(".errors[role=alert]").get_text()
    first.withdrawn = False
    found.stage = Stage.VOTING_OPEN
    round_ = latest_round(db, found)
    round_.status = RoundStatus.OPEN
    db.flush()
    page = soup(client.get(f"/elections/{found.id}/candidates").text)
    assert page.select_one(f"#f-photo-{first.id}") is None  # no form once voting is open
    refused = _upload(client, found, first, jpeg())
    assert refused.status_code == 422
    assert "这一轮投票开始以前" in soup(refused.text).select_one(".errors").get_text()
    assert _photos(db) == 0


def test_the_photo_is_public_and_cached_for_good(client, db, published):
    _where, found, first, _second = published
    photo = add_photo(db, found, first.name)
    client.cookies.clear()  # a villager's phone: nobody signed in
    answer = client.get(f"/public/photos/{photo.sha256}.jpg")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/jpeg"
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert answer.headers["etag"] == f'"{photo.sha256}"'
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.content == photo.image
    head = client.head(f"/public/photos/{photo.sha256}.jpg")
    assert head.status_code == 200 and head.content == b""
    for missing in ("0" * 64, "not-a-sha", photo.sha256.upper()):
        assert client.get(f"/public/photos/{missing}.jpg").status_code == 404


# --- every ballot shows number, photo and name ------------------------------------------------


def test_a_further_round_shows_the_same_photo(db):
    village = fe.voting(db).village
    election = fe.election(db, village, stage=Stage.CANDIDATES_PUBLISHED)
    fe.round_(db, election, status=RoundStatus.ANNOUNCED)
    photo = add_photo(db, election, "李四")
    further = fe.round_(
        db, election, number=2, candidates=["李四", "王五"], status=RoundStatus.PENDING
    )
    faces = ballot_faces(db, further)
    assert [(f.number, f.name, f.photo) for f in faces] == [
        (1, "李四", photo.sha256),
        (2, "王五", ""),
    ]


def test_the_public_list_shows_numbers_and_photos(client, db, published):
    _where, found, _first, second = published
    photo = add_photo(db, found, second.name)
    client.cookies.clear()
    page = soup(client.get(f"/public/elections/{found.id}/candidates").text)
    rows = page.select("ol.chosen li.cand")
    assert [(li.select_one("b").get_text(), li.select_one("span").get_text()) for li in rows] == [
        ("1", "1选民0"),
        ("2", "2选民1"),
    ]
    assert rows[0].select_one("img") is None and rows[0].select_one("i") is not None
    img = rows[1].select_one("img")
    assert img["src"] == f"/public/photos/{photo.sha256}.jpg" and img["alt"] == "选民1"
    assert img["width"] == "84" and img["height"] == "112"


@pytest.fixture
def photographed(db, settings):
    """An open round at an assembly, every candidate photographed but 王五; one slip."""
    v = fe.voting(db, voters=3)
    credentials.ensure_credentials(db, v.election)  # as opening the vote does
    photos = {name: add_photo(db, v.election, name).sha256 for name in ("张三", "李四")}
    (slip,) = issue_slips(db, Actor(label="测试"), v.assembly, [v.people[0].id], settings=settings)
    return v, slip_token(settings, slip), photos


def test_the_phone_ballot_puts_number_and_photo_inside_each_tick_box_label(
    client, db, photographed
):
    v, token, photos = photographed
    path = f"/s/{token}/b/{v.round.id}/{v.entries[0].id}"
    page = soup(client.get(path).text)
    labels = page.select("fieldset label.cand")
    assert [label.select_one("input")["value"] for label in labels] == ["张三", "李四", "王五"]
    assert [label.select_one("b").get_text() for label in labels] == ["1", "2", "3"]
    for label, name in zip(labels[:2], ("张三", "李四"), strict=True):
        img = label.select_one("img")
        assert img["src"] == f"/public/photos/{photos[name]}.jpg" and img["alt"] == name
        assert (img["width"], img["height"]) == ("84", "112")
    assert labels[2].select_one("img") is None and labels[2].select_one("i") is not None

    csrf = csrf_from(client, "/s")
    confirm = soup(client.post(path + "/confirm", data={"mark": "李四", "csrf_token": csrf}).text)
    (chosen,) = confirm.select("ul.chosen li")
    assert chosen.select_one("b").get_text() == "2"
    assert chosen.select_one("img")["src"] == f"/public/photos/{photos['李四']}.jpg"


def test_with_photos_the_vote_path_reads_no_more(client, photographed):
    v, token, _photos = photographed
    path = f"/s/{token}/b/{v.round.id}/{v.entries[0].id}"
    csrf = csrf_from(client, "/s")
    client.get(path)  # fills the process's cache of the round's ballot
    with counted() as page:
        assert client.get(path).status_code == 200
    with counted() as confirm:
        answer = client.post(path + "/confirm", data={"mark": "李四", "csrf_token": csrf})
    assert answer.status_code == 200
    with counted() as cast:
        answer = client.post(
            path + "/cast", data={"mark": "李四", "action": "cast", "csrf_token": csrf}
        )
    assert soup(answer.text).select_one("strong#receipt")
    assert len(_app_statements(page)) <= PAGE_BUDGET
    assert len(_app_statements(confirm)) <= PAGE_BUDGET
    assert len(_app_statements(cast)) <= CAST_BUDGET


def test_each_photo_on_the_ballot_is_a_small_request_of_its_own(client, photographed):
    v, token, _photos = photographed
    page = soup(client.get(f"/s/{token}/b/{v.round.id}/{v.entries[0].id}").text)
    sources = [img["src"] for img in page.select("label.cand img")]
    assert len(sources) == 2
    for src in sources:
        photo = client.get(src)
        assert photo.status_code == 200 and len(photo.content) <= 10240


def test_the_mobile_box_and_the_printed_ballot_show_numbers_and_photos(client, db):
    scene = make_scene(db, seats=1)
    photo = add_photo(db, scene.election, "乙")
    sign_in(client, scene.teller("").username)
    page = soup(client.get(f"/rounds/{scene.round.id}/paper/ballot").text)
    rows = page.select("table.ballot-grid tbody tr:has(td.name)")
    cells = [
        (r.select_one(".ballot-no").get_text(), r.select_one(".name").get_text()) for r in rows
    ]
    assert cells == [("1", "甲"), ("2", "乙"), ("3", "丙")]
    assert rows[1].select_one("img")["src"] == f"/public/photos/{photo.sha256}.jpg"
    assert rows[0].select_one("img") is None and rows[0].select_one("i") is not None
