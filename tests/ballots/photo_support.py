"""Photos for the candidate photo tests, made with Pillow on the spot."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from ballots.models import CandidatePhoto, Election
from ballots.setup.portrait import make_portrait


def jpeg(
    size: tuple[int, int] = (1200, 1600),
    colour: tuple[int, int, int] = (200, 160, 120),
    *,
    exif: Image.Exif | None = None,
) -> bytes:
    """A photo-like JPEG: a face-coloured oval on a darker ground, with a little noise."""
    ground = Image.effect_noise(size, 20).convert("RGB")
    image = Image.blend(ground, Image.new("RGB", size, (60, 70, 90)), 0.6)
    w, h = size
    ImageDraw.Draw(image).ellipse((w // 4, h // 8, 3 * w // 4, h // 2), fill=colour)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif or Image.Exif())
    return out.getvalue()


def portrait_jpeg(
    background: tuple[int, int, int], clothes: tuple[int, int, int], *, hair_grey: bool = False
) -> bytes:
    """A drawn head and shoulders, like a camera portrait (for pages a person looks at)."""
    w, h = 900, 1200
    image = Image.new("RGB", (w, h), background)
    draw = ImageDraw.Draw(image)
    draw.ellipse((120, 800, 780, 1500), fill=clothes)  # shoulders
    draw.rectangle((380, 640, 520, 860), fill=(224, 182, 150))  # neck
    hair = (170, 170, 170) if hair_grey else (40, 32, 28)
    draw.ellipse((255, 170, 645, 600), fill=hair)
    draw.ellipse((280, 240, 620, 740), fill=(232, 192, 160))  # face
    for x in (370, 530):
        draw.ellipse((x - 22, 440, x + 22, 470), fill=(50, 40, 35))  # eyes
    draw.arc((390, 540, 510, 640), 20, 160, fill=(150, 70, 60), width=10)  # smile
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


def png(size: tuple[int, int] = (900, 1200), *, alpha: bool = False) -> bytes:
    mode = "RGBA" if alpha else "RGB"
    image = Image.new(mode, size, (30, 120, 200, 0) if alpha else (30, 120, 200))
    ImageDraw.Draw(image).rectangle((100, 100, 500, 700), fill=(220, 60, 40, 255)[: len(mode)])
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares a huge picture (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\x00\x00\x00" * 16)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def add_photo(
    db: Session, election: Election, name: str, data: bytes | None = None
) -> CandidatePhoto:
    """A stored photo for a name, as an organizer's upload leaves it."""
    image = make_portrait(data or jpeg())
    row = CandidatePhoto(
        election_id=election.id,
        name=name,
        image=image,
        sha256=hashlib.sha256(image).hexdigest(),
        uploaded_by_id=election.created_by_id,
    )
    db.add(row)
    db.flush()
    return row
