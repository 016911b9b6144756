"""slips_per_s: QR slips made per second for a 3,000-villager sheet, against `qrcode`.

    .venv/bin/python bench/slips.py [--villagers 3000] [--baseline-sample 300]

Timed: `slips.sheets.sheet_rows`, everything the printable sheet needs per villager
(the live slips read in print order, each link signed, its short code derived, its QR
drawn as inline SVG). Baseline on the same machine in the same run: the plain
`qrcode.make(link, image_factory=SvgPathImage)` SVG path for the same links (a sample of
them: it is slow), per second.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from starlette.datastructures import Secret

from app.db import Database, make_engine
from app.migrate import upgrade_to_head
from app.qr import qr_svg
from app.settings import Settings
from bench.common import fresh_database, seed_voting
from slips.models import Assembly
from slips.sheets import sheet_rows

PREFIX = "https://cunyi.example.gov.cn/s/"


def qrcode_svg(link: str) -> str:
    import qrcode
    from qrcode.image.svg import SvgPathImage

    image = qrcode.make(link, image_factory=SvgPathImage)
    return image.to_string(encoding="unicode")  # type: ignore[no-any-return]


def measure(villagers: int = 3000, baseline_sample: int = 300, log: Any = print) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        url, _cleanup = fresh_database(None, tmp)
        upgrade_to_head(url)
        secret = "bench-slips-" + tmp.name
        scene = seed_voting(url, secret, tmp, villagers)
        settings = Settings(database_url=url, secret_key=Secret(secret), data_dir=tmp)
        database = Database(make_engine(url))
        with database.transaction(write=False) as db:
            assembly = db.get(Assembly, scene.assembly_id)
            assert assembly is not None
            links = [PREFIX + token for token, _entry in scene.ballots[:baseline_sample]]
            qr_svg(links[0]), qrcode_svg(links[0])  # warm up (imports)
            # Half the baseline before our sheet and half after, so a machine whose load
            # changes during the run weighs on both sides of the ratio alike.
            started = time.perf_counter()
            before = [len(qrcode_svg(link)) for link in links[: baseline_sample // 2]]
            before_s = time.perf_counter() - started
            started = time.perf_counter()
            rows = sheet_rows(db, settings, assembly, lambda t: PREFIX + t)
            seconds = time.perf_counter() - started
        database.dispose()
    assert len(rows) == villagers
    started = time.perf_counter()
    sizes = before + [len(qrcode_svg(link)) for link in links[baseline_sample // 2 :]]
    base_seconds = before_s + time.perf_counter() - started
    ours = villagers / seconds
    theirs = len(sizes) / base_seconds
    svg_bytes = sum(len(row.qr) for row in rows[: len(sizes)]) / len(sizes)
    log(
        f"  sheet of {villagers}: {seconds:.2f}s = {ours:.0f} slips/s "
        f"(QR SVG {svg_bytes:.0f} bytes); qrcode.make SVG: {theirs:.0f}/s "
        f"({sum(sizes) / len(sizes):.0f} bytes) -> {ours / theirs:.1f}x"
    )
    return {"slips_per_s": ours, "baseline_per_s": theirs, "sheet_s": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--villagers", type=int, default=3000)
    parser.add_argument("--baseline-sample", type=int, default=300)
    args = parser.parse_args()
    measure(args.villagers, args.baseline_sample)


if __name__ == "__main__":
    main()
