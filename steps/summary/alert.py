"""The run's notification: what a person needs to act, as JSON fields and as a chat message (pure).

One payload serves a generic receiver and Slack-compatible incoming webhooks (Slack, Mattermost, Rocket.Chat):
those read ``text`` (Slack's mrkdwn: ``*bold*``, ``&``, ``<`` and ``>`` escaped) and ignore the other fields, so
no field may use a name they interpret (``blocks``, ``attachments``, ``channel``, ``username``, ``metadata`` …).
Everything that goes out passes :func:`steps.redact.redact_free_text`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from steps.redact import redact_free_text

TEXT_LINES_PER_TASK = 5  # error lines of a failed task in the chat message; the JSON fields have them all
TEXT_LINE_CHARS = 300
TEXT_CHARS = 3500  # Slack truncates messages far beyond this; a chat alert should be read at a glance
FIX = ". Fix: "  # how every stage's one-line error joins what went wrong and what to do (steps.errors)


def build_payload(summary: dict[str, Any], extra_secrets: Iterable[str] = ()) -> dict[str, Any]:
    """The notification of a run summary: ``text`` for chat tools, then the same facts as fields.

    Fields: ``run_id``; ``status``; ``report`` (where to open the report: its path, or its ``s3://`` URI);
    ``failed_tasks`` (names); ``failures`` (per failed task: ``task``, ``phase``, ``exit_code``, ``message``, the
    error ``lines`` and, for a gate, its first failing ``expectations`` with columns and sample values);
    ``sources`` (per source: ``outcome`` ``ingested``/``skipped``/``failed``/``rejected``/``not run``, ``detail``,
    ``rows`` when ingested); ``overdue`` (sources past their freshness SLA when the run ended).

    Args:
        summary: The run summary (steps.summary.core.build_summary).
        extra_secrets: Secret values to mask besides the environment's (e.g. the webhook URL itself).
    """
    fields: dict[str, Any] = {
        "run_id": summary["run_id"],
        "status": summary["status"],
        "report": summary.get("report") or f"{summary['reports']}/summary.md",
        "failed_tasks": list(summary["failed_tasks"]),
        "failures": [dict(p) for p in summary.get("problems", [])],
        "sources": [source_outcome(s) for s in summary["sources"]],
        "overdue": [f["source"] for f in summary.get("freshness", []) if f.get("overdue")],
    }
    masked = _redact(fields, list(extra_secrets))
    return {"text": chat_text(masked), **masked}


def source_outcome(entry: dict[str, Any]) -> dict[str, Any]:
    """One source's outcome in a word and a line: ingested N rows, skipped (why), failed (why), rejected, not run."""
    status = entry["status"]
    if status == "succeeded":
        rows = sum((entry.get("rows") or {}).values())
        return {"source": entry["source"], "outcome": "ingested", "rows": rows, "detail": f"ingested {rows:,} rows"}
    if status == "skipped":
        return {"source": entry["source"], "outcome": "skipped", "detail": f"skipped: {entry.get('reason', '')}"}
    if status == "rejected":
        return {"source": entry["source"], "outcome": "rejected", "detail": entry.get("error") or "rejected"}
    if status == "failed":
        return {"source": entry["source"], "outcome": "failed", "detail": f"failed: {entry.get('error') or '?'}"}
    return {"source": entry["source"], "outcome": "not run", "detail": f"not run: {entry.get('reason', '')}"}


def chat_text(fields: dict[str, Any]) -> str:
    """A short mrkdwn message: the verdict, each failed task with its first error lines, sources, the report."""
    verdict = {"succeeded": "succeeded", "failed": "FAILED", "interrupted": "was INTERRUPTED"}.get(
        fields["status"], fields["status"]
    )
    lines = [f"*Tributary run `{_esc(fields['run_id'])}` {verdict}*"]
    for failure in fields["failures"]:
        code = f", exit {failure['exit_code']}" if failure.get("exit_code") is not None else ""
        lines.append(f"*{_esc(failure['task'])}* ({_esc(failure['phase'])}{code})")
        shown = failure["lines"][:TEXT_LINES_PER_TASK]
        lines += [f"• {_esc(_clip(line))}" for line in shown]
        if len(failure["lines"]) > len(shown):
            lines.append(f"• … {len(failure['lines']) - len(shown)} more in the report")
        fix = failure.get("message", "").rpartition(FIX)[2]  # the last: verify joins its lines, each with its fix
        if fix and not any(fix in line for line in shown):  # e.g. a gate: its lines are findings, the fix is apart
            lines.append(f"→ Fix: {_esc(_clip(fix))}")
    if fields["sources"]:  # in a word each: the failures above say why
        outcomes = (
            f"{s['source']} {s['detail'] if s['outcome'] == 'ingested' else s['outcome']}" for s in fields["sources"]
        )
        lines.append("Sources: " + "; ".join(_esc(o) for o in outcomes))
    if fields["overdue"]:
        lines.append("Overdue (past max_age_days): " + ", ".join(_esc(s) for s in fields["overdue"]))
    lines.append(f"Report: {_esc(fields['report'])}")
    text = "\n".join(lines)
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 40].rsplit("\n", 1)[0] + "\n… (cut; see the report)"


def _esc(text: str) -> str:
    """Slack's control characters as the entities it expects in text (its formatting reference)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int = TEXT_LINE_CHARS) -> str:
    """``text`` cut to ``limit`` characters in its middle: its ``Fix: …`` tail is what the reader acts on."""
    if len(text) <= limit:
        return text
    head, sep, fix = text.partition(FIX)
    if sep and len(fix) < limit // 2:
        return head[: limit - len(sep) - len(fix) - 1] + "…" + sep + fix
    return text[: limit - 1] + "…"


def _redact(value: Any, extra: list[str]) -> Any:
    if isinstance(value, str):
        return redact_free_text(value, extra)
    if isinstance(value, dict):
        return {k: _redact(v, extra) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, extra) for v in value]
    return value
