"""The pure freshness rule: per source, ingest it in this run or skip it as fresh, and say why.

How a source's last successful ingest is judged depends on how the run was started:

- **A scheduled run** (:class:`~steps.freshness.trigger.ScheduledRun`: the period from its fire time to the next)
  ingests the source unless

  1. it was already ingested in this period: its last ingest finished at or after the period's start
     (:data:`~steps.freshness.trigger.CLOCK_SKEW` earlier counts, for a pod whose clock runs behind), or
  2. it stays within ``max_age`` until the next scheduled run, which is the next chance to refresh it. Both ends
     are fire times: the one at or before the last ingest, and the next run's. So the answer depends on the
     schedule and ``max_age`` only, never on how many seconds a run took: monthly with 30 days ingests every run
     whatever the month's length (from the previous period's start to the next run is 59 days or more);
     daily with 1 day ingests every day; daily with 30 days ingests every 30th day.

  A skip also needs the source younger than ``max_age`` now (the manual rule's test), so a run started long after
  its scheduled time never keeps stale data.
- **A manual or irregular run** ingests the source once its last ingest is ``max_age`` old, less an allowance for
  a run's own duration and clock skew (:func:`run_allowance`): the next run started at the same hour finds data
  ingested "30 days minus the minutes the ingest took" ago, which is what 30 days means here. A rerun the same day
  still finds it fresh.

``force`` ingests everything. Backfill records never count: ``state.last_success`` is the last regular ingest.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel

from steps.freshness.trigger import CLOCK_SKEW, ScheduledRun, when
from steps.state import IngestRecord, SourceState

# The most a manual run allows: an ingest attempt's deadline (workflows/argo/environments.yaml: 3600 s), since the
# next run's decision comes minutes into that run and the last ingest finished up to that long into its own.
RUN_ALLOWANCE = timedelta(hours=1)

Rule = Literal["forced", "never ingested", "schedule", "max_age"]


class Decision(BaseModel):
    """Whether to ingest one source in this run, and why."""

    source: str
    ingest: bool
    reason: str
    rule: Rule = "max_age"
    last_success_at: datetime | None = None
    last_success_run: str | None = None
    age_days: float | None = None
    max_age_days: float


def run_allowance(max_age: timedelta) -> timedelta:
    """What a manual run forgives of ``max_age``: an hour, or a 24th of a shorter ``max_age`` (an hour per day)."""
    return min(RUN_ALLOWANCE, max_age / 24)


def decide(
    state: SourceState,
    max_age_days: float,
    now: datetime,
    *,
    force: bool = False,
    scheduled: ScheduledRun | None = None,
) -> Decision:
    """Apply the rule of the run (scheduled when ``scheduled`` is given, else manual) to one source's state."""
    last = state.last_success
    base = Decision(source=state.source, ingest=True, reason="", max_age_days=max_age_days)
    if last is None:
        return base.model_copy(update={"reason": "never ingested", "rule": "never ingested"})
    age = now - last.finished_at
    base = base.model_copy(
        update={
            "last_success_at": last.finished_at,
            "last_success_run": last.run_id,
            "age_days": round(age / timedelta(days=1), 3),
        }
    )
    if force:
        return base.model_copy(update={"reason": "forced", "rule": "forced"})
    max_age = timedelta(days=max_age_days)
    stale = age >= max_age - run_allowance(max_age)
    if scheduled is not None:
        decision = _by_schedule(base, last, max_age, scheduled)
        if decision.ingest or not stale:
            return decision
    return _by_age(base, last, age, stale, scheduled)


def _by_age(
    base: Decision, last: IngestRecord, age: timedelta, stale: bool, scheduled: ScheduledRun | None
) -> Decision:
    limit = f"max_age {base.max_age_days:g}d"
    if stale:
        late = f" ({scheduled.describe()}, started late)" if scheduled is not None else ""
        return base.model_copy(update={"reason": f"stale: {age_text(age)} old, {limit}{late}"})
    reason = f"fresh: last ingest {age_text(age)} ago (run {last.run_id}), {limit}"
    return base.model_copy(update={"ingest": False, "reason": reason})


def _by_schedule(base: Decision, last: IngestRecord, max_age: timedelta, run: ScheduledRun) -> Decision:
    tz = run.schedule.timezone
    finished = last.finished_at
    ingested = f"last ingest {when(finished, tz)} (run {last.run_id})"
    if finished + CLOCK_SKEW >= run.period_start:
        reason = f"fresh: ingested in this period ({ingested}; {run.describe()})"
        return base.model_copy(update={"ingest": False, "rule": "schedule", "reason": reason})
    ingested_period = run.schedule.previous(finished + CLOCK_SKEW)
    if run.next_at - ingested_period <= max_age:
        reason = (
            f"fresh: {ingested} stays within max_age {base.max_age_days:g}d until the next scheduled run "
            f"({when(run.next_at, tz)})"
        )
        return base.model_copy(update={"ingest": False, "rule": "schedule", "reason": reason})
    reason = (
        f"{run.describe()}: {ingested} is before this period and would be past max_age {base.max_age_days:g}d "
        f"at the next run ({when(run.next_at, tz)})"
    )
    return base.model_copy(update={"rule": "schedule", "reason": reason})


def age_text(age: timedelta) -> str:
    """A duration as decisions and ``tributary status`` show it: ``45s``, ``12min``, ``5.2h``, ``28.0d``."""
    seconds = age.total_seconds()
    if seconds < 120:
        return f"{max(seconds, 0):.0f}s"  # a clock a little behind never shows "-3s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"
