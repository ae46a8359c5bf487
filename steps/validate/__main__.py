"""``python -m steps.validate --suite bronze|gold --run-id ID``: run one Great Expectations gate."""

from __future__ import annotations

import argparse
import sys

from steps.stage import StageContext, run_stage
from steps.validate.runner import quiet_gx
from steps.validate.suites import GATES


def main(argv: list[str] | None = None) -> int:
    """Run the bronze or the gold gate of a run as task ``validate-<suite>``."""
    parser = argparse.ArgumentParser(prog="python -m steps.validate", description=__doc__)
    parser.add_argument("--suite", required=True, choices=GATES, help="bronze (after ingest) or gold (after dbt gold)")
    parser.add_argument("--run-id", required=True, help="run id (the Argo workflow name)")
    args = parser.parse_args(argv)
    quiet_gx()  # before anything can import great_expectations

    def body(ctx: StageContext) -> None:
        from steps.validate import gates

        if args.suite == "bronze":
            gates.bronze_gate(ctx)
        else:
            gates.gold_gate(ctx)

    return run_stage("validate", f"validate-{args.suite}", args.run_id, body)


if __name__ == "__main__":
    sys.exit(main())
