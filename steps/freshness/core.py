"""The pure freshness rule: ingest unless the last successful ingest is younger than ``max_age``."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel

from steps.state import SourceState


class Decision(BaseModel):
    """Whether to ingest one source in this run, and why."""

    source: str
    ingest: bool
    reason: str
    last_success_at: datetime | None = None
    last_success_run: str | None = None
    age_days: float | None = None
    max_age_days: float


def decide(state: SourceState, max_age_days: float, now: datetime, *, force: bool = False) -> Decision:
    """Apply the rule to one source's state."""
    last = state.last_success
    base = Decision(source=state.source, ingest=True, reason="", max_age_days=max_age_days)
    if last is None:
        return base.model_copy(update={"reason": "never ingested"})
    age = now - last.finished_at
    facts = {
        "last_success_at": last.finished_at,
        "last_success_run": last.run_id,
        "age_days": round(age / timedelta(days=1), 3),
    }
    if force:
        return base.model_copy(update={**facts, "reason": "forced"})
    if age >= timedelta(days=max_age_days):
        return base.model_copy(update={**facts, "reason": f"stale: {_age(age)} old, max_age {max_age_days:g}d"})
    reason = f"fresh: last ingest {_age(age)} ago (run {last.run_id}), max_age {max_age_days:g}d"
    return base.model_copy(update={**facts, "ingest": False, "reason": reason})


def _age(age: timedelta) -> str:
    seconds = age.total_seconds()
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"
