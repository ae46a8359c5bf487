"""``tributary status``: its options, and the run of the command (inputs checked, facts read, report printed).

Exit codes: 0 every source OK or due and the last run succeeded; 1 something needs attention (see
:mod:`workflows.status.core`); 2 bad input (lake, configuration, schedule, cluster credentials or RBAC), one line;
75 the object store or the Kubernetes API did not answer, one line.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workflows.status.core import ClusterView, ScheduleView, StatusReport

CLUSTER_RUNS = 10  # the newest Workflows shown (Argo keeps a few per outcome: the CronWorkflow's history limits)


def add_arguments(parser: argparse.ArgumentParser, environments: Sequence[str], default_config: Path | None) -> None:
    """The options of ``tributary status`` (imports nothing heavy: ``tributary --help`` builds every parser)."""
    parser.add_argument(
        "--lake",
        default=os.environ.get("TRIBUTARY_LAKE") or "lake",
        help="lake root: a folder or s3://bucket[/prefix] (default: $TRIBUTARY_LAKE, else ./lake)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=default_config,
        help="pipeline configuration YAML: its enabled sources and max_age_days (default: $TRIBUTARY_CONFIG, "
        "else the packaged one)",
    )
    parser.add_argument("--json", action="store_true", help="print the JSON document instead of the table")
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--schedule", metavar="CRON", help='the schedule runs follow, e.g. "0 0 1 * *" (UTC)')
    when.add_argument(
        "--env",
        choices=environments,
        help="the schedule, timezone and run deadlines of this environment (workflows/argo/environments.yaml); "
        "default: no schedule",
    )
    parser.add_argument(
        "--grace",
        type=grace_duration,
        metavar="DURATION",
        help="how long a run may take to start and finish before a due source is overdue, e.g. 30m, 6h "
        "(default: the environment's startingDeadlineSeconds + activeDeadlineSeconds, else 6h)",
    )
    parser.add_argument(
        "--cluster", action="store_true", help="also list the recent Workflow runs of the pipeline in Kubernetes"
    )
    parser.add_argument(
        "--namespace",
        help="namespace of the Workflows (default: $ARGO_NAMESPACE, else the pod's own, else the environment's)",
    )
    parser.add_argument(
        "--kubeconfig",
        type=Path,
        help="kubeconfig for --cluster (default: the pod's service account in a pod, else $KUBECONFIG or "
        "~/.kube/config)",
    )


def grace_duration(text: str) -> timedelta:
    """Parse ``--grace``: seconds or a Go duration such as ``30m``, ``6h``, ``1h30m``."""
    from workflows.argo.settings import duration_seconds

    try:
        return timedelta(seconds=duration_seconds(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration; use e.g. 0s, 30m, 6h or 1h30m") from None


def main(args: argparse.Namespace) -> int:
    """Print the status of the lake (and cluster); the exit code says whether anything needs attention."""
    from steps.errors import StepError
    from steps.redact import redact_text
    from workflows.status.render import render_json, render_text

    try:
        report = build(args, os.environ, datetime.now(UTC))
    except StepError as exc:
        sys.stderr.write(f"tributary status: {redact_text(exc.line())}\n")
        return exc.exit_code
    sys.stdout.write(redact_text(render_json(report) if args.json else render_text(report)))
    return report.exit_code


def build(args: argparse.Namespace, environ: Mapping[str, str], now: datetime) -> StatusReport:
    """Check the inputs, read the lake (and the cluster), and make the report.

    Everything the user gives is checked before the first request: configuration, schedule, lake path.
    """
    from steps.config import load_config
    from steps.errors import ConfigError
    from workflows.status.core import MAX_RUNS, build_report, enough_runs
    from workflows.status.lake_reader import enabled_sources, open_lake, read_lake

    if not args.cluster and (args.namespace or args.kubeconfig):
        raise ConfigError("--namespace and --kubeconfig apply to --cluster only", "add --cluster, or drop them")
    config = load_config(args.config)
    view, grace = schedule_view(args.schedule, args.env)
    lake = open_lake(args.lake, environ)
    sources = enabled_sources(config)
    facts = read_lake(lake, config, enough=enough_runs(sources, now), max_runs=MAX_RUNS)
    cluster = read_cluster(args, environ) if args.cluster else None
    return build_report(
        facts, now=now, schedule=view, grace=args.grace if args.grace is not None else grace, cluster=cluster
    )


def schedule_view(text: str | None, env_name: str | None) -> tuple[ScheduleView | None, timedelta]:
    """The schedule to compare against and the run's grace: from ``--schedule``, from ``--env``, or none."""
    from steps.errors import ConfigError
    from steps.schedule import Schedule
    from workflows.argo.settings import SettingsError, load_environment
    from workflows.status.core import DEFAULT_GRACE, ScheduleView

    if text is not None:
        return ScheduleView(Schedule.parse(text), "--schedule"), DEFAULT_GRACE
    if env_name is None:
        return None, DEFAULT_GRACE
    try:
        env = load_environment(env_name)
    except SettingsError as exc:
        raise ConfigError(str(exc), "correct workflows/argo/environments.yaml") from None
    planned = env.schedule
    schedule = Schedule.parse(";".join(planned.schedules), planned.timezone)
    # a tick may start up to startingDeadlineSeconds late, and the run is failed after activeDeadlineSeconds
    grace = timedelta(seconds=planned.starting_deadline_seconds + env.workflow.active_deadline_seconds)
    return ScheduleView(schedule, f"environment {env_name}", suspended=planned.suspend), grace


def read_cluster(args: argparse.Namespace, environ: Mapping[str, str]) -> ClusterView:
    """The pipeline's recent Workflow runs in its namespace."""
    from workflows.argo.settings import load_environment
    from workflows.status.argo_runs import newest_first, parse_workflow
    from workflows.status.cluster_reader import default_namespace, list_workflows
    from workflows.status.core import ClusterView

    namespace = (
        args.namespace or default_namespace(args.kubeconfig, environ) or load_environment(args.env or "dev").namespace
    )
    runs = newest_first([parse_workflow(item) for item in list_workflows(namespace, args.kubeconfig, environ)])
    return ClusterView(namespace=namespace, runs=tuple(runs[:CLUSTER_RUNS]))
