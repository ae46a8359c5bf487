"""What ``tributary status`` reads, as plain values: sources, last successes, run reports, quota counts.

A run report (``reports/<run_id>/summary.json``, written by ``steps.summary``) is parsed defensively: other parts
of the pipeline add keys to it over time, and an older or half-written report may lack some. A missing key is an
unknown value, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

FAILED_PHASES = frozenset({"Failed", "Error"})
# What a report's source entry says about that source (steps.summary.core), as the status words.
OUTCOMES = {"succeeded": "ingested", "skipped": "skipped", "failed": "failed", "rejected": "rejected"}


@dataclass(frozen=True)
class SourceSpec:
    """An enabled source of the pipeline configuration, as far as status needs it."""

    name: str
    max_age_days: float
    daily_quota: int | None = None


@dataclass(frozen=True)
class LastSuccess:
    """The source's last successful regular ingest (its state file's ``last_success``)."""

    run_id: str
    finished_at: datetime
    rows: Mapping[str, int]

    @property
    def total_rows(self) -> int:
        """Rows over every dataset of that ingest."""
        return sum(self.rows.values())


@dataclass(frozen=True)
class QuotaCount:
    """Requests counted against a daily quota on one UTC day."""

    day: date
    used: int
    per_day: int | None
    basis: str  # where the count was read: "lake" (the live count) or "run <id>" (what that run recorded)


@dataclass(frozen=True)
class SourceOutcome:
    """What one run did with one source: ingested, skipped, failed, rejected (by the bronze gate) or not run."""

    outcome: str
    message: str = ""
    breaker_open: bool = False
    quota: QuotaCount | None = None

    @property
    def failed(self) -> bool:
        """Whether the source's data did not land in that run (it failed, or the bronze gate rejected it)."""
        return self.outcome in ("failed", "rejected")


@dataclass(frozen=True)
class FailedTask:
    """A task of a run that failed, with its one-line reason."""

    task: str
    message: str


@dataclass(frozen=True)
class GateOutcome:
    """A validation gate in one run: passed, failed or skipped, and why."""

    gate: str
    outcome: str
    detail: str = ""


@dataclass(frozen=True)
class Run:
    """One run's report."""

    run_id: str
    finished_at: datetime  # when its report was written (the report's modification time)
    status: str  # succeeded, failed, interrupted (or unknown)
    failed_tasks: tuple[FailedTask, ...] = ()
    sources: Mapping[str, SourceOutcome] = field(default_factory=dict)
    gates: tuple[GateOutcome, ...] = ()

    @property
    def succeeded(self) -> bool:
        """Whether the run as a whole succeeded."""
        return self.status == "succeeded"


@dataclass(frozen=True)
class LakeFacts:
    """Everything the lake says about the enabled sources."""

    lake: str
    sources: tuple[SourceSpec, ...]
    last_success: Mapping[str, LastSuccess | None]
    runs: tuple[Run, ...]  # newest first
    quota: Mapping[str, QuotaCount | None]  # the live daily count of each source with a daily quota, when known


def run_from_summary(doc: Any, run_id: str, finished_at: datetime) -> Run:
    """The :class:`Run` a ``summary.json`` describes; keys it lacks are unknown values, not errors."""
    d = doc if isinstance(doc, dict) else {}
    tasks = [t for t in _list(d.get("tasks")) if isinstance(t, dict)]
    failed = [_failed_task(t) for t in tasks if _text(t.get("phase")) in FAILED_PHASES]
    named = {f.task for f in failed}
    failed += [FailedTask(name, "") for name in map(_text, _list(d.get("failed_tasks"))) if name and name not in named]
    run = _text(d.get("run_id")) or run_id
    # A source the run never reached ("not run": it ended before, or the source was not in it) was not touched by
    # it: the row then shows the newest run that did something with the source.
    sources = {
        _text(s["source"]): _outcome(s, run)
        for s in _list(d.get("sources"))
        if isinstance(s, dict) and s.get("source") and s.get("status") != "not run"
    }
    gates = tuple(_gate(g) for g in _list(d.get("validation")) if isinstance(g, dict) and g.get("gate"))
    return Run(
        run_id=run,
        finished_at=finished_at,
        status=_text(d.get("status")) or "unknown",
        failed_tasks=tuple(failed),
        sources=sources,
        gates=gates,
    )


def quota_count(raw: Any, basis: str) -> QuotaCount | None:
    """A daily count as the ingest records it (``{"day", "used", "per_day"}``); None when it is not one."""
    if not isinstance(raw, dict):
        return None
    try:
        day = date.fromisoformat(str(raw["day"]))
        used = int(raw["used"])
        per_day = int(raw["per_day"]) if raw.get("per_day") is not None else None
    except (KeyError, TypeError, ValueError):
        return None
    return QuotaCount(day=day, used=used, per_day=per_day, basis=basis)


def _failed_task(entry: dict[str, Any]) -> FailedTask:
    task = _text(entry.get("task")) or "?"
    message = _text(entry.get("message"))
    # a stage's own line starts with its name ("verify: 1 of 4 checks failed: ..."); the task says it already
    return FailedTask(task, message.removeprefix(f"{task}: "))


def _outcome(entry: dict[str, Any], run_id: str) -> SourceOutcome:
    status = _text(entry.get("status"))
    breaker = entry.get("breaker")
    return SourceOutcome(
        outcome=OUTCOMES.get(status, status or "unknown"),
        message=_text(entry.get("error")) or _text(entry.get("reason")),
        breaker_open=isinstance(breaker, dict) and breaker.get("state") == "open",
        quota=quota_count(entry.get("quota"), f"run {run_id}"),
    )


def _gate(entry: dict[str, Any]) -> GateOutcome:
    status = _text(entry.get("status"))
    outcome = _text(entry.get("outcome")) or {"succeeded": "passed"}.get(status, status or "unknown")
    failures = [_text(f) for f in _list(entry.get("failures"))[:3]]
    detail = "; ".join(f for f in failures if f) or _text(entry.get("reason")) or _text(entry.get("error"))
    return GateOutcome(gate=_text(entry.get("gate")), outcome=outcome, detail=detail)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split())
