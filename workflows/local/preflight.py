"""What ``tributary run`` checks before it writes anything: run id, lake, sources, snapshot, schedule, config, state.

``tributary backfill`` checks the same, and its source and range. Each check raises a
:class:`~steps.errors.ConfigError` (one line: what, the bad value, the fix; exit 2). They run before the work
folder, the lock or any task exists, so a bad argument leaves nothing behind, inside the lake or outside it (a run
id like ``../../x`` used to create folders before it was refused).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path

from steps.config import PipelineConfig, load_config
from steps.errors import ConfigError
from steps.freshness.backfill import check_request
from steps.freshness.trigger import ScheduledRun, scheduled_run
from steps.sources.backfill import Backfill, BackfillRequest
from steps.state import SourceState


def check_lake(lake: str) -> None:
    """A local lake must be a folder we can write, or not exist yet below a folder we can write."""
    if "://" in lake:
        if not lake.startswith("s3://") or not lake[len("s3://") :].strip("/"):
            raise ConfigError(f"--lake {lake!r} is not a usable lake", "use a local folder or s3://bucket[/prefix]")
        return
    path = Path(lake)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"--lake {lake} is a file, not a folder", "point --lake at a folder (or a new path)")
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        where = lake if existing == path else f"{existing} (where --lake {lake} would be created)"
        raise ConfigError(f"--lake {where} is not writable", "choose a folder you can write, or fix its permissions")


def check_sources(text: str) -> tuple[str, ...]:
    """The sources ``--sources`` names (comma-separated); refuses a list that names none."""
    names = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    if not names:
        raise ConfigError(
            f"--sources {text!r} names no source", "pass source names separated by commas, e.g. worldbank"
        )
    return names


def parse_snapshot(text: str) -> date:
    """The date ``--snapshot`` gives."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--snapshot {text!r} is not a date", "use YYYY-MM-DD, e.g. 2025-01-04") from None


def check_schedule(
    schedule: str | None, timezone: str | None, scheduled_at: str | None, now: datetime | None = None
) -> ScheduledRun | None:
    """The period ``--schedule``/``--timezone``/``--scheduled-at`` make the run the scheduled run of (None: manual).

    Without ``--scheduled-at`` it is the latest fire time of the schedule, as for a crontab line that runs
    ``tributary run --schedule "0 0 1 * *"`` at those times.
    """
    if schedule is None and timezone is not None:
        raise ConfigError(
            f"--timezone {timezone!r} is given without --schedule", "add the --schedule it is the zone of, or drop it"
        )
    return scheduled_run(schedule or "", timezone or "", scheduled_at or "", now or datetime.now(UTC))


def check_schedule_parameters(declared: Iterable[str], scheduled: ScheduledRun, spec: Path) -> None:
    """A ``--spec`` file must declare the workflow parameters a scheduled run sets (files rendered before it don't)."""
    missing = sorted(set(scheduled.parameters()) - set(declared))
    if missing:
        raise ConfigError(
            f"--spec {spec} declares no workflow parameters {', '.join(missing)}, which --schedule sets",
            "render the spec again with tributary render, or drop --schedule",
        )


def load_run_config(config: Path | None, sources: tuple[str, ...]) -> PipelineConfig:
    """The pipeline configuration, validated, with every named source known to it."""
    loaded = load_config(config)
    for name in sources:
        loaded.source(name)  # a ConfigError naming the known sources
    return loaded


def check_backfill(source: str, text: str, config: PipelineConfig, sources: tuple[str, ...]) -> BackfillRequest:
    """``tributary backfill SOURCE START:END``, checked as the freshness task will check it.

    The source must be one of the run's and have a time dimension, the range must be in its form (years for the
    World Bank, dates for the others).
    """
    return check_request(BackfillRequest(source, Backfill.parse(text)), sources, config)


def check_state(lake: str, sources: tuple[str, ...], *, force: bool) -> dict[str, SourceState]:
    """The lake's state files must parse, unless ``--force`` (the freshness task then sets them aside).

    Returns the states read (none with ``--force`` or a lake that does not exist yet). An S3 lake is opened with
    the endpoint and region the stages and the lake lease read; an endpoint that does not answer is a transient
    error (exit 75) here as anywhere.
    """
    if force or ("://" not in lake and not Path(lake).is_dir()):
        return {}
    from steps.lake import Lake
    from steps.state import read_state

    opened = Lake(
        lake,
        s3_endpoint=os.environ.get("TRIBUTARY_S3_ENDPOINT") or None,
        s3_region=os.environ.get("TRIBUTARY_S3_REGION") or None,
    )
    return {name: read_state(opened, name) for name in sources}
