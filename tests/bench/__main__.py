"""``make bench``: the full local run split by stage, then every stage at 0.2 M, 2 M and 10 M rows.

A benchmark, not a test: it prints numbers and asserts nothing. Every size ingests the same replay data (the
scale mode of the World Bank replay: ``country/all`` × N generated indicators, 17,556 observations each) from a
replay server in this process, beside dlt up to 2 M rows; then the bronze gate, dbt silver, dbt gold and the gold
gate run on that lake, each with its dev pod's limits (:mod:`tests.bench.stages`). Peak RSS is ``ru_maxrss`` of
the measured process and the descendants it waited for (the largest one), which is what a pod's memory limit must
cover. At the largest size the gate must also reject a batch with a duplicated key near its end and a missing
parent near its start (:mod:`tests.bench.planted`).
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
from collections.abc import Callable
from pathlib import Path

import yaml

from tests.bench import planted, stages
from workflows.replay.server import ReplayServer

REPO = Path(__file__).resolve().parents[2]
PER_INDICATOR = 266 * 66  # countries × years 1960–2025
SIZES = {"0.2M": 12, "2M": 114, "10M": 570}  # generated indicators: 210,672, 2,001,384 and 10,006,920 rows
SCALE_STAGES = ("ingest", "bronze gate", "dbt silver")  # the stages whose memory must not grow with the rows


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """Run ``argv``; returns (wall s, peak RSS MB, exit code, stdout), or stderr's last line when it failed."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=err, cwd=REPO, text=True)
        out = proc.stdout.read() if proc.stdout else ""
        _, status, usage = os.wait4(proc.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            err.seek(0)
            lines = err.read().strip().splitlines()
            out = lines[-1] if lines else ""
    return time.perf_counter() - t0, usage.ru_maxrss / 1024, code, out


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TRIBUTARY_")}


def scale_config(
    server: ReplayServer, tmp: Path, indicators: int, per_page: int, concurrency: int, name: str = ""
) -> Path:
    """The World Bank source alone, for every country and year of ``indicators`` generated indicators."""
    config = tmp / (name or f"scale-{indicators}.yaml")
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
    return config


def ingest(lake: Path, config: Path, run_id: str = "bench") -> tuple[float, float, int]:
    """The World Bank ingest into ``lake``: (wall s, peak RSS MB, exit code)."""
    env = {**_clean_env(), "TRIBUTARY_LAKE": str(lake), "TRIBUTARY_CONFIG": str(config)}
    wall, rss, code, _ = measure(
        [sys.executable, "-m", "steps.ingest", "--source", "worldbank", "--run-id", run_id], env
    )
    return wall, rss, code


def bench_ingest(
    server: ReplayServer, tmp: Path, indicators: int, per_page: int, concurrency: int, *, dlt: bool
) -> dict[str, float]:
    """Tributary's ingest stage (and dlt's rest_api beside it when ``dlt``) on ``indicators`` generated indicators."""
    config = scale_config(server, tmp, indicators, per_page, concurrency)
    wall, rss, code = ingest(tmp / f"lake-{indicators}", config)
    manifest = json.loads((tmp / f"lake-{indicators}/bronze/worldbank/_manifests/bench.json").read_text())
    rows = manifest["datasets"]["indicator_values"]["rows"]
    api_total = sum(s["api_total"] for s in manifest["streams"])
    ours = {"rows": rows, "api_total": api_total, "wall": wall, "rss": rss, "code": code}
    if not dlt:
        return ours
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
    if dcode != 0:  # e.g. dlt not installed: make bench installs it (EXTRAS=bench)
        sys.stdout.write(f"  dlt exited {dcode}: {dout.strip()[:200]}\n")
        return ours
    return {**ours, "dlt_rows": int(dout.strip() or 0), "dlt_wall": dwall, "dlt_rss": drss, "dlt_code": dcode}


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
    parser.add_argument("--dlt-sizes", default="0.2M,2M", help="sizes at which dlt loads the same data")
    parser.add_argument("--per-page", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--skip-run", action="store_true", help="skip the full local run")
    parser.add_argument("--repeat", type=int, default=3, help="first runs to measure (each on a new lake)")
    parser.add_argument("--skip-stages", action="store_true", help="measure the ingest only, not the stages after it")
    parser.add_argument(
        "--skip-planted", action="store_true", help="skip the planted duplicate / missing parent at the largest size"
    )
    parser.add_argument(
        "--skip-silver", action="store_true", help="skip the silver build / forced re-ingest check at the largest size"
    )
    args = parser.parse_args(argv)
    sizes = [s for s in args.sizes.split(",") if s]
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
        w(f"  {'size':<5} {'loader':<10} {'rows':>10} {'wall s':>8} {'rows/s':>10} {'peak RSS MB':>12}\n")
        results: dict[str, dict[str, float]] = {}
        table: dict[str, dict[str, tuple[float, float, float]]] = {}  # size -> stage -> (wall, rss, limit)
        for size in sizes:
            r = bench_ingest(
                server, tmp, SIZES[size], args.per_page, args.concurrency, dlt=size in args.dlt_sizes.split(",")
            )
            results[size] = r
            loaders = [("tributary", r["rows"], r["wall"], r["rss"])]
            if "dlt_rows" in r:
                loaders.append(("dlt", r["dlt_rows"], r["dlt_wall"], r["dlt_rss"]))
            for loader, rows, wall, rss in loaders:
                w(f"  {size:<5} {loader:<10} {rows:>10,} {wall:8.2f} {rows / wall:>10,.0f} {rss:12.1f}\n")
            if "dlt_rows" in r:
                speed = (r["rows"] / r["wall"]) / (r["dlt_rows"] / r["dlt_wall"])
                w(f"  {size:<5} ratio      throughput ×{speed:.2f}, memory ×{r['rss'] / r['dlt_rss']:.2f}\n")
            w(f"  {size:<5} bronze rows == API total: {r['rows'] == r['api_total']}\n")
            table[size] = {"ingest": (r["wall"], r["rss"], stages.limit_mb("ingest"))}
            if not args.skip_stages:
                env = stages.stage_env(_clean_env(), tmp / f"lake-{SIZES[size]}", tmp / f"scale-{SIZES[size]}.yaml")
                for run in stages.run_stages(measure, env):
                    table[size][run.label] = (run.wall, run.rss_mb, run.limit_mb)
                    if run.code == stages.EXPECTED_EXIT.get(run.label):
                        w(f"  {size:<5} {run.label} exited {run.code}, as expected: no default indicator in the data\n")
                    elif run.code:
                        w(f"  {size:<5} {run.label} exited {run.code}: {run.last_line[:300]}\n")
        if table:
            _print_stages(w, table)
        if results and not args.skip_planted:
            size = list(results)[-1]
            w(f"\nCorrectness at {size}: " + planted_check(server, tmp, SIZES[size], args.per_page) + "\n")
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


def _print_stages(w: Callable[[str], object], table: dict[str, dict[str, tuple[float, float, float]]]) -> None:
    """Wall time and peak RSS of every stage at every size; growth between the two largest sizes."""
    sizes = list(table)
    labels = list(dict.fromkeys(label for row in table.values() for label in row))
    w("\nEvery stage at scale (wall s / peak RSS MB; each with its dev pod's limits)\n")
    w(f"  {'stage':<12}" + "".join(f"{s:>20}" for s in sizes) + f"{'dev limit':>11}")
    growth = len(sizes) >= 2
    w(f"{'RSS growth':>12}{'wall ×':>8}\n" if growth else "\n")
    for label in labels:
        cells = [table[s].get(label) for s in sizes]
        line = f"  {label:<12}" + "".join(f"{c[0]:9.1f} s {c[1]:7.0f} MB" if c else f"{'-':>20}" for c in cells)
        limit = next((c[2] for c in cells if c), 0.0)
        line += f"{limit:8.0f} MB"
        a, b = cells[-2:] if growth else (None, None)
        if a and b:
            line += f"{100 * (b[1] / a[1] - 1):+11.1f}%{b[0] / a[0]:7.2f}×"
            line += (
                "  ✓"
                if label not in SCALE_STAGES or (b[1] < 1.2 * a[1] and b[1] < limit and b[0] < 5.5 * a[0])
                else "  ✗"
            )
        w(line + "\n")


def planted_check(server: ReplayServer, tmp: Path, indicators: int, per_page: int) -> str:
    """Ingest a batch with a duplicated key and a missing parent planted far apart; the gate must reject both.

    One page at a time, so that the file holds the pages in the order they were requested: the planted last page
    of the last indicator is then the end of the file, in the gate's last chunk (concurrent pages land in the
    order they arrive).
    """
    from steps.validate.settings import BronzeGateSettings

    lake = tmp / "lake-planted"
    config = scale_config(server, tmp, indicators, per_page, 1, name="scale-planted.yaml")
    planted.plant(server, indicators, per_page)
    try:
        _, _, code = ingest(lake, config, run_id="planted")
    finally:
        server.clear_faults()
    if code != 0:
        return f"the planted ingest exited {code}"
    env = stages.stage_env(_clean_env(), lake, config)
    argv = [sys.executable, "-m", "steps.validate", "--suite", "bronze", "--run-id", "planted"]
    wall, rss, code, line = measure(argv, {**env, **stages.pod_limits("validate")})
    duplicate = "expect_compound_columns_to_be_unique(country_iso3, indicator_id, year) 2 unexpected" in line
    orphan = f'expect_column_values_to_be_in_set(indicator_id) 1 unexpected ["{planted.ORPHAN_INDICATOR}"]' in line
    files = list((lake / "quarantine/worldbank/planted").rglob("*.parquet"))
    where = planted.landed(files[0], BronzeGateSettings().bronze_chunk_rows).describe() if files else "no quarantine"
    verdict = "rejected for both" if code == 2 and duplicate and orphan else f"NOT rejected as expected (exit {code})"
    return f"{verdict} in {wall:.1f} s, peak RSS {rss:.0f} MB; {where}\n  gate: {line[:400]}"


if __name__ == "__main__":
    sys.exit(main())
