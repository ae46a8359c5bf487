"""The status report as an aligned table with a few lines under it, and as a JSON document (``--json``).

The JSON document (``"format": "tributary-status/1"``; times are ISO 8601 in UTC, durations in seconds)::

    {"format", "generated_at", "lake", "exit_code", "problems": [one line each],
     "schedule": null | {"expressions", "timezone", "origin", "suspended"}, "next_run", "grace_s",
     "sources": [{"source", "state": "ok|due|overdue|never", "max_age_days", "age_s", "due_at", "overdue_at",
                  "last_success": null | {"run_id", "finished_at", "rows": {dataset: n}, "rows_total"},
                  "last_run": null | {"run_id", "finished_at", "outcome", "message"},
                  "quota": null | {"day", "used", "per_day", "basis"}, "daily_quota",
                  "breaker_trips": [run ids of the last 7 days]}],
     "last_run": null | {"run_id", "finished_at", "status", "failed_tasks": [{"task", "message"}]},
     "gates": {gate: {"run_id", "outcome", "detail"}},
     "cluster": null | {"namespace", "workflows": [{"name", "trigger", "phase", "started_at", "finished_at",
                        "scheduled_at", "duration_s", "message", "failed_nodes": [{"name", "template", "phase",
                        "message"}]}]}}
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from workflows.status.argo_runs import ClusterRun
from workflows.status.core import SourceRow, StatusReport, age_text, max_age_text, time_text

FORMAT = "tributary-status/1"
STATE_WORDS = {"ok": "OK", "due": "due", "overdue": "OVERDUE", "never": "NEVER"}
HEADERS = [
    "source",
    "state",
    "last ingest",
    "run",
    "rows",
    "age",
    "max age",
    "overdue after",
    "last run",
    "quota today",
    "breaker 7d",
]
CLUSTER_HEADERS = ["workflow", "trigger", "phase", "started", "duration", "failed nodes"]


def render_text(report: StatusReport) -> str:
    """The table and the lines under it."""
    lines = [f"Lake {report.lake} at {time_text(report.generated_at)} UTC (times in UTC)", ""]
    newest = report.last_run.run_id if report.last_run else None
    lines += _table(HEADERS, [_row_cells(row, newest) for row in report.rows])
    lines += ["", _last_run_line(report), _gates_line(report), _next_run_line(report)]
    if report.cluster is not None:
        lines += ["", f"Workflows in namespace {report.cluster.namespace} (newest first):"]
        rows = [_cluster_cells(run, report.generated_at) for run in report.cluster.runs]
        lines += _table(CLUSTER_HEADERS, rows) if rows else ["  none found"]
    lines.append("")
    if report.problems:
        lines.append(f"Needs attention (exit {report.exit_code}):")
        lines += [f"  - {p}" for p in report.problems]
    else:
        lines.append("All sources OK or due, last run succeeded (exit 0)")
    return "\n".join(lines) + "\n"


def _row_cells(row: SourceRow, newest: str | None) -> list[str]:
    """A source's cells; its last run is named only when it is not the newest run (named below the table)."""
    last, touch = row.last_success, row.last_run
    if row.spec.daily_quota is None:
        quota = "-"
    elif row.quota is None:
        quota = f"?/{row.spec.daily_quota:,}"
    else:
        quota = f"{row.quota.used:,}/{row.spec.daily_quota:,}"
    return [
        row.spec.name,
        STATE_WORDS[row.sla.state],
        time_text(last.finished_at) if last else "never",
        last.run_id if last else "-",
        f"{last.total_rows:,}" if last else "-",
        age_text(row.sla.age),
        max_age_text(row.spec.max_age_days),
        time_text(row.sla.overdue_at) if row.sla.state != "never" else "-",
        "-" if touch is None else touch.outcome.outcome + ("" if touch.run_id == newest else f" ({touch.run_id})"),
        quota,
        str(len(row.breaker_trips)),
    ]


def _last_run_line(report: StatusReport) -> str:
    run = report.last_run
    if run is None:
        return "Last run: none reported in the lake"
    ago = age_text(report.generated_at - run.finished_at)
    line = f"Last run: {run.run_id} {run.status.upper()}, reported {time_text(run.finished_at)} UTC ({ago} ago)"
    for task in run.failed_tasks:
        line += f"\n  {task.task}: {task.message or 'failed'}"
    return line


def _gates_line(report: StatusReport) -> str:
    if not report.gates:
        return "Gates: no evaluation reported"
    parts = [f"{name} {view.outcome.outcome} (run {view.run_id})" for name, view in report.gates.items()]
    return "Gates: " + ", ".join(parts)


def _next_run_line(report: StatusReport) -> str:
    view = report.schedule
    if view is None:
        return "Next scheduled run: none known (no schedule given: pass --env ENV or --schedule CRON)"
    what = f"{view.schedule.text()} {view.schedule.timezone}, {view.origin}"
    if view.suspended:
        return f"Next scheduled run: none, the schedule is suspended ({what})"
    return f"Next scheduled run: {time_text(report.next_run)} UTC ({what})"


def _cluster_cells(run: ClusterRun, now: datetime) -> list[str]:
    nodes = "; ".join(f"{n.name}: {n.message}" if n.message else n.name for n in run.failed_nodes)
    if not nodes and run.failed:
        nodes = run.message
    return [
        run.name,
        run.trigger,
        run.phase,
        time_text(run.started_at),
        _duration(run.duration(now)),
        nodes,
    ]


def _duration(value: timedelta | None) -> str:
    if value is None:
        return "-"
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    if hours:
        return f"{hours}h{rest // 60:02d}m"
    return f"{rest // 60}m{rest % 60:02d}s" if rest >= 60 else f"{rest}s"


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return out


def render_json(report: StatusReport) -> str:
    """The JSON document (the module docstring describes it)."""
    return json.dumps(report_document(report), indent=2) + "\n"


def report_document(report: StatusReport) -> dict[str, Any]:
    """The report as plain JSON values."""
    view = report.schedule
    return {
        "format": FORMAT,
        "generated_at": _iso(report.generated_at),
        "lake": report.lake,
        "exit_code": report.exit_code,
        "problems": list(report.problems),
        "schedule": None
        if view is None
        else {
            "expressions": list(view.schedule.expressions),
            "timezone": view.schedule.timezone,
            "origin": view.origin,
            "suspended": view.suspended,
        },
        "next_run": _iso(report.next_run),
        "grace_s": report.grace.total_seconds(),
        "sources": [_source_document(row) for row in report.rows],
        "last_run": None
        if report.last_run is None
        else {
            "run_id": report.last_run.run_id,
            "finished_at": _iso(report.last_run.finished_at),
            "status": report.last_run.status,
            "failed_tasks": [{"task": t.task, "message": t.message} for t in report.last_run.failed_tasks],
        },
        "gates": {
            name: {"run_id": v.run_id, "outcome": v.outcome.outcome, "detail": v.outcome.detail}
            for name, v in report.gates.items()
        },
        "cluster": None
        if report.cluster is None
        else {
            "namespace": report.cluster.namespace,
            "workflows": [_workflow_document(run, report.generated_at) for run in report.cluster.runs],
        },
    }


def _source_document(row: SourceRow) -> dict[str, Any]:
    last, touch, quota = row.last_success, row.last_run, row.quota
    return {
        "source": row.spec.name,
        "state": row.sla.state,
        "max_age_days": row.spec.max_age_days,
        "age_s": None if row.sla.age is None else round(row.sla.age.total_seconds(), 3),
        "due_at": _iso(row.sla.due_at),
        "overdue_at": _iso(row.sla.overdue_at),
        "last_success": None
        if last is None
        else {
            "run_id": last.run_id,
            "finished_at": _iso(last.finished_at),
            "rows": dict(last.rows),
            "rows_total": last.total_rows,
        },
        "last_run": None
        if touch is None
        else {
            "run_id": touch.run_id,
            "finished_at": _iso(touch.finished_at),
            "outcome": touch.outcome.outcome,
            "message": touch.outcome.message,
        },
        "daily_quota": row.spec.daily_quota,
        "quota": None
        if quota is None
        else {"day": quota.day.isoformat(), "used": quota.used, "per_day": quota.per_day, "basis": quota.basis},
        "breaker_trips": list(row.breaker_trips),
    }


def _workflow_document(run: ClusterRun, now: datetime) -> dict[str, Any]:
    duration = run.duration(now)
    return {
        "name": run.name,
        "trigger": run.trigger,
        "phase": run.phase,
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "scheduled_at": _iso(run.scheduled_at),
        "duration_s": None if duration is None else duration.total_seconds(),
        "message": run.message,
        "failed_nodes": [
            {"name": n.name, "template": n.template, "phase": n.phase, "message": n.message} for n in run.failed_nodes
        ],
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
