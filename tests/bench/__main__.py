"""``make bench``: Tributary's World Bank ingest side by side with dlt, and the full local run split by stage.

A benchmark, not a test: it prints numbers and asserts nothing. Both loaders read the same replay data (the
scale mode of the World Bank replay: ``country/all`` × N generated indicators, 17,556 observations each) from a
replay server in this process, one subprocess each. Peak RSS is ``ru_maxrss`` of the measured process and the
descendants it waited for (the largest one), which is what a pod's memory limit must cover.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from workflows.replay.server import ReplayServer

REPO = Path(__file__).resolve().parents[2]
PER_INDICATOR = 266 * 66  # countries × years 1960–2025
SIZES = {"0.2M": 12, "2M": 114}


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """Run ``argv``; returns (wall s, peak RSS MB, exit code, stdout)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=REPO, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - t0, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), out


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TRIBUTARY_")}


def bench_ingest(server: ReplayServer, tmp: Path, indicators: int, per_page: int, concurrency: int) -> dict[str, float]:
    """Tributary's ingest stage vs dlt's rest_api on ``indicators`` generated indicators."""
    config = tmp / f"scale-{indicators}.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "sources": {
                    "worldbank": {
                        "base_url": server.base_url("worldbank"),
                        "countries": ["all"],
                        "indicators": [f"BENCH.IND.{n:04d}" for n in range(1, indicators + 1)],
                        "start_year": 1960,
                        "end_year": 2025,
                        "per_page": per_page,
                        "concurrency": concurrency,
                    }
                }
            }
        )
    )
    env = {**_clean_env(), "TRIBUTARY_LAKE": str(tmp / f"lake-{indicators}"), "TRIBUTARY_CONFIG": str(config)}
    wall, rss, code, _ = measure(
        [sys.executable, "-m", "steps.ingest", "--source", "worldbank", "--run-id", "bench"], env
    )
    manifest = json.loads((tmp / f"lake-{indicators}/bronze/worldbank/_manifests/bench.json").read_text())
    rows = manifest["datasets"]["indicator_values"]["rows"]
    api_total = sum(s["api_total"] for s in manifest["streams"])
    dlt_out = tmp / f"dlt-{indicators}"
    dwall, drss, dcode, dout = measure(
        [
            sys.executable,
            "-m",
            "tests.bench.dlt_worldbank",
            server.base_url("worldbank"),
            str(dlt_out),
            str(indicators),
            str(per_page),
        ],
        _clean_env(),
    )
    drows = int(dout.strip() or 0)
    return {
        "rows": rows,
        "api_total": api_total,
        "wall": wall,
        "rss": rss,
        "code": code,
        "dlt_rows": drows,
        "dlt_wall": dwall,
        "dlt_rss": drss,
        "dlt_code": dcode,
    }


def bench_full_run(tmp: Path, repeat: int) -> list[tuple[str, float, float, dict[str, float]]]:
    """``tributary run --replay``: first runs (each on a new lake), a no-op rerun, and a cold first run.

    First runs use this machine's caches as ``make setup`` leaves them (dbt's saved parse, the rendered spec); the
    cold one points the temp dir, where those caches live, at an empty folder: a machine where nothing ran yet.
    """
    cold_tmp = tmp / "cold-tmp"
    cold_tmp.mkdir()
    runs: list[tuple[str, Path, str, dict[str, str]]] = [
        (f"first run {n}", tmp / f"run-lake-{n}", "bench-1", {}) for n in range(1, repeat + 1)
    ]
    runs += [
        ("no-op rerun", tmp / f"run-lake-{repeat}", "bench-2", {}),
        ("cold first", tmp / "cold-lake", "bench-3", {"TMPDIR": str(cold_tmp)}),
    ]
    out = []
    for label, lake, run_id, extra in runs:
        argv = [sys.executable, "-m", "workflows.cli", "run", "--replay", "--lake", str(lake), "--run-id", run_id]
        wall, rss, code, _ = measure(argv, {**_clean_env(), **extra})
        summary = json.loads((lake / f"reports/{run_id}/summary.json").read_text()) if code == 0 else {"tasks": []}
        out.append((label, wall, rss, {t["task"]: t["duration_s"] for t in summary["tasks"]}))
    return out


def silver_after_force(tmp: Path, indicators: int) -> tuple[int, int, int]:
    """Build silver on the ingested scale lake, re-ingest (as ``--force`` does) and build again.

    Returns (bronze rows after both ingests, silver rows after the first build, silver rows after the second).
    """
    lake = tmp / f"lake-{indicators}"
    env = {
        **_clean_env(),
        "TRIBUTARY_LAKE": str(lake),
        "TRIBUTARY_CONFIG": str(tmp / f"scale-{indicators}.yaml"),
        "TRIBUTARY_TARGET": "local",
        "TRIBUTARY_DBT_PROJECT_DIR": str(REPO / "dbt"),
    }
    steps = [
        ["steps.dbt", "--layer", "silver", "--run-id", "bench"],
        ["steps.ingest", "--source", "worldbank", "--run-id", "bench-force"],
        ["steps.dbt", "--layer", "silver", "--run-id", "bench-force"],
    ]
    counts = []
    warehouse = lake / "warehouse.duckdb"
    for step in steps:
        _, _, code, _ = measure([sys.executable, "-m", *step], env)
        if code != 0:
            raise SystemExit(f"bench: python -m {' '.join(step)} exited {code}")
        if step[0] == "steps.dbt":
            counts.append(_scalar(warehouse, "select count(*) from silver.stg_worldbank__indicator_values"))
    bronze = _scalar(warehouse, "select count(*) from bronze_worldbank.indicator_values")
    return bronze, counts[0], counts[1]


def _scalar(database: Path, sql: str) -> int:
    import duckdb

    with duckdb.connect(str(database), read_only=True) as connection:
        row = connection.sql(sql).fetchone()
    return int(row[0]) if row else 0


def main(argv: list[str] | None = None) -> int:
    """Print the benchmark tables."""
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("--sizes", default=",".join(SIZES), help=f"comma-separated subset of {list(SIZES)}")
    parser.add_argument("--per-page", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--skip-run", action="store_true", help="skip the full local run")
    parser.add_argument("--repeat", type=int, default=3, help="first runs to measure (each on a new lake)")
    parser.add_argument(
        "--skip-silver", action="store_true", help="skip the silver build / forced re-ingest check at the largest size"
    )
    args = parser.parse_args(argv)
    w = sys.stdout.write
    with tempfile.TemporaryDirectory() as tmpdir, ReplayServer() as server:
        tmp = Path(tmpdir)
        if not args.skip_run:
            w("Full local run (tributary run --replay, default sources)\n")
            runs = bench_full_run(tmp, args.repeat)
            for label, wall, rss, tasks in runs:
                split = ", ".join(f"{t} {d:.1f}s" for t, d in tasks.items())
                w(f"  {label:<12} wall {wall:6.2f} s  peak RSS {rss:6.1f} MB  | {split}\n")
            firsts = sorted(wall for label, wall, _, _ in runs if label.startswith("first run"))
            w(f"  first run: median {statistics.median(firsts):.2f} s, min {firsts[0]:.2f} s, max {firsts[-1]:.2f} s\n")
        w(f"\nWorld Bank ingest at scale (per_page {args.per_page}, concurrency {args.concurrency})\n")
        w(f"  {'size':<5} {'loader':<10} {'rows':>9} {'wall s':>8} {'rows/s':>10} {'peak RSS MB':>12}\n")
        results = {}
        for size in [s for s in args.sizes.split(",") if s]:
            r = bench_ingest(server, tmp, SIZES[size], args.per_page, args.concurrency)
            results[size] = r
            for loader, rows, wall, rss in (
                ("tributary", r["rows"], r["wall"], r["rss"]),
                ("dlt", r["dlt_rows"], r["dlt_wall"], r["dlt_rss"]),
            ):
                w(f"  {size:<5} {loader:<10} {rows:>9,} {wall:8.2f} {rows / wall:>10,.0f} {rss:12.1f}\n")
            w(
                f"  {size:<5} ratio      throughput ×{(r['rows'] / r['wall']) / (r['dlt_rows'] / r['dlt_wall']):.2f}, "
                f"memory ×{r['rss'] / r['dlt_rss']:.2f}; bronze rows == API total: {r['rows'] == r['api_total']}\n"
            )
        if len(results) == 2:
            small, large = (results[s] for s in SIZES)
            w(f"\n  peak RSS growth from 0.2M to 2M rows: {100 * (large['rss'] / small['rss'] - 1):+.1f}%\n")
        if results and not args.skip_silver:
            size = list(results)[-1]
            t0 = time.perf_counter()
            bronze, first, forced = silver_after_force(tmp, SIZES[size])
            unchanged = first == forced == results[size]["rows"]
            w(
                f"\n  {size} silver: {first:,} rows after the first build, {forced:,} after a forced re-ingest and "
                f"rebuild (bronze {bronze:,} rows = 2 deliveries); unchanged: {unchanged}"
                f" ({time.perf_counter() - t0:.1f}s)\n"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
