"""``python -m steps.summary --run-id ID``: write and print the run report.

As the workflow's exit handler (``--workflow-status`` given, or ``TRIBUTARY_WORKFLOW_STATUS`` set) it also records
Argo's verdict and failed nodes, stores its result as task ``on-exit``, and notifies ``TRIBUTARY_WEBHOOK_URL``
when that is set.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from steps import layout
from steps.errors import ConfigError
from steps.stage import StageContext, run_stage
from steps.summary.core import build_summary
from steps.summary.notify import notify
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
    parser.add_argument(
        "--workflow-status",
        default=os.environ.get("TRIBUTARY_WORKFLOW_STATUS") or None,
        choices=["Succeeded", "Failed", "Error"],
        help="Argo's {{workflow.status}}: run as the exit handler (default: $TRIBUTARY_WORKFLOW_STATUS)",
    )
    parser.add_argument(
        "--workflow-failures",
        default=os.environ.get("TRIBUTARY_WORKFLOW_FAILURES") or None,
        help="Argo's {{workflow.failures}} JSON list (default: $TRIBUTARY_WORKFLOW_FAILURES)",
    )
    parser.add_argument(
        "--interrupted-by",
        default=os.environ.get("TRIBUTARY_WORKFLOW_INTERRUPTED") or None,
        help="the signal that stopped a local run (default: $TRIBUTARY_WORKFLOW_INTERRUPTED, set by the runner)",
    )
    args = parser.parse_args(argv)

    def body(ctx: StageContext) -> None:
        nodes = json.loads(args.nodes.read_text()) if args.nodes and args.nodes.exists() else None
        summary = build_summary(
            ctx.lake,
            ctx.run_id,
            nodes,
            workflow_status=args.workflow_status,
            failures=_failures(args.workflow_failures),
            launcher=os.environ.get("TRIBUTARY_LAUNCHER"),
            interrupted_by=args.interrupted_by,
        )
        folder = layout.report_dir(ctx.run_id)
        ctx.lineage.read(ctx.lake_dataset(f"{folder}/stages"), ctx.lake_dataset(layout.freshness_decisions(ctx.run_id)))
        ctx.lineage.wrote(ctx.lake_dataset(f"{folder}/summary.json"))
        ctx.lake.write_json(f"{folder}/summary.json", summary)
        ctx.lake.write_bytes(f"{folder}/summary.md", render_markdown(summary).encode())
        sys.stdout.write(render_text(summary))
        ctx.metrics.update(status=summary["status"])
        webhook = os.environ.get("TRIBUTARY_WEBHOOK_URL")
        if args.workflow_status and webhook:
            ctx.metrics["notified"] = notify(webhook, summary)

    task = "on-exit" if args.workflow_status else "summary"
    return run_stage("summary", task, args.run_id, body)


def _failures(text: str | None) -> list[dict[str, Any]]:
    """Parse ``{{workflow.failures}}``; Argo leaves the literal expression when there is nothing to report."""
    if not text or text.startswith("{{"):
        return []
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise ConfigError(
            f"--workflow-failures is not JSON: {text[:80]!r}", "pass Argo's {{workflow.failures}}"
        ) from None
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


if __name__ == "__main__":
    sys.exit(main())
