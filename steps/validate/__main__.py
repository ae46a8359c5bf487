"""``python -m steps.validate --suite bronze|gold --run-id ID [--outputs DIR]``: run one Great Expectations gate.

``python -m steps.validate --held-back SOURCES --run-id ID`` is the DAG's ``held-back`` task: it fails (exit 2) with
one line naming the sources the bronze gate held back and why (:mod:`steps.validate.held_back`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from steps.names import HELD_BACK_TASK
from steps.stage import StageContext, run_stage
from steps.validate import PRELOAD_ENV
from steps.validate.gx_import import quiet_gx
from steps.validate.suites import GATES


def main(argv: list[str] | None = None) -> int:
    """Run the bronze or the gold gate of a run as task ``validate-<suite>``, or the ``held-back`` task."""
    parser = argparse.ArgumentParser(prog="python -m steps.validate", description=__doc__)
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--suite", choices=GATES, help="bronze (after ingest) or gold (after dbt gold)")
    what.add_argument("--held-back", metavar="SOURCES", help="fail naming these held-back sources (comma-separated)")
    parser.add_argument("--run-id", required=True, help="run id (the Argo workflow name)")
    parser.add_argument("--outputs", type=Path, help="bronze: folder for the 'held-back' output (Argo output)")
    args = parser.parse_args(argv)
    for name, value in PRELOAD_ENV.items():  # read when pyarrow loads, which the gates import (why: __init__.py)
        os.environ.setdefault(name, value)
    quiet_gx()  # before anything can import great_expectations

    if args.held_back is not None:
        return run_stage("validate", HELD_BACK_TASK, args.run_id, lambda ctx: _held_back(ctx, args.held_back))

    def body(ctx: StageContext) -> None:
        from steps.validate import gates, held_back

        if args.suite == "bronze":
            gates.bronze_gate(ctx)
            if args.outputs:
                held_back.write_output(args.outputs, ctx.metrics.get("held_back") or [])
        else:
            gates.gold_gate(ctx)

    return run_stage("validate", f"validate-{args.suite}", args.run_id, body)


def _held_back(ctx: StageContext, value: str) -> None:
    from steps.validate import held_back

    held_back.report_held_back(ctx, held_back.parse_sources(value))


if __name__ == "__main__":
    sys.exit(main())
