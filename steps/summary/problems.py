"""What went wrong in a run, task by task: each failed task with its last error lines (pure).

A stage records its failure in its result: the one-line error every stage has, and, where one line cannot hold
it, the whole list: verify's problems (one per failed check), a gate's failing expectations with sample values,
dbt's failing models and tests. The run report and the alert show these lines, so nobody needs the pod's log.
"""

from __future__ import annotations

from typing import Any

from steps.reports import StageResult

FAILED_PHASES = ("Failed", "Error")
LINES_PER_TASK = 20  # a gate keeps at most steps.validate's FAILURES_IN_METRICS failures; verify has a few checks
EXPECTATIONS_PER_GATE = 5  # failing expectations kept with their structured details (columns, samples)
_EXPECTATION_FIELDS = (
    "dataset",
    "expectation",
    "columns",
    "unexpected_count",
    "sample",
    "rows",
    "missing",
    "observed",
    "expected",
)


def task_problems(tasks: list[dict[str, Any]], results: dict[str, StageResult]) -> list[dict[str, Any]]:
    """One entry per failed task: its phase, exit code, one-line message and every error line it recorded.

    Args:
        tasks: The run's tasks as the summary lists them (``task``, ``phase``, ``exit_code``, ``message``).
        results: The stage results by task name; a task killed before it recorded one has only its message.
    """
    out = []
    for task in tasks:
        if task["phase"] not in FAILED_PHASES:
            continue
        result = results.get(task["task"])
        recorded = result if result is not None and result.status == "failed" else None
        message = (recorded.error if recorded is not None else None) or task.get("message") or ""
        lines = error_lines(recorded) if recorded is not None else []
        entry: dict[str, Any] = {
            "task": task["task"],
            "phase": task["phase"],
            "exit_code": task.get("exit_code"),
            "message": message,
            "lines": (lines or ([message] if message else []))[:LINES_PER_TASK],
        }
        if recorded is not None and recorded.stage == "validate":
            entry["expectations"] = failing_expectations(recorded)
        out.append(entry)
    return out


def error_lines(result: StageResult) -> list[str]:
    """The lines a failed stage recorded beyond its one-line error; empty when the error line is all there is."""
    m = result.metrics
    if result.stage == "verify":
        return [str(p) for p in m.get("problems", [])]
    if result.stage == "validate":
        lines = [str(f.get("short", f)) if isinstance(f, dict) else str(f) for f in m.get("failures", [])]
        total = int(m.get("failures_total") or len(lines))
        if total > len(lines):
            lines.append(f"and {total - len(lines)} more failing expectations (see the gate's results)")
        for source, rejection in sorted((m.get("rejected") or {}).items()):
            if rejection.get("rejected_earlier"):
                lines += [f"{source} (rejected by an earlier attempt): {f}" for f in rejection.get("failures", [])]
        return lines
    if result.stage == "dbt":
        return [str(f) for f in m.get("failures", [])]
    return []


def failing_expectations(result: StageResult) -> list[dict[str, Any]]:
    """A gate's first failing expectations with their columns and sample values, as the gate recorded them."""
    failures = [f for f in result.metrics.get("failures", []) if isinstance(f, dict)]
    return [
        {key: f[key] for key in _EXPECTATION_FIELDS if f.get(key) not in (None, [])}
        for f in failures[:EXPECTATIONS_PER_GATE]
    ]
