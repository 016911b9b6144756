"""`make bench` in miniature, so the benchmark code cannot rot: every bench runs at a tiny
size (a real uvicorn server, the load client, the bulk ballots, the slip sheet, the
roll import) and the results file holds every figure with its baseline and ratio."""

from __future__ import annotations

import json
import os

from bench import run
from tests.conftest import POSTGRES_URL

EXPECTED = {
    "cast_rps_sqlite",
    "cast_p50_ms_sqlite",
    "cast_p99_ms_sqlite",
    "ballot_page_bytes",
    "slips_per_s",
    "recount_1m_s_sqlite",
    "recount_cli_1m_s_sqlite",
    "import_30_s_sqlite",
    "cast_sealed_ms_sqlite",
    "open_box_s_sqlite",
    "slip_page_rps_sqlite",
    "ballot_page_rps_sqlite",
    "walk_p95_ms_sqlite",
    *(f"{step}_statements_sqlite" for step in ("slip", "ballot", "confirm", "cast")),
}
ON_POSTGRES = {
    "cast_rps_postgresql",
    "cast_p50_ms_postgresql",
    "cast_p99_ms_postgresql",
    "recount_1m_s_postgresql",
    "recount_cli_1m_s_postgresql",
    "import_30_s_postgresql",
    "cast_sealed_ms_postgresql",
    "open_box_s_postgresql",
    "slip_page_rps_postgresql",
    "ballot_page_rps_postgresql",
    "cast_rps_postgresql_2_workers",
    "cast_p50_ms_postgresql_2_workers",
    "cast_p99_ms_postgresql_2_workers",
    "cast_2_over_1_workers_postgresql",
    *(f"{step}_statements_postgresql" for step in ("slip", "ballot", "confirm", "cast")),
}


def test_every_bench_runs_and_reports_its_figures(tmp_path):
    postgres = os.environ.get("CUNYI_TEST_DATABASE") == "postgresql"
    out = tmp_path / "results.json"
    args = ["--quick", "--out", str(out)]
    run.main([*args, "--postgres-url", POSTGRES_URL] if postgres else [*args, "--no-postgres"])

    results = json.loads(out.read_text("utf-8"))
    figures = {f["figure"]: f for f in results["figures"]}
    assert set(figures) == (EXPECTED | ON_POSTGRES if postgres else EXPECTED)
    assert results["machine"]["nproc"] >= 1 and results["date"]
    for name, f in figures.items():
        assert f["value"] > 0, name
        counted = "_statements_" in name  # a count, the same on every machine
        if name != "ballot_page_bytes" and not name.startswith("open_box_s") and not counted:
            assert f["baseline"] and f["ratio"], name  # machine-dependent: has a baseline
    # Sealing a ballot is measured beside the same cast with the ballot in clear.
    assert figures["cast_sealed_ms_sqlite"]["baseline_unit"].startswith("ms/cast")
    assert figures["open_box_s_sqlite"]["note"].startswith("two tellers open the box of 15")
    # Every acknowledged vote was stored, once; nothing else was.
    assert "stored == acknowledged: True" in figures["cast_rps_sqlite"]["note"]
    assert figures["ballot_page_bytes"]["met"] is True
    # The vote path's statement budget holds, and the walk cast every phone's vote.
    assert figures["cast_statements_sqlite"]["met"] is True
    assert "10 phones at once" in figures["walk_p95_ms_sqlite"]["note"]
    assert "agrees with the app: True" in figures["recount_cli_1m_s_sqlite"]["note"]
