"""``make bench``: wall time and peak memory of the full local run and of the ingest stage alone.

A benchmark, not a test: it prints numbers and asserts nothing. Peak RSS is the largest resident set of any
process of the measured command (``ru_maxrss`` of the waited children), which is what a pod limit must cover.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from steps.replay.server import ReplayServer

REPO = Path(__file__).resolve().parents[1]


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Run ``argv``; returns (wall seconds, peak RSS in MB of its largest process, exit code)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    # wait4's rusage covers the child and the descendants it waited for; Linux reports ru_maxrss in KB
    peak = usage.ru_maxrss / 1024
    return wall, peak, os.waitstatus_to_exitcode(status)


def main() -> int:
    """Print the benchmark table."""
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("TRIBUTARY_")}
    rows: list[tuple[str, float, float, int]] = []
    with tempfile.TemporaryDirectory() as tmp, ReplayServer() as server:
        lake = Path(tmp) / "lake"
        run = [sys.executable, "-m", "workflows.cli", "run", "--replay", "--lake", str(lake)]
        rows.append(("tributary run --replay (first run)", *measure([*run, "--run-id", "bench-1"], base_env)))
        rows.append(("tributary run --replay (no-op rerun)", *measure([*run, "--run-id", "bench-2"], base_env)))
        env = {
            **base_env,
            "TRIBUTARY_LAKE": str(Path(tmp) / "ingest-lake"),
            "TRIBUTARY_TARGET": "local",
            "TRIBUTARY_SOURCE_WORLDBANK_BASE_URL": server.worldbank_base_url,
            "TRIBUTARY_SOURCE_VN_PROVINCES_BASE_URL": server.provinces_base_url,
        }
        for source in ("worldbank", "vn_provinces"):
            argv = [sys.executable, "-m", "steps.ingest", "--source", source, "--run-id", "bench"]
            rows.append((f"ingest stage: {source}", *measure(argv, env)))
    width = max(len(r[0]) for r in rows)
    sys.stdout.write(f"{'what':<{width}}  {'wall s':>7}  {'peak RSS MB':>11}  exit\n")
    for what, wall, peak, code in rows:
        sys.stdout.write(f"{what:<{width}}  {wall:7.2f}  {peak:11.1f}  {code}\n")
    return 0 if all(r[3] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
