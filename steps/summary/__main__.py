"""``python -m steps.summary --run-id ID``: write and print the run report, export the sources' freshness.

Writes ``reports/<run_id>/summary.{json,md}``, the self-contained HTML report ``reports/<run_id>/index.html``
(:mod:`steps.summary.html`) and ``reports/<run_id>/metrics.prom`` (the sources' freshness gauges); with
``--metrics-textfile PATH`` (or ``TRIBUTARY_METRICS_TEXTFILE``) the gauges also go to that file, for
node-exporter's textfile collector; with ``--outputs DIR`` one file per gauge and source, for the exit handler's
Argo output parameters; with ``--artifacts DIR`` the HTML report and the Data Docs are copied there, for the exit
handler's Argo output artifacts (not in a local run, which uploads nothing). As the workflow's exit handler
(``--workflow-status`` given, or ``TRIBUTARY_WORKFLOW_STATUS`` set) it also records Argo's verdict and failed nodes,
stores its result as task ``on-exit``, and notifies ``TRIBUTARY_WEBHOOK_URL`` when that is set (each attempt waits
``TRIBUTARY_WEBHOOK_TIMEOUT_S``, default 10). A broken webhook, configuration or textfile is reported and never
fails the task: the report is what it is for.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from steps import layout
from steps.config import load_config
from steps.errors import ConfigError
from steps.names import WEBHOOK_KEY
from steps.redact import redact_free_text
from steps.stage import StageContext, run_stage
from steps.summary.alert import build_payload
from steps.summary.artifacts import export_report
from steps.summary.core import build_summary
from steps.summary.html import render_html
from steps.summary.metrics import argo_outputs, exposition, write_textfile
from steps.summary.notify import DEFAULT_TIMEOUT_S, notify
from steps.summary.render import render_markdown, render_text

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    """Build the summary of a run, store it as JSON and Markdown, print it, export metrics, notify."""
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
    parser.add_argument(
        "--metrics-textfile",
        type=Path,
        default=os.environ.get("TRIBUTARY_METRICS_TEXTFILE") or None,
        help="also write the freshness gauges to this .prom file (default: $TRIBUTARY_METRICS_TEXTFILE)",
    )
    parser.add_argument("--outputs", type=Path, help="folder for one file per gauge and source (Argo outputs)")
    parser.add_argument(
        "--artifacts",
        type=Path,
        help="folder to copy the HTML report, summary files and Data Docs into (the exit handler's Argo artifacts)",
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
            max_age_days=_max_age_days(ctx),
            now=datetime.now(UTC),
        )
        folder = layout.report_dir(ctx.run_id)
        ctx.lineage.read(ctx.lake_dataset(f"{folder}/stages"), ctx.lake_dataset(layout.freshness_decisions(ctx.run_id)))
        ctx.lineage.wrote(ctx.lake_dataset(f"{folder}/summary.json"))
        ctx.lake.write_json(f"{folder}/summary.json", summary)
        ctx.lake.write_bytes(f"{folder}/summary.md", render_markdown(summary).encode())
        ctx.lake.write_bytes(f"{folder}/index.html", render_html(summary).encode())
        # A local run (tributary run names its launcher) keeps the node folders in the lake and uploads nothing:
        # the copy would only double the report there.
        if args.artifacts is not None and os.environ.get("TRIBUTARY_LAUNCHER") in (None, "", "argo"):
            ctx.metrics["artifacts"] = len(export_report(ctx.lake, ctx.run_id, args.artifacts))
        sys.stdout.write(render_text(summary))
        ctx.metrics.update(status=summary["status"])
        if "freshness" in summary:
            _export(ctx, summary["freshness"], args.metrics_textfile, args.outputs)
        webhook = os.environ.get(WEBHOOK_KEY)
        if args.workflow_status and webhook:
            delivery = notify(webhook, build_payload(summary, [webhook]), timeout_s=_timeout())
            ctx.metrics["notified"] = delivery.ok
            if not delivery.ok:
                ctx.metrics["notify_problem"] = delivery.problem

    task = "on-exit" if args.workflow_status else "summary"
    return run_stage("summary", task, args.run_id, body)


def _max_age_days(ctx: StageContext) -> dict[str, float] | None:
    """The enabled sources and their SLA; None (said on stderr) when the configuration cannot be read.

    The report does not need it, so a broken configuration (which verify reports as the run's failure) leaves the
    report without its freshness section rather than without a report.
    """
    try:
        config = load_config(ctx.settings.config)
    except ConfigError as exc:
        sys.stderr.write(f"summary: no freshness section or metrics: {exc.line()}\n")
        ctx.metrics["freshness_problem"] = exc.line()
        return None
    return {name: config.source(name).max_age_days for name in config.enabled_sources()}


def _export(ctx: StageContext, freshness: list[dict[str, Any]], textfile: Path | None, outputs: Path | None) -> None:
    """The freshness gauges: in the report folder, the textfile collector's file, and the Argo output files."""
    text = exposition(freshness)
    ctx.lake.write_bytes(f"{layout.report_dir(ctx.run_id)}/metrics.prom", text.encode())
    if outputs is not None:
        outputs.mkdir(parents=True, exist_ok=True)
        for name, value in argo_outputs(freshness).items():
            (outputs / name).write_text(value)
    if textfile is not None:
        try:
            write_textfile(textfile, text)
        except OSError as exc:
            line = (
                f"metrics textfile {textfile}: {exc.strerror or exc}. Fix: point TRIBUTARY_METRICS_TEXTFILE at a "
                "writable file in an existing folder (node-exporter's --collector.textfile.directory)"
            )
            sys.stderr.write(f"summary: {line}\n")
            ctx.metrics["textfile_problem"] = line


def _timeout() -> float:
    """``TRIBUTARY_WEBHOOK_TIMEOUT_S`` (seconds per attempt, 0 < t <= 60); a bad value is said and replaced."""
    text = os.environ.get("TRIBUTARY_WEBHOOK_TIMEOUT_S")
    if not text:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 60:
        sys.stderr.write(
            f"summary: TRIBUTARY_WEBHOOK_TIMEOUT_S {text!r} is not a number of seconds in (0, 60]. "
            f"Fix: set it to e.g. 10; using {DEFAULT_TIMEOUT_S:g}\n"
        )
        return DEFAULT_TIMEOUT_S
    return value


def _failures(text: str | None) -> list[dict[str, Any]]:
    """Parse ``{{workflow.failures}}`` (Argo leaves the literal expression when there is nothing to report)."""
    if not text or text.startswith("{{"):
        return []
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise ConfigError(
            f"--workflow-failures is not JSON: {text[:80]!r}", "pass Argo's {{workflow.failures}}"
        ) from None
    nodes = [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
    # Argo's messages come from outside the stages (a pod's termination message, the controller): masked here,
    # before they reach the report, the log or the notification.
    return [{**n, "message": redact_free_text(str(n["message"]))} if n.get("message") else n for n in nodes]


if __name__ == "__main__":
    sys.exit(main())
