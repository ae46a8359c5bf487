"""``python -m steps.summary --run-id ID``: write and print the run report."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from steps import layout
from steps.stage import StageContext, run_stage
from steps.summary.core import build_summary
from steps.summary.render import render_markdown, render_text


def main(argv: list[str] | None = None) -> int:
    """Build the summary of a run, store it as JSON and Markdown, and print it."""
    parser = argparse.ArgumentParser(prog="python -m steps.summary", description=__doc__)
    parser.add_argument("--run-id", required=True)
    parser.add_argument(
        "--nodes",
        type=Path,
        default=os.environ.get("TRIBUTARY_WORKFLOW_NODES") or None,
        help="JSON list of task phases and durations from the runner (default: $TRIBUTARY_WORKFLOW_NODES)",
    )
    args = parser.parse_args(argv)

    def body(ctx: StageContext) -> None:
        nodes = json.loads(args.nodes.read_text()) if args.nodes and args.nodes.exists() else None
        summary = build_summary(ctx.lake, ctx.run_id, nodes)
        folder = layout.report_dir(ctx.run_id)
        ctx.lake.write_json(f"{folder}/summary.json", summary)
        ctx.lake.write_bytes(f"{folder}/summary.md", render_markdown(summary).encode())
        sys.stdout.write(render_text(summary))
        ctx.metrics.update(status=summary["status"])

    return run_stage("summary", "summary", args.run_id, body)


if __name__ == "__main__":
    sys.exit(main())
