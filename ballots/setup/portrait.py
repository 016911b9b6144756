"""A candidate's photo made into the small portrait the ballot shows (Pillow).

Whatever the organizer uploads is decoded and drawn again, never passed on: only JPEG
and PNG are read, a file with too many pixels is refused before it is decoded (a small
file can declare a huge image, a decompression bomb), the camera's orientation is
applied and every bit of metadata (EXIF with its place and time, ICC, comments) is left
behind. The result is a 3:4 portrait, cropped about the middle and a little above it
where the face is, encoded as a JPEG of at most MAX_PORTRAIT_BYTES.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator

from PIL import Image, ImageOps, JpegImagePlugin, UnidentifiedImageError

from app.i18n import lazy
from ballots.exceptions import PhotoRefused

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PORTRAIT_BYTES = 10240  # the database's check on candidate_photo.image
# More than any phone's camera takes (48 MP is 8000 x 6000); a JPEG is decoded reduced
# (draft), so even the largest costs little memory. A PNG this large is refused sooner.
MAX_PIXELS = 50_000_000
# A PNG is decoded whole (4 bytes a pixel with transparency): 6 MP is a 2400 x 2500
# picture, more than any phone screenshot, and about 24 MB while it is shrunk.
MAX_PNG_PIXELS = 6_000_000
MIN_SIDE = 60  # smaller than this is an icon, not a face
PORTRAIT = (144, 192)  # width, height: 3:4; shown at half that on a phone (sharp at 2x)
FORMATS = ("JPEG", "PNG")
# Of the height cut off a tall photo, the share taken from the top (the face is high).
TOP_SHARE = 0.2
PHOTO_TOO_LARGE = lazy(
    "照片文件太大，不能超过 5 MB。请换一张小一些的照片（手机拍的照片一般只有 2～4 MB）。"
)


def make_portrait(data: bytes) -> bytes:
    """The uploaded file as the ballot's portrait JPEG; PhotoRefused (in Chinese) says
    why not."""
    if not data:
        raise PhotoRefused(lazy("请先选择一张照片（JPG 或 PNG）。"))
    if len(data) > MAX_UPLOAD_BYTES:
        raise PhotoRefused(PHOTO_TOO_LARGE)
    with warnings.catch_warnings():
        # Pillow warns of a possible bomb below its hard limit: a refusal here too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = _decoded(data)
        except PhotoRefused:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
            raise _not_an_image() from error
    return _encoded(_cropped(image))


def _not_an_image() -> PhotoRefused:
    return PhotoRefused(
        lazy("这个文件不是能用的照片。请上传 JPG 或 PNG 格式的照片（用手机拍的照片就可以）。")
    )


def _too_many_pixels() -> PhotoRefused:
    return PhotoRefused(
        lazy("这张图片的尺寸太大（像素太多），无法处理。请用手机拍的普通照片，或先把图片缩小。")
    )


def _decoded(data: bytes) -> Image.Image:
    """The picture, upright and in RGB; its size checked before a pixel is decoded."""
    image = Image.open(io.BytesIO(data), formats=FORMATS)
    width, height = image.size
    limit = MAX_PNG_PIXELS if image.format == "PNG" else MAX_PIXELS
    if width * height > limit:
        raise _too_many_pixels()
    if min(width, height) < MIN_SIDE:
        raise PhotoRefused(
            lazy("这张照片太小（%(w)s×%(h)s），看不清人脸。请换一张清楚些的照片。"),
            w=width,
            h=height,
        )
    if isinstance(image, JpegImagePlugin.JpegImageFile):
        # Decode at a reduced scale (1/2 .. 1/8) still larger than twice the portrait;
        # also for a phone's multi-picture JPEG (MPO), which Pillow names otherwise.
        image.draft("RGB", (PORTRAIT[0] * 2, PORTRAIT[1] * 2))
    image.load()
    upright = ImageOps.exif_transpose(image)  # a copy only when the camera turned it
    # Shrink by a whole factor before the copies of transparency and cropping.
    width, height = upright.size
    factor = min(width // (PORTRAIT[0] * 2), height // (PORTRAIT[1] * 2))
    if factor > 1:
        upright = upright.reduce(factor)
    return _rgb(upright)


def _rgb(image: Image.Image) -> Image.Image:
    """RGB on white: a transparent PNG's see-through parts become white, not black."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")


def _cropped(image: Image.Image) -> Image.Image:
    """The largest 3:4 part: a wide photo loses its sides equally, a tall one mostly
    its bottom (TOP_SHARE of the cut from the top)."""
    width, height = image.size
    aspect_w, aspect_h = PORTRAIT
    if width * aspect_h > height * aspect_w:  # too wide
        new_width = height * aspect_w // aspect_h
        left = (width - new_width) // 2
        box = (left, 0, left + new_width, height)
    else:  # too tall (or just right)
        new_height = width * aspect_h // aspect_w
        top = round((height - new_height) * TOP_SHARE)
        box = (0, top, width, top + new_height)
    return image.crop(box)


def _sizes() -> Iterator[tuple[int, int]]:
    """The portrait's size, and smaller ones should even the lowest quality not fit."""
    width, height = PORTRAIT
    for scale in (1.0, 0.85, 0.7):
        yield round(width * scale), round(height * scale)


def _encoded(image: Image.Image) -> bytes:
    """A baseline JPEG within MAX_PORTRAIT_BYTES: the best quality that fits."""
    for size in _sizes():
        small = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        # A new image carries nothing of the original's info (EXIF, ICC, comments).
        clean = Image.new("RGB", small.size)
        clean.paste(small)
        for quality in range(85, 20, -10):
            out = io.BytesIO()
            clean.save(out, "JPEG", quality=quality, optimize=True)
            if out.tell() <= MAX_PORTRAIT_BYTES:
                return out.getvalue()
    raise _not_an_image()  # cannot happen for a picture this small; refuse, never store
