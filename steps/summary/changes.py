"""What the run's deliveries changed in silver, per source, as the dbt silver stage recorded it (change detection).

The stage counts, after its build, the rows the merged deliveries made new or changed (:mod:`steps.dbt.changes`);
the summary lists them per source: ``worldbank: 33 rows delivered, 0 new, 0 changed``. A source absent from the
build (skipped, held back, disabled) has no entry.
"""

from __future__ import annotations

from typing import Any

from steps.reports import StageResult


def silver_changes(result: StageResult | None) -> list[dict[str, Any]]:
    """Per source: rows delivered, new and changed, and the runs merged; empty when silver built nothing."""
    if result is None or result.status != "succeeded":
        return []
    recorded = result.metrics.get("changes") or {}
    return [
        {
            "source": source,
            "delivered": int(entry.get("delivered", 0)),
            "new": int(entry.get("new", 0)),
            "changed": int(entry.get("changed", 0)),
            "runs": list(entry.get("runs", [])),
        }
        for source, entry in sorted(recorded.items())
        if isinstance(entry, dict)
    ]


def change_line(entry: dict[str, Any]) -> str:
    """``worldbank: 33 rows delivered, 0 new, 0 changed``."""
    counts = f"{entry['delivered']:,} rows delivered, {entry['new']:,} new, {entry['changed']:,} changed"
    return f"{entry['source']}: {counts}"


def changes_text(summary: dict[str, Any]) -> str | None:
    """One line for the reports (None when silver merged no delivery)."""
    entries = summary.get("changes") or []
    return "Changes in silver: " + "; ".join(change_line(e) for e in entries) if entries else None
