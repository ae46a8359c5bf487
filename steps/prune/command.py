"""``python -m steps.prune`` (and ``tributary prune``): plan, print, delete, then maintain the warehouse.

Arguments, then the settings every stage reads (``TRIBUTARY_LAKE``, ``TRIBUTARY_CONFIG``, the S3 ones,
``TRIBUTARY_TARGET`` and, for Trino, dbt's ``DBT_TRINO_*``). Exit codes as the stages': 0 done, 2 bad input, 75
transient (the object store or the warehouse), 130/143 interrupted (every unit is deleted in a safe order,
:mod:`steps.prune.execute`, so an interruption leaves a lake every reader reads; run it again to finish).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from typing import Any

from steps.errors import ConfigError, StepError
from steps.lake import Lake
from steps.logs import configure_logging
from steps.prune import content, execute, facts, maintenance, plan, report
from steps.prune.options import add_arguments
from steps.redact import redact_text
from steps.settings import StageSettings, load_settings
from steps.stage import Terminated
from steps.summary.render import human_bytes

log = logging.getLogger("steps.prune")


def build_parser(prog: str = "python -m steps.prune") -> argparse.ArgumentParser:
    """The arguments of the prune command (``tributary prune`` adds ``--lake`` and ``--config``)."""
    parser = argparse.ArgumentParser(prog=prog, description="Remove what the retention policy no longer keeps.")
    add_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns its exit code."""
    args = build_parser().parse_args(argv)
    configure_logging()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminated)
    try:
        return run(args)
    except StepError as exc:
        sys.stderr.write(f"prune: {redact_text(exc.line())}\n")
        return exc.exit_code
    except Terminated:
        sys.stderr.write("prune: terminated (SIGTERM); what was deleted was deleted whole. Run it again to finish\n")
        return 143
    except KeyboardInterrupt:
        sys.stderr.write("prune: interrupted; what was deleted was deleted whole. Run it again to finish\n")
        return 130


def _terminated(_signum: int, _frame: object) -> None:
    raise Terminated  # unwinds like Ctrl-C: the unit being deleted is left in its safe state


def run(args: argparse.Namespace) -> int:
    """Plan against the policy, print, delete unless a dry run, then maintain the warehouse."""
    from steps.config import load_config

    as_of = parse_as_of(args.as_of) if args.as_of else datetime.now(UTC)
    retention = maintenance.check_retention(args.iceberg_retention)
    settings = load_settings(StageSettings)
    policy = load_config(settings.config).retention
    lake = Lake.from_settings(settings)
    compare = not policy.bronze.keeps_everything() and not policy.bronze.allow_history_loss
    found = facts.gather(
        lake, lambda committed: content.fingerprints(lake, committed, save=not args.dry_run) if compare else {}
    )
    decided = plan.plan(found, policy, as_of)
    if not args.dry_run and decided.removals:
        objects, freed = execute.execute(lake, decided)
        log.info("pruned", extra={"objects": objects, "bytes": freed})
    done = None if args.no_maintenance else maintain(lake, retention, dry_run=args.dry_run)
    doc = report.document(decided, dry_run=args.dry_run, maintenance=done)
    sys.stdout.write((json.dumps(doc, indent=2) if args.json else report.text(doc)) + "\n")
    return 0


def parse_as_of(text: str) -> datetime:
    """``--as-of``: an ISO 8601 date or time, UTC unless it names an offset."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"--as-of {text!r} is not a date or time", "use ISO 8601, e.g. 2027-01-31 or 2027-01-31T12:00:00Z"
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def maintain(lake: Lake, retention: str, *, dry_run: bool) -> dict[str, Any]:
    """The warehouse maintenance of ``TRIBUTARY_TARGET``: a DuckDB checkpoint or the Iceberg procedures."""
    target = os.environ.get("TRIBUTARY_TARGET")
    if target == "trino":
        manifest = lake.read_json("state/_dbt_manifest.json") or {}
        statements = maintenance.trino_statements(maintenance.tables(manifest), retention)
        if not dry_run:
            maintenance.run_trino(statements)
        verb = "would run" if dry_run else "ran"
        return {"target": "trino", "statements": statements, "summary": f"{verb} {len(statements)} Iceberg statements"}
    if target == "local":
        from steps.warehouse import WarehouseSettings, duckdb_path

        path = duckdb_path(lake, load_settings(WarehouseSettings))
        if not path.exists():
            return {"target": "local", "path": str(path), "summary": f"no DuckDB file at {path}: nothing to check"}
        if dry_run:
            size = path.stat().st_size
            return {"target": "local", "path": str(path), "summary": f"would CHECKPOINT {path} ({human_bytes(size)})"}
        before, after = maintenance.checkpoint(path)
        return {
            "target": "local",
            "path": str(path),
            "bytes_before": before,
            "bytes_after": after,
            "summary": f"CHECKPOINT {path}: {human_bytes(before)} -> {human_bytes(after)}",
        }
    if target:
        raise ConfigError(f"TRIBUTARY_TARGET {target!r} is not a target", "use local or trino")
    return {"target": None, "summary": "TRIBUTARY_TARGET is not set: no warehouse maintenance"}
