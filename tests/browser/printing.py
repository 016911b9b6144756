"""What a printed page holds, read back off the paper: Chromium prints the page to an A4
PDF, poppler gives the words with their boxes (pdftotext -bbox) and a raster of each page
(pdftoppm), zbar decodes every QR code on it. And, in the print layout itself, whether a
box clips or spills any of its text (what overflow:hidden hides never reaches the paper).
"""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from PIL import Image
from playwright.sync_api import Page

TOOLS = ("pdftotext", "pdftoppm", "zbarimg")
# A4 less the 15 mm margins of app.css's @page, in CSS pixels (96 per inch).
A4_CONTENT_WIDTH_PX = round((210 - 30) / 25.4 * 96)


def require_tools() -> None:
    missing = [name for name in TOOLS if shutil.which(name) is None]
    if missing:
        pytest.skip(
            f"{', '.join(missing)} not installed (apt-get install poppler-utils zbar-tools)"
        )


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    x0: float  # points from the page's top left
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True)
class Printed:
    path: Path
    pages: int
    page_width: float
    page_height: float
    words: list[Word]

    def text(self, page: int | None = None) -> str:
        """The words as they stand on the paper, line by line from the top and left to right
        within a line, joined without spaces (CJK text has none). Extraction order is the
        PDF's drawing order, which puts "2026" after "年村民代表会议" when fonts change."""
        chosen = [w for w in self.words if page is None or w.page == page]
        lines: list[list[Word]] = []
        for word in sorted(chosen, key=lambda w: (w.page, (w.y0 + w.y1) / 2, w.x0)):
            line = lines[-1] if lines else None
            if line is not None and line[0].page == word.page:
                middle = (line[0].y0 + line[0].y1) / 2
                height = max(line[0].y1 - line[0].y0, word.y1 - word.y0)
                if abs((word.y0 + word.y1) / 2 - middle) < 0.4 * height:
                    line.append(word)
                    continue
            lines.append([word])
        return "".join(w.text for line in lines for w in sorted(line, key=lambda w: w.x0))

    def find(self, text: str) -> list[Word]:
        return [w for w in self.words if w.text == text]


def print_to_pdf(page: Page, url: str, path: Path) -> Printed:
    """Open `url` and print it as Chromium prints to A4 (backgrounds off, as by default)."""
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    page.emulate_media(media="print")
    path.write_bytes(page.pdf(format="A4", print_background=False))
    return read_pdf(path)


def read_pdf(path: Path) -> Printed:
    done = subprocess.run(
        ["pdftotext", "-bbox", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    document = BeautifulSoup(done.stdout, "html.parser")
    words: list[Word] = []
    pages = document.select("page")
    for number, sheet in enumerate(pages, start=1):
        for word in sheet.select("word"):
            words.append(
                Word(
                    number,
                    word.get_text(),
                    float(word["xmin"]),
                    float(word["ymin"]),
                    float(word["xmax"]),
                    float(word["ymax"]),
                )
            )
    first = pages[0]
    return Printed(path, len(pages), float(first["width"]), float(first["height"]), words)


def words_off_the_page(printed: Printed, margin: float = 1.0) -> list[Word]:
    """Words whose box leaves the sheet of paper."""
    return [
        w
        for w in printed.words
        if w.x0 < -margin
        or w.y0 < -margin
        or w.x1 > printed.page_width + margin
        or w.y1 > printed.page_height + margin
    ]


def rasterize(printed: Printed, tmp: Path, dpi: int = 150, workers: int = 2) -> list[Path]:
    """Each page as a grey image at `dpi`, the pages split between `workers` processes."""
    per = -(-printed.pages // workers)
    ranges = [
        (first, min(first + per - 1, printed.pages)) for first in range(1, printed.pages + 1, per)
    ]

    def render(span: tuple[int, int]) -> None:
        first, last = span
        pages = ["-f", str(first), "-l", str(last)]
        # Grey PGM, not PNG: compressing the pages took ten times as long as drawing them.
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-gray", *pages, str(printed.path), str(tmp / "raster")],
            check=True,
            timeout=1800,
        )

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(render, ranges))
    images = sorted(tmp.glob("raster-*.pgm"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    assert len(images) == printed.pages
    return images


def _zbar(image: Path) -> list[str]:
    done = subprocess.run(
        ["zbarimg", "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(image)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    # 4: no code in the image (a page of text only); anything else is a failure.
    assert done.returncode in (0, 4), done.stderr
    return done.stdout.split()


def decode_qr_codes(printed: Printed, tmp: Path, dpi: int = 150) -> list[str]:
    """Every QR code on the printed pages, decoded by zbar from a `dpi` raster, page order."""
    return [code for image in rasterize(printed, tmp, dpi) for code in _zbar(image)]


@dataclass(frozen=True)
class Region:
    """A part of one printed page, in points from its top left (as Word boxes are)."""

    page: int
    x0: float
    y0: float
    x1: float
    y1: float


def decode_regions(
    printed: Printed, regions: list[Region], tmp: Path, dpi: int = 150, workers: int = 2
) -> list[list[str]]:
    """The QR codes zbar reads in each region of the `dpi` raster: a slip as a phone sees
    it once the sheet is cut (zbar, like a phone, reads one code at a time best)."""
    images = rasterize(printed, tmp, dpi, workers)
    scale = dpi / 72
    crops: list[Path] = []
    opened: dict[int, Image.Image] = {}
    for index, region in enumerate(regions):
        page = opened.setdefault(region.page, Image.open(images[region.page - 1]))
        box = (
            int(region.x0 * scale),
            int(region.y0 * scale),
            int(region.x1 * scale),
            int(region.y1 * scale),
        )
        crop = tmp / f"region-{index}.pgm"
        page.crop(box).save(crop)
        crops.append(crop)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_zbar, crops))


_CLIPPED = """(selector) => {
  const problems = [];
  for (const box of document.querySelectorAll(selector)) {
    const outer = box.getBoundingClientRect();
    if (box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1) {
      problems.push(`${selector} "${box.innerText.slice(0, 40)}" overflows its box`);
    }
    for (const inner of box.querySelectorAll('*')) {
      if (!inner.textContent.trim() && inner.tagName !== 'svg') continue;
      const r = inner.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.left < outer.left - 1 || r.right > outer.right + 1 ||
          r.top < outer.top - 1 || r.bottom > outer.bottom + 1) {
        problems.push(`"${inner.textContent.trim().slice(0, 40)}" leaves ${selector}`);
      }
      if (inner.scrollWidth > inner.clientWidth + 1 && getComputedStyle(inner).overflowX !== 'visible') {
        problems.push(`"${inner.textContent.trim().slice(0, 40)}" is cut off`);
      }
    }
  }
  return problems;
}"""


def clipped_in_print(page: Page, selector: str) -> list[str]:
    """Boxes (`selector`) of the print layout whose text is cut off or spills out, laid out
    at the width of an A4 page's printable area."""
    page.set_viewport_size({"width": A4_CONTENT_WIDTH_PX, "height": 1100})
    page.emulate_media(media="print")
    problems: list[str] = page.evaluate(_CLIPPED, selector)
    return problems
