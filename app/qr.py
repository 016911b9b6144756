"""QR codes as inline SVG: the slips' links, the audit anchor on public notices, the "test
your link" code on the assembly page. Nothing to fetch, no image files.

The matrix comes from the `qrcode` package; the SVG is drawn here, each run of dark modules
as one stroke, a third of the size of a module-per-rectangle drawing. Two choices make a
sheet of thousands of slips fast without giving up anything a scanner needs:
- the version is found once per data length (every link of a sheet has the same length)
  instead of by trial for every code, and the data is always in byte mode, so the version
  depends on the length alone;
- a fixed mask for sheets: choosing the best of the eight masks is most of the cost, and
  the links end in random tokens, which look alike under every mask. A single reprinted
  slip still gets the best mask.
The quiet zone is the 4 modules the QR standard (ISO/IEC 18004) asks for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal

import qrcode
from markupsafe import Markup
from qrcode.constants import ERROR_CORRECT_M
from qrcode.util import QRData

QUIET_ZONE = 4  # modules of white around the code (ISO/IEC 18004)
SHEET_MASK = 4
MODULE_MM = 0.75  # about 3.5 cm across, quiet zone included, for a slip's link
_DARK_RUN = re.compile(rb"[^\x00]+")
_BYTE_MODE: Literal[4] = 4  # qrcode.util.MODE_8BIT_BYTE, as the stubs type it


@lru_cache(maxsize=64)
def _version_for(length: int) -> int:
    """The smallest version holding `length` bytes at error level M."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(QRData(b"\x00" * length, mode=_BYTE_MODE))
    return int(code.best_fit())


def qr_matrix(data: str, *, best_mask: bool = False) -> list[list[bool]]:
    """The code's modules, row by row (True is dark), without the quiet zone."""
    payload = data.encode()
    code = qrcode.QRCode(
        version=_version_for(len(payload)),
        error_correction=ERROR_CORRECT_M,
        border=0,
        mask_pattern=None if best_mask else SHEET_MASK,
    )
    code.add_data(QRData(payload, mode=_BYTE_MODE))
    code.make(fit=False)
    # After make() every module is a bool: no copy (it would cost a tenth of the sheet).
    return code.modules  # type: ignore[return-value]


def _path(matrix: Sequence[Sequence[bool]]) -> str:
    """SVG path data drawing each run of dark modules as one stroke of width 1.

    Relative moves keep it short; a row's strokes run along its middle (y + .5).
    """
    out: list[str] = []
    pen_x, pen_y = 0, -1
    for y, row in enumerate(matrix, start=QUIET_ZONE):
        # Runs of dark modules found by the regex engine over the row as bytes: walking
        # the modules one by one in Python took a quarter of the sheet's time.
        for run in _DARK_RUN.finditer(bytes(row)):
            x, length = QUIET_ZONE + run.start(), run.end() - run.start()
            if pen_y < 0:
                out.append(f"M{x} {y}.5h{length}")
            else:
                out.append(f"m{x - pen_x} {y - pen_y}h{length}")
            pen_x, pen_y = x + length, y
    return "".join(out)


def qr_svg(data: str, *, best_mask: bool = False, module_mm: float = MODULE_MM) -> Markup:
    """The QR code of `data` as an inline SVG, `module_mm` millimetres per module."""
    matrix = qr_matrix(data, best_mask=best_mask)
    size = len(matrix) + 2 * QUIET_ZONE
    width = f"{size * module_mm:g}mm"
    return Markup(  # noqa: S704 (numbers and path commands only: nothing from `data`)
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{width}" '
        f'viewBox="0 0 {size} {size}" class="qr" role="img" aria-label="QR"><path '
        f'stroke="#000" d="{_path(matrix)}"/></svg>'
    )
