"""Render the run summary as Markdown (the report file) and as a plain table (stdout)."""

from __future__ import annotations

from typing import Any

from steps.summary.changes import changes_text


def _rows_text(rows: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in rows.items()) or "-"


def human_bytes(n: int | None) -> str:
    """``512 B``, ``7.6 KB``, ``2.2 MB``; ``-`` for None."""
    if n is None:
        return "-"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n = n / 1024  # type: ignore[assignment]
    return str(n)


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return out


def source_rows(summary: dict[str, Any]) -> list[list[str]]:
    """One row per source: status, rows, pages, requests, bytes, duration, reason."""
    return [
        [
            s["source"],
            s["status"],
            _rows_text(s.get("rows", {})),
            str(s.get("pages", "-") if s.get("pages") is not None else "-"),
            str(s.get("requests") if s.get("requests") is not None else "-"),
            human_bytes(s.get("response_bytes")),
            f"{s['duration_s']:.1f}s" if s.get("duration_s") is not None else "-",
            s.get("error") or s.get("reason") or "",
        ]
        for s in summary["sources"]
    ]


def layer_rows(summary: dict[str, Any]) -> list[list[str]]:
    """One row per warehouse layer."""
    return [
        [
            layer["layer"],
            layer["status"],
            f"{layer['models']} ok / {layer['models_failed']} failed",
            f"{layer['tests']} ok / {layer['tests_failed']} failed",
            f"{layer['duration_s']:.1f}s",
            layer.get("error") or layer.get("reason") or "",
        ]
        for layer in summary["layers"]
    ]


def gate_rows(summary: dict[str, Any]) -> list[list[str]]:
    """One row per validation gate."""
    rows = []
    for g in summary.get("validation", []):
        e = g.get("expectations") or {}
        counts = f"{e.get('passed', 0)} ok / {e.get('failed', 0)} failed" if e else "-"
        detail = "; ".join(g["failures"][:3]) or g.get("reason") or g.get("error") or ""
        rows.append(
            [g["gate"], g.get("outcome") or g["status"], counts, f"{g['duration_s']:.1f}s", detail, g.get("docs") or ""]
        )
    return rows


def freshness_rows(summary: dict[str, Any]) -> list[list[str]]:
    """One row per enabled source: last successful ingest, its age against the SLA, and the state."""
    rows = []
    for f in summary.get("freshness", []):
        if "problem" in f:
            rows.append([f["source"], "-", "-", f"{f['max_age_days']:g}d", f"unknown: {f['problem']}"])
            continue
        last = (
            f"{f['last_success_at'][:19].replace('T', ' ')} ({f['last_success_run']})"
            if f["last_success_at"]
            else "never"
        )
        age = f"{f['age_days']:.1f}d" if f["age_days"] is not None else "-"
        rows.append([f["source"], last, age, f"{f['max_age_days']:g}d", "OVERDUE" if f["overdue"] else "ok"])
    return rows


def held_back_lines(summary: dict[str, Any]) -> list[str]:
    """One line per source the bronze gate held back: why, and where its batch is; empty when none."""
    return [
        f"{h['source']}: its batch was rejected by the bronze gate ({'; '.join(h['failures'][:3]) or 'see the gate'});"
        f" quarantined in {h.get('quarantine')}/"
        for h in summary.get("held_back") or []
    ]


def problem_heading(problem: dict[str, Any]) -> str:
    """``task (phase, exit N)``: the head of a failed task's error lines."""
    code = f", exit {problem['exit_code']}" if problem.get("exit_code") is not None else ""
    return f"{problem['task']} ({problem['phase']}{code})"


def task_rows(summary: dict[str, Any]) -> list[list[str]]:
    """One row per task, as the Argo UI lists nodes."""
    return [[t["task"], t["phase"], f"{t['duration_s']:.1f}s", t.get("message") or ""] for t in summary["tasks"]]


SOURCE_HEADERS = ["source", "status", "rows", "pages", "requests", "bytes", "time", "reason / error"]
LAYER_HEADERS = ["layer", "status", "models", "tests", "time", "reason / error"]
TASK_HEADERS = ["task", "phase", "time", "message"]
GATE_HEADERS = ["gate", "outcome", "expectations", "time", "failures / reason", "data docs"]
FRESHNESS_HEADERS = ["source", "last successful ingest (UTC, run)", "age", "max age", "state"]


LAUNCHED = {
    "argo": "as Argo pods",
    "container": "as containers of the stage images",
    "process": "as local processes",
    "warm": "as local processes forked from warm interpreters",
}


def launched(summary: dict[str, Any]) -> str:
    """How the run's tasks were started, in words."""
    launcher = str(summary.get("launcher") or "argo")
    return f"tasks {LAUNCHED.get(launcher, f'by launcher {launcher}')}"


def backfilled(summary: dict[str, Any]) -> list[str]:
    """The line saying the run was a backfill, if it was (none otherwise)."""
    backfill = summary.get("backfill")
    if not backfill:
        return []
    source, span = backfill["source"], backfill["range"]
    return [
        f"Backfill of {source} for {span}: only {source} ingested (not its last success, so freshness is as "
        "before; its watermark never moves back); silver and gold rebuilt."
    ]


def render_text(summary: dict[str, Any]) -> str:
    """The stdout report."""
    lines = [f"Run {summary['run_id']}: {summary['status'].upper()} ({launched(summary)})", *backfilled(summary), ""]
    lines += _table(SOURCE_HEADERS, source_rows(summary)) + [""]
    if summary["layers"]:
        lines += _table(LAYER_HEADERS, layer_rows(summary)) + [""]
    if changes := changes_text(summary):
        lines += [changes, ""]
    if summary.get("validation"):
        lines += _table(GATE_HEADERS, gate_rows(summary)) + [""]
    lines += _table(TASK_HEADERS, task_rows(summary))
    if held_back_lines(summary):
        lines += [
            "",
            "Held back (not in this run's silver and gold; the other sources were published):",
            *(f"  - {h}" for h in held_back_lines(summary)),
        ]
    if summary.get("freshness"):
        lines += ["", *_table(FRESHNESS_HEADERS, freshness_rows(summary))]
    if summary.get("problems"):  # last, so they stay on the screen
        lines += ["", "Problems (each failed task with its error lines):"]
        for p in summary["problems"]:
            lines += [f"  {problem_heading(p)}", *(f"    - {line}" for line in p["lines"])]
    lines += ["", f"Report: {summary.get('report') or summary['reports'] + '/summary.md'}"]
    if summary.get("report_html"):
        lines.append(f"HTML report: {summary['report_html']}")
    return "\n".join(lines) + "\n"


def render_markdown(summary: dict[str, Any]) -> str:
    """The Markdown report file."""

    def md(headers: list[str], rows: list[list[str]]) -> list[str]:
        out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        return out + ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]

    lines = [f"# Run `{summary['run_id']}`: {summary['status']}", "", f"{launched(summary).capitalize()}.", ""]
    if summary.get("problems"):  # first: what the reader came for
        lines += ["## Problems", ""]
        for p in summary["problems"]:
            lines += [f"**{problem_heading(p)}**", "", *(f"- {line}" for line in p["lines"]), ""]
    lines += [*backfilled(summary), ""] if summary.get("backfill") else []
    if held_back_lines(summary):
        lines += [
            "## Held back",
            "",
            "Not in this run's silver and gold; the other sources were published.",
            "",
            *(f"- {h}" for h in held_back_lines(summary)),
            "",
        ]
    lines += ["## Sources", ""]
    lines += md(SOURCE_HEADERS, source_rows(summary))
    drift = [f"{s['source']}: {', '.join(s['drift'])}" for s in summary["sources"] if s.get("drift")]
    lines += ["", "Schema drift since the previous ingest: " + ("; ".join(drift) if drift else "none")]
    lines += ["", "## Warehouse layers", ""] + md(LAYER_HEADERS, layer_rows(summary))
    if changes := changes_text(summary):
        lines += ["", changes]
    lines += ["", "## Validation (Great Expectations)", ""] + md(GATE_HEADERS, gate_rows(summary))
    lines += ["", "## Tasks", ""] + md(TASK_HEADERS, task_rows(summary))
    if summary.get("freshness"):
        lines += ["", "## Freshness (as of the end of the run)", ""] + md(FRESHNESS_HEADERS, freshness_rows(summary))
    return "\n".join(lines) + "\n"
