"""``python -m steps.freshness --run-id ID [--sources a,b] [--force] [--outputs DIR]``.

Also ``--schedule CRON --timezone TZ --scheduled-at TIME`` (a scheduled run) or ``--backfill SOURCE:START:END``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

from steps import layout
from steps.config import load_config
from steps.freshness.backfill import backfill_decisions, backfill_request, run_outputs
from steps.freshness.core import decide
from steps.freshness.trigger import ScheduledRun, scheduled_run
from steps.stage import StageContext, run_stage
from steps.state import CorruptState, SourceState, read_state, set_aside_corrupt_state

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    """Decide, per source, whether this run ingests it."""
    parser = argparse.ArgumentParser(prog="python -m steps.freshness", description=__doc__)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--sources", default="", help="comma-separated subset (default: every enabled source)")
    parser.add_argument("--force", default="false", help="true to ingest every source regardless of age")
    parser.add_argument(
        "--backfill", default="", help="SOURCE:START:END: ingest only SOURCE, for that range (empty: a regular run)"
    )
    parser.add_argument("--outputs", type=Path, help="folder for one true/false file per source (Argo outputs)")
    parser.add_argument(
        "--schedule", default="", help="cron expressions (';'-separated) this run is a scheduled run of; empty: manual"
    )
    parser.add_argument("--timezone", default="", help="zone of --schedule (default UTC)")
    parser.add_argument(
        "--scheduled-at", default="", help="ISO 8601 fire time of the run (default: the latest one of --schedule)"
    )
    args = parser.parse_args(argv)

    def body(ctx: StageContext) -> None:
        config = load_config(ctx.settings.config)
        names = [n for n in args.sources.split(",") if n] or config.enabled_sources()
        force = _flag(args.force)
        now = datetime.now(UTC)
        backfill = backfill_request(args.backfill, names, config, force=force)
        scheduled: ScheduledRun | None = None  # a backfill is never a scheduled run
        if backfill is not None:
            decisions = backfill_decisions(backfill, names, config, _state(ctx, backfill.source, force=False))
        else:
            scheduled = scheduled_run(args.schedule, args.timezone, args.scheduled_at, now)
            decisions = [
                decide(
                    _state(ctx, n, force=force), config.source(n).max_age_days, now, force=force, scheduled=scheduled
                )
                for n in names
            ]
        doc = {
            "run_id": ctx.run_id,
            "decided_at": now.isoformat(),
            "force": force,
            "schedule": _schedule_entry(scheduled),
            "backfill": {"source": backfill.source, "range": str(backfill.range)} if backfill else None,
            "decisions": [d.model_dump(mode="json") for d in decisions],
        }
        ctx.lineage.read(*(ctx.lake_dataset(layout.state(n)) for n in names))
        ctx.lake.write_json(layout.freshness_decisions(ctx.run_id), doc)
        ctx.lineage.wrote(ctx.lake_dataset(layout.freshness_decisions(ctx.run_id)))
        if args.outputs:
            args.outputs.mkdir(parents=True, exist_ok=True)
            for d in decisions:
                (args.outputs / d.source).write_text("true" if d.ingest else "false")
            for name, value in run_outputs(backfill, force=force).items():
                (args.outputs / name).write_text(value)
        sys.stdout.write(json.dumps(doc["decisions"]) + "\n")
        ctx.metrics.update(
            ingest=[d.source for d in decisions if d.ingest], skip=[d.source for d in decisions if not d.ingest]
        )

    return run_stage("freshness", "freshness", args.run_id, body)


def _state(ctx: StageContext, source: str, *, force: bool) -> SourceState:
    """The source's state; with ``--force`` a corrupt state file is set aside (and said so) instead of refused."""
    try:
        return read_state(ctx.lake, source)
    except CorruptState as exc:
        if not force:
            raise
        aside = set_aside_corrupt_state(ctx.lake, source, ctx.run_id)
        line = f"freshness: {exc.what}; --force: set it aside as {aside}, {source} is ingested from scratch"
        log.warning("corrupt state set aside", extra={"source": source, "moved_to": aside})
        sys.stderr.write(line + "\n")
        return SourceState(source=source)


def _schedule_entry(scheduled: ScheduledRun | None) -> dict[str, str] | None:
    """How the run was started, for the report: None when by hand, else its schedule and period."""
    if scheduled is None:
        return None
    return {
        "expressions": scheduled.schedule.text(),
        "timezone": scheduled.schedule.timezone,
        "scheduled_at": scheduled.scheduled_at.isoformat(),
        "period_start": scheduled.period_start.isoformat(),
        "next_at": scheduled.next_at.isoformat(),
    }


def _flag(value: str) -> bool:
    from steps.errors import ConfigError

    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no", ""):
        return False
    raise ConfigError(f"--force {value!r} is not a boolean", "pass true or false")


if __name__ == "__main__":
    sys.exit(main())
