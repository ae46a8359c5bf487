"""Where every enabled source stands against its freshness SLA (``max_age_days``) when a run ends.

The run report lists it, and the exit handler exports it as Prometheus metrics (:mod:`steps.summary.metrics`):
the last successful ingest as a timestamp, so an alert computes the age itself and keeps firing between runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from steps.lake import Lake
from steps.state import CorruptState, SourceState, read_state

DAY = timedelta(days=1)


def freshness_snapshot(lake: Lake, max_age_days: Mapping[str, float], now: datetime) -> list[dict[str, Any]]:
    """One entry per source of ``max_age_days`` (the enabled sources, in order), read from its state file."""
    out = []
    for source, max_age in max_age_days.items():
        try:
            state = read_state(lake, source)
        except CorruptState as exc:  # reported, never guessed: no age, no metrics for this source
            out.append({"source": source, "max_age_days": max_age, "problem": exc.what})
            continue
        out.append(sla_entry(state, max_age, now))
    return out


def sla_entry(state: SourceState, max_age_days: float, now: datetime) -> dict[str, Any]:
    """The source's last successful ingest, its age at ``now`` and whether that exceeds ``max_age_days``.

    A source that never committed an ingest is overdue: it has no data at all. A backfill never counts as the last
    success (steps.state), so a backfill cannot hide a source that stopped ingesting.
    """
    last = state.last_success
    if last is None:
        return {
            "source": state.source,
            "last_success_at": None,
            "last_success_run": None,
            "age_days": None,
            "max_age_days": max_age_days,
            "overdue": True,
        }
    age = now - last.finished_at
    return {
        "source": state.source,
        "last_success_at": last.finished_at.isoformat(),
        "last_success_run": last.run_id,
        "age_days": round(age / DAY, 3),
        "max_age_days": max_age_days,
        "overdue": age > timedelta(days=max_age_days),
    }
