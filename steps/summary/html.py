"""Render the run summary as one self-contained HTML page: ``reports/<run_id>/index.html`` (pure).

One file with inline CSS and an inline SVG timeline drawn here: no script, no font, nothing fetched, so it opens
the same from the lake, a download, an e-mail or the Argo UI's artifact view. Links are relative to the report
folder (each gate's Data Docs and its datasets' validation pages, ``summary.md``), so a copy of the folder keeps
them working. What went wrong comes first: a failed run opens on its failing tasks, what to do about them, and a
failing gate's expectations with their sample values. Every value passes :func:`html.escape` after the secret
masking of :func:`steps.redact.redact_free_text` (messages can quote URLs).
"""

from __future__ import annotations

import html
from typing import Any

from steps.redact import redact_free_text
from steps.summary.changes import changes_text
from steps.summary.render import FRESHNESS_HEADERS, backfilled, freshness_rows, human_bytes, launched, problem_heading

_CSS = """
:root{--ok:#1a7f37;--bad:#cf222e;--skip:#6e7781;--warn:#9a6700;--line:#d0d7de;--soft:#f6f8fa}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2328;
margin:0 auto;max-width:1200px;padding:16px 24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:22px 0 8px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:12px 0 4px}code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
header{border-left:6px solid var(--skip);padding:8px 14px;background:var(--soft);margin-bottom:8px}
header.succeeded{border-color:var(--ok)}header.failed,header.interrupted{border-color:var(--bad)}
.meta{color:#57606a}.next{font-weight:600;margin:6px 0 0}
table{border-collapse:collapse;width:100%;margin:4px 0 8px}
th,td{border:1px solid var(--line);padding:3px 7px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}td.n{text-align:right;white-space:nowrap}
.badge{display:inline-block;padding:0 7px;border-radius:9px;font-size:12px;font-weight:600;color:#fff;
background:var(--skip);white-space:nowrap}
.badge.ok{background:var(--ok)}.badge.bad{background:var(--bad)}.badge.warn{background:var(--warn)}
.problem{border:1px solid var(--bad);border-radius:6px;padding:4px 12px 8px;margin:8px 0}
.fix{color:var(--bad);font-weight:600}.sample code{background:#fff1f0;padding:0 3px;border-radius:3px}
ul{margin:4px 0;padding-left:20px}svg text{font:11px system-ui,sans-serif;fill:#1f2328}
footer{margin-top:24px;color:#57606a;font-size:12px}
"""

_OK = ("succeeded", "passed", "ok", "Succeeded")
_BAD = ("failed", "rejected", "held back", "Failed", "Error", "OVERDUE", "interrupted")
_BAR = {"Succeeded": "#2da44e", "Failed": "#cf222e", "Error": "#cf222e", "Skipped": "#8c959f"}


def e(value: Any) -> str:
    """Escaped, secret-masked text of any value (``-`` for None)."""
    return html.escape(redact_free_text("-" if value is None else str(value)), quote=True)


def badge(status: Any) -> str:
    """A coloured status label."""
    kind = "ok" if status in _OK else "bad" if status in _BAD else ""
    return f'<span class="badge {kind}">{e(status)}</span>'


def link(href: str, text: Any) -> str:
    """A relative link (the report folder's own files only)."""
    return f'<a href="{html.escape(href, quote=True)}">{e(text)}</a>'


def table(headers: list[str], rows: list[list[str]], numeric: tuple[int, ...] = ()) -> str:
    """A table of already-escaped cells; ``numeric`` columns are right-aligned."""
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(summary: dict[str, Any]) -> str:
    """The whole page."""
    status = str(summary["status"])
    parts = [
        _outcome(summary),
        _problems(summary),
        _held_back(summary),
        _sources(summary),
        _layers(summary),
        _validation(summary),
        _timeline(summary),
        _tasks(summary),
        _freshness(summary),
        '<footer>Also in this folder: <a href="summary.md">summary.md</a> (for terminals and chat tools), '
        '<a href="summary.json">summary.json</a> (what this page is drawn from).</footer>',
    ]
    title = f"Run {summary['run_id']}: {status}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)} · Tributary</title><style>{_CSS}</style></head>\n<body>\n"
        + "\n".join(p for p in parts if p)
        + "\n</body></html>\n"
    )


def _outcome(summary: dict[str, Any]) -> str:
    status = str(summary["status"])
    timeline = summary.get("timeline") or {}
    started = timeline.get("started_at")
    spans = [s for s in timeline.get("spans", []) if s.get("start_s") is not None]
    wall = max((s["start_s"] + s["duration_s"] for s in spans), default=None)
    meta = [launched(summary).capitalize()]
    if started:
        meta.append(f"started {started[:19].replace('T', ' ')} UTC")
    if wall is not None:
        meta.append(f"{_secs(wall)} from the first task's start to the last task's end")
    lines = [
        f'<header class="{e(status)}"><h1>Run <code>{e(summary["run_id"])}</code>: {badge(status)}</h1>',
        f'<div class="meta">{e(" · ".join(meta))}</div>',
        *(f"<p>{e(line)}</p>" for line in backfilled(summary)),
        f'<p class="next">{_next_step(summary)}</p></header>',
    ]
    return "\n".join(lines)


def _next_step(summary: dict[str, Any]) -> str:
    """What the reader should do now, in one sentence (the failing tasks' own fixes follow below)."""
    status = summary["status"]
    if status == "interrupted":
        return e(
            f"Interrupted by {summary.get('interrupted_by') or 'a signal'}: run it again; sources that committed "
            "are kept and skipped while fresh."
        )
    if status == "succeeded":
        return "Nothing to do: every task succeeded."
    failed = ", ".join(summary.get("failed_tasks") or []) or "a task"
    return e(f"Failed in {failed}. What to do: the fix under each failing task below, then run again.")


def _problems(summary: dict[str, Any]) -> str:
    problems = summary.get("problems") or []
    if not problems:
        return ""
    # Every gate's validation pages by dataset (bronze and gold datasets never share a name).
    pages = {
        d: (g["gate"], page) for g in summary.get("validation") or [] for d, page in (g.get("pages") or {}).items()
    }
    out = ["<h2>What went wrong</h2>"]
    for p in problems:
        what, _, fix = str(p.get("message") or "").partition(". Fix: ")
        block = [f'<div class="problem"><h3>{e(problem_heading(p))}</h3>', f"<p>{e(what)}</p>"]
        if fix:
            block.append(f'<p class="fix">Fix: {e(fix)}</p>')
        expectations = p.get("expectations") or []
        if expectations:
            block.append(_expectations(expectations, pages))
        # The error lines the table does not show already (a gate's lines repeat its expectations first).
        rest = [line for line in p.get("lines", []) if line != p.get("message")][len(expectations) :]
        if rest:
            block.append("<ul>" + "".join(f"<li>{e(line)}</li>" for line in rest) + "</ul>")
        block.append("</div>")
        out.append("\n".join(block))
    return "\n".join(out)


def _expectations(failures: list[dict[str, Any]], pages: dict[str, tuple[str, str]]) -> str:
    """A gate's failing expectations: dataset (linked to its validation page), check, sample values, rows."""
    rows = []
    gates = []
    for f in failures:
        dataset = str(f.get("dataset", "?"))
        gate, page = pages.get(dataset, ("", ""))
        gates += [gate] if gate and gate not in gates else []
        sample = ", ".join(f"<code>{e(_value(v))}</code>" for v in f.get("sample") or f.get("missing") or [])
        if not sample and "observed" in f:
            sample = f"observed <code>{e(_value(f['observed']))}</code>"
        if "expected" in f:
            sample += f" (expected <code>{e(_value(f['expected']))}</code>)"
        rows.append(
            [
                link(page, dataset) if page else e(dataset),
                f"<code>{e(f.get('expectation'))}</code>",
                e(", ".join(f.get("columns") or []) or "(table)"),
                e(f.get("unexpected_count", "")),
                f'<span class="sample">{sample}</span>',
                ", ".join(e(r) for r in f.get("rows") or []),
            ]
        )
    docs = " · ".join(link(f"gx/{g}/docs/index.html", f"the {g} gate's Data Docs") for g in gates)
    headers = ["dataset", "expectation", "columns", "unexpected", "sample values", "at rows"]
    return table(headers, rows, numeric=(3,)) + (f"<p>Every result: {docs}.</p>" if docs else "")


def _held_back(summary: dict[str, Any]) -> str:
    held = summary.get("held_back") or []
    if not held:
        return ""
    rows = [
        [
            e(h["source"]),
            "<ul>" + "".join(f"<li>{e(f)}</li>" for f in h.get("failures", [])[:5]) + "</ul>",
            f"<code>{e(h.get('quarantine'))}/</code>",
        ]
        for h in held
    ]
    note = "<p>Not in this run's silver and gold; the other sources were published.</p>"
    return "<h2>Held back by the bronze gate</h2>" + note + table(["source", "why", "quarantined in"], rows)


def _sources(summary: dict[str, Any]) -> str:
    rows = []
    for s in summary.get("sources") or []:
        data = s.get("rows") or {}
        rows.append(
            [
                e(s["source"]),
                badge(s["status"]),
                "<br>".join(f"{e(k)} {v:,}" for k, v in data.items()) or "-",
                e(s.get("pages")),
                e(s.get("requests")),
                e(human_bytes(s.get("response_bytes"))),
                e(human_bytes(s.get("bronze_bytes"))),
                e(_secs(s["duration_s"]) if s.get("duration_s") is not None else None),
                e(_quota(s.get("quota"))),
                e(", ".join(s.get("drift") or []) or ("none" if "drift" in s else "-")),
                e(s.get("error") or s.get("reason") or ""),
            ]
        )
    headers = ["source", "status", "rows", "pages", "requests", "API bytes", "bronze bytes", "time", "quota"]
    return "<h2>Sources</h2>" + table([*headers, "schema drift", "why / error"], rows, numeric=(3, 4, 5, 6, 7))


def _layers(summary: dict[str, Any]) -> str:
    layers = summary.get("layers") or []
    if not layers:
        return ""
    rows = [
        [
            e(layer["layer"]),
            badge(layer["status"]),
            e(f"{layer['models']} ok / {layer['models_failed']} failed"),
            e(f"{layer['tests']} ok / {layer['tests_failed']} failed"),
            e(_secs(layer["duration_s"])),
            e(layer.get("error") or layer.get("reason") or ""),
        ]
        for layer in layers
    ]
    out = "<h2>Warehouse layers (dbt)</h2>" + table(["layer", "status", "models", "tests", "time", "why / error"], rows)
    changes = summary.get("changes") or []
    if changes:
        out += f"<p>{e(changes_text(summary))}</p>" + table(
            ["source", "rows delivered", "new", "changed"],
            [[e(c["source"]), f"{c['delivered']:,}", f"{c['new']:,}", f"{c['changed']:,}"] for c in changes],
            numeric=(1, 2, 3),
        )
    return out


def _validation(summary: dict[str, Any]) -> str:
    gates = summary.get("validation") or []
    if not gates:
        return ""
    out = ["<h2>Validation gates (Great Expectations)</h2>"]
    for g in gates:
        x = g.get("expectations") or {}
        counts = f"{x.get('passed', 0)} of {x.get('evaluated', 0)} expectations passed" if x else "no expectations run"
        docs = link(f"gx/{g['gate']}/docs/index.html", "Data Docs") if g.get("docs") else "no Data Docs"
        head = f"<h3>{e(g['gate'])} gate {badge(g.get('outcome') or g['status'])}</h3>"
        body = [f"<p>{e(counts)}; {e(_secs(g['duration_s']))}; {docs}", "</p>"]
        if g.get("reason") and not x:
            body.insert(1, f" — {e(g['reason'])}")
        pages = g.get("pages") or {}
        if pages:
            body.append("<p>Validation pages: " + " · ".join(link(v, k) for k, v in pages.items()) + "</p>")
        if g.get("failures"):
            more = int(g.get("failures_total") or 0) - len(g["failures"])
            items = "".join(f"<li>{e(f)}</li>" for f in g["failures"])
            tail = f"<li>and {more} more (see the Data Docs)</li>" if more > 0 else ""
            body.append(f"<ul>{items}{tail}</ul>")
        out.append(head + "".join(body))
    return "\n".join(out)


def _timeline(summary: dict[str, Any]) -> str:
    spans = (summary.get("timeline") or {}).get("spans") or []
    if not spans:
        return ""
    return "<h2>Timeline</h2>" + timeline_svg(spans)


def timeline_svg(spans: list[dict[str, Any]]) -> str:
    """One bar per task at its start, as long as it ran; tasks with no span are named, with their phase."""
    label_w, bar_w, row_h, top = 170, 760, 20, 22
    end = max((s["start_s"] + s["duration_s"] for s in spans if s.get("start_s") is not None), default=0.0)
    scale = bar_w / max(end, 1.0)
    step = _tick_step(end)
    height = top + row_h * len(spans) + 6
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{label_w + bar_w + 70}" height="{height}" '
        f'aria-label="task timeline">'
    ]
    tick = 0.0
    while tick <= end + 1e-9:
        x = label_w + tick * scale
        out.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 4}" stroke="#d0d7de"/>')
        out.append(f'<text x="{x:.1f}" y="{top - 8}" text-anchor="middle">{_secs(tick)}</text>')
        tick += step
    for i, s in enumerate(spans):
        y = top + i * row_h
        out.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{e(s["task"])}</text>')
        if s.get("start_s") is None:
            out.append(f'<text x="{label_w + 4}" y="{y + 14}" fill="#6e7781">{e(s["phase"])} (did not run)</text>')
            continue
        x, w = label_w + s["start_s"] * scale, max(s["duration_s"] * scale, 2.0)
        colour = _BAR.get(s["phase"], "#8c959f")
        tip = f"{s['task']}: {s['phase']}, from +{_secs(s['start_s'])}, {_secs(s['duration_s'])}"
        out.append(
            f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" rx="2" fill="{colour}">'
            f"<title>{e(tip)}</title></rect>"
        )
        out.append(f'<text x="{x + w + 4:.1f}" y="{y + 14}">{e(_secs(s["duration_s"]))}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _tasks(summary: dict[str, Any]) -> str:
    rows = [
        [
            e(t["task"]),
            badge(t["phase"]),
            e(_secs(t["duration_s"])),
            e(t.get("attempts", "")),
            e(t.get("exit_code", "")),
            e(t.get("message") or ""),
        ]
        for t in summary.get("tasks") or []
    ]
    headers = ["task", "phase", "time", "attempts", "exit code", "message"]
    return "<h2>Tasks</h2>" + table(headers, rows, numeric=(2, 3, 4))


def _freshness(summary: dict[str, Any]) -> str:
    if not summary.get("freshness"):
        return ""
    rows = [[e(c) for c in r[:-1]] + [badge(r[-1])] for r in freshness_rows(summary)]
    return "<h2>Freshness (as of the end of the run)</h2>" + table(FRESHNESS_HEADERS, rows)


def _quota(quota: Any) -> str | None:
    """``412 of 1000 today`` from a source's daily quota metrics."""
    if not isinstance(quota, dict):
        return None
    if quota.get("per_day"):
        return f"{quota.get('used', 0):,} of {quota['per_day']:,} on {quota.get('day', 'the day')}"
    return ", ".join(f"{k} {v}" for k, v in quota.items())


def _value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "(" + ", ".join(_value(v) for v in value) + ")"
    return str(value)


def _secs(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.1f}s" if seconds < 10 or seconds != int(seconds) else f"{seconds:.0f}s"


def _tick_step(end: float) -> float:
    """A round step giving 4 to 10 ticks over ``end`` seconds."""
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if end / step <= 10:
            return float(step)
    return float(3600 * max(1, int(end / 36000) + 1))
