"""All benchmarks, one command: `make bench` (or `.venv/bin/python bench/run.py`).

Prints a table and writes bench/results.json: for each figure its value and unit, the
baseline measured in the same run on the same machine, their ratio, the target and
whether it is met. Sized to finish within ten minutes on a 2-core machine.

    .venv/bin/python bench/run.py                 # everything (PostgreSQL when reachable)
    .venv/bin/python bench/run.py --quick         # tiny sizes, seconds: the smoke test
    .venv/bin/python bench/run.py --no-postgres --out /tmp/results.json
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import cast, recount, roll_import, sealing, slips, statements
from bench.common import POSTGRES_URL, machine, postgres_reachable

OUT = Path(__file__).resolve().parent / "results.json"


def figure(
    name: str,
    value: float,
    unit: str,
    *,
    baseline: float | None = None,
    baseline_unit: str = "",
    ratio: float | None = None,
    target: str = "",
    met: bool | None = None,
    note: str = "",
) -> dict[str, Any]:
    if ratio is None and baseline:
        ratio = value / baseline
    return {
        "figure": name,
        "value": round(value, 3),
        "unit": unit,
        "baseline": None if baseline is None else round(baseline, 3),
        "baseline_unit": baseline_unit,
        "ratio": None if ratio is None else round(ratio, 3),
        "target": target,
        "met": met,
        "note": note,
    }


def cast_figures(
    result: dict[str, Any], db: str, target: float | None, label: str = ""
) -> list[dict[str, Any]]:
    """The cast figures of one run; `target` is the least ratio to bare Starlette."""
    app, base = result["app"], result["baseline"]
    ratio = result["ratio"]
    how = (
        f"{result['votes']} votes, {result['concurrency']} connections, "
        f"{result['workers']} uvicorn worker(s); stored == acknowledged: {result['consistent']}"
    )
    name = f"cast_rps_{db}{label}"
    return [
        figure(
            name,
            app["rps"],
            "votes/s",
            baseline=base["rps"],
            baseline_unit="req/s bare Starlette",
            ratio=ratio,
            target="" if target is None else f"ratio >= {target}",
            met=None if target is None else (ratio >= target and result["consistent"]),
            note=how,
        ),
        figure(
            f"cast_p50_ms_{db}{label}",
            app["p50_ms"],
            "ms",
            baseline=base["p50_ms"],
            baseline_unit="ms bare Starlette",
        ),
        figure(
            f"cast_p99_ms_{db}{label}",
            app["p99_ms"],
            "ms",
            baseline=base["p99_ms"],
            baseline_unit="ms bare Starlette",
        ),
    ]


PAGE_TARGET = 0.3
WALK_TARGET_MS = 500
CAST_STATEMENTS = 6


def page_figures(result: dict[str, Any], db: str) -> list[dict[str, Any]]:
    rows = []
    for name, viewed in result["pages"].items():
        ratio = viewed["ratio"]
        rows.append(
            figure(
                f"{name}_page_rps_{db}",
                viewed["app"]["rps"],
                "pages/s",
                baseline=viewed["baseline"]["rps"],
                baseline_unit="req/s bare Starlette",
                ratio=ratio,
                target=f"ratio >= {PAGE_TARGET}",
                met=ratio >= PAGE_TARGET,
                note=f"GET of each voter's {name} page; p50 {viewed['app']['p50_ms']:.1f} ms",
            )
        )
    return rows


def walk_figures(result: dict[str, Any], db: str) -> list[dict[str, Any]]:
    walked = result["walk"]
    if walked is None:
        return []
    app, base = walked["app"], walked["baseline"]
    steps = ", ".join(f"{step} {ms:.0f}" for step, ms in app["steps"].items())
    return [
        figure(
            f"walk_p95_ms_{db}",
            app["p95_ms"],
            "ms",
            baseline=base["p95_ms"],
            baseline_unit="ms bare Starlette, same walk",
            target=f"<= {WALK_TARGET_MS}",
            met=app["p95_ms"] <= WALK_TARGET_MS and result["consistent"],
            note=f"{walked['phones']} phones at once, each slip -> ballot -> confirm -> cast on "
            f"its own connection; median of {len(walked['waves_p95_ms'])} waves (p95 "
            + ", ".join(f"{ms:.0f}" for ms in walked["waves_p95_ms"])
            + f" ms); its p95 per step (ms): {steps}; the wave took {app['seconds']:.1f} s",
        )
    ]


def statement_figures(counts: dict[str, int], db: str) -> list[dict[str, Any]]:
    rows = []
    for name, count in counts.items():
        before = statements.BEFORE[name]
        rows.append(
            figure(
                f"{name}_statements_{db}",
                count,
                "SQL",
                target=f"<= {CAST_STATEMENTS}" if name == "cast" else "",
                met=count <= CAST_STATEMENTS if name == "cast" else None,
                note="statements sent to the driver for one request"
                + (f"; {before} on 7403cd9" if before else ""),
            )
        )
    return rows


def recount_figures(result: dict[str, Any], db: str, with_target: bool) -> list[dict[str, Any]]:
    scale = 1_000_000 / result["ballots"]  # a quick run extrapolates linearly
    app_s = result["app_s"] * scale
    return [
        figure(
            f"recount_1m_s_{db}",
            app_s,
            "s",
            baseline=result["raw_read_s"] * scale,
            baseline_unit="s DB-API fetch of the same rows",
            target="<= 2 s" if with_target else "",
            met=(app_s <= 2 and result["agree"]) if with_target else None,
            note=f"{result['ballots']:,} ballots read and counted (round_input + count_round)",
        ),
        figure(
            f"recount_cli_1m_s_{db}",
            result["cli_s"] * scale,
            "s",
            baseline=result["raw_read_s"] * scale,
            baseline_unit="s DB-API fetch of the same rows",
            note=f"`cunyi recount` of the round's export; agrees with the app: {result['agree']}",
        ),
    ]


def xlsx_read_seconds(people: int) -> float:
    """Baseline for the import: openpyxl alone reading the same workbook."""
    from openpyxl import load_workbook

    content = roll_import.xlsx(roll_import.roll(people))
    started = time.perf_counter()
    book = load_workbook(io.BytesIO(content), read_only=True)
    rows = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    assert rows == people + 1
    return time.perf_counter() - started


def table(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'figure':<34}{'value':>12}  {'unit':<9}{'baseline':>12}{'ratio':>9}  target"]
    for r in rows:
        base = "" if r["baseline"] is None else f"{r['baseline']:.3f}"
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.3f}"
        met = "" if r["met"] is None else (" ok" if r["met"] else " NOT MET")
        lines.append(
            f"{r['figure']:<34}{r['value']:>12.3f}  {r['unit']:<9}{base:>12}{ratio:>9}  "
            f"{r['target']}{met}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    quick = args.quick
    voters, warmup = (30, 10) if quick else (2000, 200)
    phones = 10 if quick else 200
    villagers, sample = (20, 5) if quick else (3000, 100)
    ballots = 5_000 if quick else 1_000_000
    people = 30 if quick else 3000
    pg = (
        None if args.no_postgres or not postgres_reachable(args.postgres_url) else args.postgres_url
    )
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []

    def step(title: str) -> None:
        print(f"[{time.perf_counter() - started:5.0f}s] {title}", flush=True)

    step("vote path: SQLite")
    on_sqlite = cast.measure(
        None,
        voters=voters,
        warmup=warmup,
        concurrency=args.concurrency,
        workers=args.workers,
        phones=phones,
    )
    rows += cast_figures(on_sqlite, "sqlite", target=0.3)
    rows += page_figures(on_sqlite, "sqlite")
    rows += walk_figures(on_sqlite, "sqlite")
    page = on_sqlite["page"]
    rows.append(
        figure(
            "ballot_page_bytes",
            page["total"],
            "bytes",
            target="<= 14000",
            met=page["total"] <= 14000,
            note=f"HTML {page['html']} + "
            + ", ".join(f"{k} {v}" for k, v in page["assets"].items()),
        )
    )
    rows += statement_figures(statements.measure(None), "sqlite")
    if pg:
        by_workers = {}
        for workers in (1, 2):
            step(f"vote path: PostgreSQL, {workers} worker(s)")
            by_workers[workers] = cast.measure(
                pg,
                voters=voters,
                warmup=warmup,
                concurrency=args.concurrency,
                workers=workers,
                pages=workers == 1,
            )
        one, two = by_workers[1], by_workers[2]
        one_ratio_per_worker = one["ratio"]
        rows += cast_figures(one, "postgresql", target=0.2)
        rows += page_figures(one, "postgresql")
        rows += cast_figures(two, "postgresql", target=None, label="_2_workers")
        rows.append(
            figure(
                "cast_2_over_1_workers_postgresql",
                two["app"]["rps"],
                "votes/s",
                baseline=one["app"]["rps"],
                baseline_unit="votes/s with 1 worker",
                target="ratio > 1",
                met=two["app"]["rps"] > one["app"]["rps"],
                note=f"per worker with 1: ratio to bare Starlette {one_ratio_per_worker:.3f}",
            )
        )
        rows += statement_figures(statements.measure(pg), "postgresql")
    for db_name, url in [("sqlite", None), *([("postgresql", pg)] if pg else [])]:
        step(f"sealed box: {db_name}")
        sealed = sealing.measure(url, voters=voters)
        rows.append(
            figure(
                f"cast_sealed_ms_{db_name}",
                sealed["sealed_ms"],
                "ms/cast",
                baseline=sealed["unsealed_ms"],
                baseline_unit="ms/cast, same transaction with the ballot in clear",
                note=f"median of {voters // 2} committed casts each;"
                f" p99 {sealed['sealed_p99_ms']:.1f} vs {sealed['unsealed_p99_ms']:.1f} ms",
            )
        )
        rows.append(
            figure(
                f"open_box_s_{db_name}",
                sealed["open_s"],
                "s",
                note=f"two tellers open the box of {sealed['opened']} ballots"
                " (2 argon2id, decrypt, write in random order)",
            )
        )
    step("slips")
    made = slips.measure(villagers, sample)
    rows.append(
        figure(
            "slips_per_s",
            made["slips_per_s"],
            "slips/s",
            baseline=made["baseline_per_s"],
            baseline_unit="qrcode.make SVG/s",
            target="ratio >= 6",
            met=made["slips_per_s"] >= 6 * made["baseline_per_s"],
            note=f"sheet of {villagers} in {made['sheet_s']:.2f}s (sheet_rows: signed link, code, QR SVG)",
        )
    )
    step("recount: SQLite")
    rows += recount_figures(recount.measure(None, ballots=ballots), "sqlite", with_target=True)
    if pg:
        step("recount: PostgreSQL")
        rows += recount_figures(recount.measure(pg, ballots=ballots), "postgresql", False)
    step("roll import: SQLite")
    baseline_read = xlsx_read_seconds(people)
    for db_name, url in [("sqlite", None), *([("postgresql", pg)] if pg else [])]:
        seconds = roll_import.measure(url, people, as_xlsx=True, full=False)
        rows.append(
            figure(
                f"import_{people}_s_{db_name}",
                seconds,
                "s",
                baseline=baseline_read,
                baseline_unit="s openpyxl reading the file",
                note="upload + check + preview + apply of a new .xlsx roll",
            )
        )
    total = time.perf_counter() - started
    step("done")
    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "quick": quick,
        "postgresql": bool(pg),
        "seconds": round(total, 1),
        "figures": rows,
    }
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print()
    print(f"{results['date']}  {results['machine']}  total {total:.0f}s")
    print(table(rows))
    print(f"\nwritten: {args.out}")
    return results


if __name__ == "__main__":
    main()
