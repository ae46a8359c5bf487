"""Build the run summary from what the stages recorded (pure: no I/O besides the lake reads passed in)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from steps import layout
from steps.lake import Lake
from steps.names import ingest_task
from steps.reports import StageResult, read_results
from steps.state import read_state
from steps.summary.changes import silver_changes
from steps.summary.docs_pages import docs_pages
from steps.summary.problems import task_problems
from steps.summary.sla import freshness_snapshot
from steps.summary.timeline import task_timeline

PHASES = {"succeeded": "Succeeded", "failed": "Failed", "skipped": "Skipped"}


def build_summary(
    lake: Lake,
    run_id: str,
    nodes: list[dict[str, Any]] | None = None,
    *,
    workflow_status: str | None = None,
    failures: list[dict[str, Any]] | None = None,
    launcher: str | None = None,
    interrupted_by: str | None = None,
    max_age_days: Mapping[str, float] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Everything the run did, per source, per layer and per task; what failed and why; where sources stand.

    ``nodes`` are the orchestrator's task phases and durations (the local runner's node status); without them the
    tasks are reconstructed from the stage results and the freshness decisions. In the cluster the exit handler
    passes Argo's ``{{workflow.status}}`` and ``{{workflow.failures}}``, which mark tasks that failed without
    recording a result (a pod killed for memory, a deadline). ``launcher`` says how the tasks ran: as pods
    (``argo``), or, in a local run, as containers (``container``), fresh processes (``process``) or warm forks
    (``warm``). ``interrupted_by`` names the signal that stopped a local run: its status is then ``interrupted``.
    ``max_age_days`` are the enabled sources of the configuration with their SLA: each is listed, the ones the run
    never reached as ``not run``, and its freshness at ``now`` (default: the current time) is reported.
    """
    results = read_results(lake, run_id)
    freshness = lake.read_json(layout.freshness_decisions(run_id)) or {}
    decisions = {d["source"]: d for d in freshness.get("decisions", [])}
    by_task = {r.task: r for r in results}
    enabled = list(max_age_days or {})
    sources = [
        _source_entry(lake, run_id, name, decisions.get(name), by_task.get(ingest_task(name)), bool(freshness))
        for name in _source_names(decisions, results, enabled)
    ]
    layers = [_layer_entry(by_task[t]) for t in ("dbt-silver", "dbt-gold") if t in by_task]
    validation = [_gate_entry(by_task[t]) for t in ("validate-bronze", "validate-gold") if t in by_task]
    for gate in validation:  # each dataset's Data Docs page, for the HTML report's links
        gate["pages"] = docs_pages(lake, run_id, gate["gate"])
    rejected = by_task["validate-bronze"].metrics.get("rejected", {}) if "validate-bronze" in by_task else {}
    held_back = _held_back(by_task.get("validate-bronze"))
    for entry in sources:
        if entry["source"] in rejected:
            entry.update(status="rejected", error=_short_failures(rejected[entry["source"]].get("failures", [])))
    tasks = nodes if nodes is not None else _tasks_from_results(results, decisions)
    tasks = _merge_failures(tasks, failures or [])
    failed = [t["task"] for t in tasks if t["phase"] in ("Failed", "Error")]
    status = "failed" if failed else "succeeded"
    if workflow_status is not None and workflow_status != "Succeeded":
        status = "failed"  # Argo's verdict wins: a pod can die before it records anything
    if interrupted_by:
        status = "interrupted"
    summary: dict[str, Any] = {
        "run_id": run_id,
        "status": status,
        "launcher": launcher or "argo",
        "failed_tasks": failed,
        "sources": sources,
        "layers": layers,
        "changes": silver_changes(by_task.get("dbt-silver")),
        "validation": validation,
        "held_back": held_back,
        "tasks": tasks,
        "timeline": task_timeline(results, tasks),
        "problems": task_problems(tasks, by_task),
        "reports": layout.report_dir(run_id),
        "report": lake.uri(f"{layout.report_dir(run_id)}/summary.md"),
        "report_html": lake.uri(f"{layout.report_dir(run_id)}/index.html"),
    }
    if max_age_days is not None:
        at = now or datetime.now(UTC)
        summary["freshness"] = freshness_snapshot(lake, max_age_days, at)
        summary["freshness_at"] = at.isoformat()
    if interrupted_by:
        summary["interrupted_by"] = interrupted_by
    if freshness.get("backfill"):  # {"source", "range"}: the run re-ingested one source's range
        summary["backfill"] = freshness["backfill"]
    return summary


def _tasks_from_results(results: list[StageResult], decisions: dict[str, Any]) -> list[dict[str, Any]]:
    tasks = [
        {
            "task": r.task,
            "phase": PHASES[r.status],
            "duration_s": r.duration_s,
            "exit_code": r.exit_code,
            "message": r.error or r.metrics.get("reason") or "",
        }
        for r in results
        if r.stage != "summary"
    ]
    done = {t["task"] for t in tasks}
    tasks += [
        {
            "task": ingest_task(s),
            "phase": "Skipped",
            "duration_s": 0.0,
            "exit_code": None,
            "message": d["reason"],
        }
        for s, d in decisions.items()
        if not d["ingest"] and ingest_task(s) not in done
    ]
    return tasks


def _merge_failures(tasks: list[dict[str, Any]], failures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mark the tasks Argo reports as failed (``displayName``, ``phase``, ``message``), adding unknown ones."""
    by_name = {t["task"]: t for t in tasks}
    merged = [dict(t) for t in tasks]
    index = {t["task"]: i for i, t in enumerate(merged)}
    for f in failures:
        name = str(f.get("displayName") or f.get("templateName") or "?")
        phase = str(f.get("phase") or "Failed")
        message = str(f.get("message") or "")
        if name in by_name:
            entry = merged[index[name]]
            if entry["phase"] not in ("Failed", "Error"):
                entry.update(phase=phase, message=message or entry.get("message", ""))
        else:
            merged.append({"task": name, "phase": phase, "duration_s": 0.0, "exit_code": None, "message": message})
    return merged


def _source_names(decisions: dict[str, Any], results: list[StageResult], enabled: list[str]) -> list[str]:
    names = list(decisions)
    names += [
        str(r.metrics["source"])
        for r in results
        if r.stage == "ingest" and "source" in r.metrics and r.metrics["source"] not in names
    ]
    return names + [name for name in enabled if name not in names]


def _source_entry(
    lake: Lake,
    run_id: str,
    name: str,
    decision: dict[str, Any] | None,
    result: StageResult | None,
    decided: bool,
) -> dict[str, Any]:
    entry: dict[str, Any] = {"source": name}
    if decision is not None and not decision["ingest"]:
        entry.update(status="skipped", reason=decision["reason"])
        return entry
    if decision is None and result is None:  # an enabled source the run never reached
        reason = "not in this run's freshness decisions" if decided else "the run ended before its freshness decision"
        entry.update(status="not run", reason=reason)
        return entry
    entry["reason"] = decision["reason"] if decision else "requested"
    if result is None:
        entry["status"] = "not run"
        return entry
    m = result.metrics
    entry.update(
        status=result.status,
        error=result.error,
        duration_s=result.duration_s,
        rows=m.get("rows", {}),
        pages=m.get("pages"),
        requests=m.get("requests"),
        retries=m.get("retries"),
        response_bytes=m.get("response_bytes"),
        bronze_bytes=m.get("bronze_bytes"),
        breaker=m.get("breaker"),
        quota=m.get("quota"),
        watermarks=m.get("watermarks"),
    )
    if result.status == "succeeded":
        entry["drift"] = _schema_drift(lake, name, run_id)
    return entry


def _schema_drift(lake: Lake, source: str, run_id: str) -> list[str]:
    """Datasets whose schema fingerprint differs from the previous committed ingest."""
    history = read_state(lake, source).history
    runs = [h.run_id for h in history]
    if run_id not in runs or runs.index(run_id) + 1 >= len(runs):
        return []
    now = lake.read_json(layout.manifest(source, run_id)) or {}
    before = lake.read_json(layout.manifest(source, runs[runs.index(run_id) + 1])) or {}
    return sorted(
        name
        for name, d in now.get("datasets", {}).items()
        if name in before.get("datasets", {})
        and before["datasets"][name]["schema_fingerprint"] != d["schema_fingerprint"]
    )


def _layer_entry(result: StageResult) -> dict[str, Any]:
    m = result.metrics
    counts = m.get("counts", {})
    return {
        "layer": result.task.removeprefix("dbt-"),
        "status": result.status,
        "reason": m.get("reason"),
        "error": result.error,
        "duration_s": result.duration_s,
        "models": _passed(counts.get("model", {})) + _passed(counts.get("snapshot", {})),
        "models_failed": _failed(counts.get("model", {})) + _failed(counts.get("snapshot", {})),
        "tests": _passed(counts.get("test", {})) + _passed(counts.get("unit_test", {})),
        "tests_failed": _failed(counts.get("test", {})) + _failed(counts.get("unit_test", {})),
    }


def _gate_entry(result: StageResult) -> dict[str, Any]:
    """One Great Expectations gate: outcome, expectation counts, the first failures, where the Data Docs are."""
    m = result.metrics
    return {
        "gate": result.task.removeprefix("validate-"),
        "status": result.status,
        "outcome": m.get("outcome"),
        "reason": m.get("reason"),
        "error": result.error,
        "duration_s": result.duration_s,
        "expectations": m.get("expectations", {}),
        "failures": [f.get("short", str(f)) if isinstance(f, dict) else str(f) for f in m.get("failures", [])][:10],
        "failures_total": m.get("failures_total", len(m.get("failures", []))),
        "docs": m.get("docs_uri") or m.get("docs"),
        "rejected": sorted(m.get("rejected", {})),
    }


def _held_back(gate: StageResult | None) -> list[dict[str, Any]]:
    """The sources the bronze gate held back (the others were built): each with its failures and quarantine."""
    if gate is None:
        return []
    rejected = gate.metrics.get("rejected") or {}
    return [
        {
            "source": s,
            "failures": rejected.get(s, {}).get("failures", []),
            "quarantine": rejected.get(s, {}).get("quarantine"),
        }
        for s in gate.metrics.get("held_back") or []
    ]


def _short_failures(failures: list[Any]) -> str:
    shown = [str(f) for f in failures[:3]]
    return "rejected by the bronze gate: " + "; ".join(shown) if shown else "rejected by the bronze gate"


def _passed(statuses: dict[str, int]) -> int:
    return sum(n for s, n in statuses.items() if s in ("success", "pass"))


def _failed(statuses: dict[str, int]) -> int:
    return sum(n for s, n in statuses.items() if s in ("error", "fail"))
