"""The pure part of ``tributary status``: SLA states, one row per source, the problems and the exit code.

SLA states, for a source whose last successful ingest finished at ``last`` with ``max_age_days`` (its SLA):

- **OK**: younger than ``max_age_days``;
- **due**: at least ``max_age_days`` old, and the run that should ingest it has not had its chance yet. With a
  schedule, that run is the first scheduled run at or after the moment it became due (``last + max_age``): every
  freshness rule ingests a source that is stale when a scheduled run starts. The chance lasts ``grace``: how long a
  run may take to start and finish (an environment's ``startingDeadlineSeconds`` plus ``activeDeadlineSeconds``,
  else 6 h). Without a schedule nothing is expected to run it, so the grace counts from the moment it became due;
- **overdue**: still not ingested once that chance is over (``overdue_at``);
- **never**: no successful ingest at all.

The exit code makes the command a probe or a cron check: 1 when any problem is found (a source overdue or never
ingested, a source whose last run failed or was rejected by the bronze gate, a last run that did not succeed, a gate
whose last evaluation failed, with ``--cluster`` the newest finished Workflow failed), else 0. Sources that are only
due are not a problem: the next run takes them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from steps.freshness.core import age_text as freshness_age_text
from steps.schedule import Schedule
from workflows.status.argo_runs import ClusterRun
from workflows.status.facts import (
    GateOutcome,
    LakeFacts,
    LastSuccess,
    QuotaCount,
    Run,
    SourceOutcome,
    SourceSpec,
)

DEFAULT_GRACE = timedelta(hours=6)  # the WorkflowTemplate's default activeDeadlineSeconds: a run lasts at most this
BREAKER_WINDOW = timedelta(days=7)  # breaker trips are counted over the runs of the last week
MAX_RUNS = 50  # run reports read at most (newest first): enough for a week of hourly runs
GATES = ("bronze", "gold")

State = Literal["ok", "due", "overdue", "never"]


@dataclass(frozen=True)
class Sla:
    """Where one source stands against its SLA."""

    state: State
    age: timedelta | None = None
    due_at: datetime | None = None  # last success + max_age
    overdue_at: datetime | None = None  # when the run that should take it has had its chance


@dataclass(frozen=True)
class ScheduleView:
    """The schedule status compares against, and where it came from."""

    schedule: Schedule
    origin: str  # "--schedule" or "environment dev"
    suspended: bool = False


@dataclass(frozen=True)
class Touch:
    """The newest run that did something with a source (ingested, skipped, failed, rejected it)."""

    run_id: str
    finished_at: datetime
    outcome: SourceOutcome


@dataclass(frozen=True)
class SourceRow:
    """One row of the table."""

    spec: SourceSpec
    sla: Sla
    last_success: LastSuccess | None
    last_run: Touch | None
    quota: QuotaCount | None  # today's use; None when the source has no daily quota or it is unknown here
    breaker_trips: tuple[str, ...]  # runs of the last week in which its circuit breaker opened


@dataclass(frozen=True)
class GateView:
    """A gate's newest evaluation (a skipped gate shows only when it never ran)."""

    run_id: str
    outcome: GateOutcome


@dataclass(frozen=True)
class ClusterView:
    """The recent Workflow runs of one namespace (``--cluster``)."""

    namespace: str
    runs: tuple[ClusterRun, ...]  # newest first


@dataclass(frozen=True)
class StatusReport:
    """Everything the command prints."""

    generated_at: datetime
    lake: str
    schedule: ScheduleView | None
    next_run: datetime | None
    grace: timedelta
    rows: tuple[SourceRow, ...]
    last_run: Run | None
    gates: Mapping[str, GateView]
    cluster: ClusterView | None
    problems: tuple[str, ...]

    @property
    def exit_code(self) -> int:
        """1 when anything needs attention, else 0."""
        return 1 if self.problems else 0


def sla(
    last: LastSuccess | None, max_age_days: float, now: datetime, *, schedule: Schedule | None, grace: timedelta
) -> Sla:
    """The SLA state of a source (the rule is in the module docstring)."""
    if last is None:
        return Sla("never")
    age = now - last.finished_at
    due_at = last.finished_at + timedelta(days=max_age_days)
    chance = due_at if schedule is None else _fire_at_or_after(schedule, due_at)
    overdue_at = chance + grace
    state: State = "ok" if now < due_at else "due" if now < overdue_at else "overdue"
    return Sla(state, age=age, due_at=due_at, overdue_at=overdue_at)


def _fire_at_or_after(schedule: Schedule, at: datetime) -> datetime:
    fired = schedule.previous(at)
    return fired if fired >= at else schedule.next(at)


def enough_runs(sources: Sequence[SourceSpec], now: datetime) -> Callable[[Sequence[Run]], bool]:
    """Whether the reports read so far (newest first) answer everything: each source's last run, a week of trips."""
    names = {s.name for s in sources}

    def enough(runs: Sequence[Run]) -> bool:
        touched = {name for run in runs for name in run.sources}
        return names <= touched and runs[-1].finished_at < now - BREAKER_WINDOW

    return enough


def build_report(
    facts: LakeFacts,
    *,
    now: datetime,
    schedule: ScheduleView | None,
    grace: timedelta,
    cluster: ClusterView | None = None,
) -> StatusReport:
    """The report of ``facts`` at ``now``."""
    active = schedule.schedule if schedule is not None and not schedule.suspended else None
    rows = tuple(_row(facts, spec, now, active, grace) for spec in facts.sources)
    last_run = facts.runs[0] if facts.runs else None
    gates = _gates(facts.runs)
    problems = [*_run_problems(last_run), *_source_problems(rows, last_run), *_gate_problems(gates)]
    problems += _cluster_problems(cluster, last_run)
    return StatusReport(
        generated_at=now,
        lake=facts.lake,
        schedule=schedule,
        next_run=active.next(now) if active is not None else None,
        grace=grace,
        rows=rows,
        last_run=last_run,
        gates=gates,
        cluster=cluster,
        problems=tuple(problems),
    )


def _row(facts: LakeFacts, spec: SourceSpec, now: datetime, schedule: Schedule | None, grace: timedelta) -> SourceRow:
    last = facts.last_success.get(spec.name)
    touch = next(
        (Touch(r.run_id, r.finished_at, r.sources[spec.name]) for r in facts.runs if spec.name in r.sources), None
    )
    week = [r for r in facts.runs if r.finished_at >= now - BREAKER_WINDOW]
    trips = tuple(r.run_id for r in week if spec.name in r.sources and r.sources[spec.name].breaker_open)
    return SourceRow(
        spec=spec,
        sla=sla(last, spec.max_age_days, now, schedule=schedule, grace=grace),
        last_success=last,
        last_run=touch,
        quota=_quota_today(spec, facts.quota.get(spec.name), facts.runs, spec.name, now),
        breaker_trips=trips,
    )


def _quota_today(
    spec: SourceSpec, live: QuotaCount | None, runs: Sequence[Run], name: str, now: datetime
) -> QuotaCount | None:
    """Today's count: the lake's live count when its account is known, else what the source's last run recorded.

    A live count of an earlier day means nothing was sent today (the ingest starts a new count each UTC day).
    """
    if spec.daily_quota is None:
        return None
    today = now.astimezone(UTC).date()
    if live is not None:
        used = live.used if live.day == today else 0
        return QuotaCount(today, used, spec.daily_quota, live.basis)
    recorded = next((r.sources[name].quota for r in runs if name in r.sources and r.sources[name].quota), None)
    if recorded is not None and recorded.day == today:
        return QuotaCount(today, recorded.used, spec.daily_quota, recorded.basis)
    return None


def _gates(runs: Sequence[Run]) -> dict[str, GateView]:
    found: dict[str, GateView] = {}
    for run in reversed(runs):  # oldest first: a newer evaluation replaces an older one
        for gate in run.gates:
            if gate.outcome != "skipped" or gate.gate not in found:
                found[gate.gate] = GateView(run.run_id, gate)
    ordered = [g for g in GATES if g in found] + sorted(set(found) - set(GATES))
    return {g: found[g] for g in ordered}


def _run_problems(last_run: Run | None) -> list[str]:
    if last_run is None or last_run.succeeded:
        return []
    head = f"last run {last_run.run_id} {last_run.status}"
    if not last_run.failed_tasks:
        return [head]
    return [f"{head} at {t.task}{f': {t.message}' if t.message else ''}" for t in last_run.failed_tasks]


def _source_problems(rows: Sequence[SourceRow], last_run: Run | None) -> list[str]:
    problems = []
    for row in rows:
        name, state = row.spec.name, row.sla.state
        if state == "never":
            problems.append(f"{name} was never ingested")
        elif state == "overdue" and row.last_success is not None and row.sla.overdue_at is not None:
            problems.append(
                f"{name} is overdue: last ingest {age_text(row.sla.age)} ago (run {row.last_success.run_id}), "
                f"max_age {max_age_text(row.spec.max_age_days)}, overdue since {time_text(row.sla.overdue_at)}"
            )
        touch = row.last_run
        # a failure of the last run is already said by that run's own line
        already = (
            last_run is not None and not last_run.succeeded and touch is not None and touch.run_id == last_run.run_id
        )
        if touch is not None and touch.outcome.failed and not already:
            message = f": {touch.outcome.message}" if touch.outcome.message else ""
            problems.append(f"{name} {touch.outcome.outcome} in run {touch.run_id}{message}")
    return problems


def _gate_problems(gates: Mapping[str, GateView]) -> list[str]:
    return [
        f"the {name} gate failed in run {view.run_id}{f': {view.outcome.detail}' if view.outcome.detail else ''}"
        for name, view in gates.items()
        if view.outcome.outcome == "failed"
    ]


def _cluster_problems(cluster: ClusterView | None, last_run: Run | None) -> list[str]:
    if cluster is None:
        return []
    finished = next((r for r in cluster.runs if r.finished_at is not None), None)
    if finished is None or not finished.failed:
        return []
    if last_run is not None and last_run.run_id == finished.name:  # its report said it, with the stage's reason
        return []
    nodes = "; ".join(f"{n.name}: {n.message}" if n.message else n.name for n in finished.failed_nodes)
    detail = nodes or finished.message
    return [f"workflow {finished.name} ({finished.trigger}) {finished.phase}{f': {detail}' if detail else ''}"]


def age_text(age: timedelta | None) -> str:
    """A duration as the table shows it: ``45s``, ``12min``, ``5.2h``, ``28.0d``."""
    return "-" if age is None else freshness_age_text(age)


def max_age_text(days: float) -> str:
    """``max_age_days`` as the table shows it: whole days as ``30d``, shorter SLAs as a duration."""
    return f"{days:g}d" if days >= 1 else age_text(timedelta(days=days))


def time_text(moment: datetime | None) -> str:
    """A moment in UTC to the minute, e.g. ``2026-01-01 00:00``."""
    return "-" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
