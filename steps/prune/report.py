"""What a prune did or would do, per area: units, bytes, oldest and newest run, bytes before and after."""

from __future__ import annotations

from typing import Any

from steps.prune.plan import AREAS, Plan
from steps.summary.render import human_bytes


def document(plan: Plan, *, dry_run: bool, maintenance: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON document of a prune (``--json``); the text output is rendered from it."""
    areas = {}
    for area in AREAS:
        gone = plan.of(area)
        before = plan.area_bytes.get(area, 0)
        freed = sum(r.unit.bytes for r in gone)
        by_time = sorted(gone, key=lambda r: (r.unit.at, r.unit.run_id))
        areas[area] = {
            "units": len(gone),
            "objects": sum(len(r.unit.objects) for r in gone),
            "bytes": freed,
            "oldest": _run(by_time[0]) if by_time else None,
            "newest": _run(by_time[-1]) if by_time else None,
            "bytes_before": before,
            "bytes_after": before - freed,
        }
    return {
        "as_of": plan.as_of.isoformat(),
        "dry_run": dry_run,
        "areas": areas,
        "total_bytes": plan.bytes,
        "kept_by_protection": dict(plan.protected),
        "removed": [
            {
                "area": r.unit.area,
                "source": r.unit.source or None,
                "run_id": r.unit.run_id,
                "at": r.unit.at.isoformat(),
                "bytes": r.unit.bytes,
                "reason": r.reason,
            }
            for r in plan.removals
        ],
        "maintenance": maintenance,
    }


def text(doc: dict[str, Any]) -> str:
    """The table a person reads."""
    verb = "would remove" if doc["dry_run"] else "removed"
    lines = [
        f"prune as of {doc['as_of']}{' (dry run: nothing deleted)' if doc['dry_run'] else ''}",
        f"{'area':<11} {'runs':>5} {'bytes':>10}  {'oldest':<26} {'newest':<26} {'before':>10} {'after':>10}",
    ]
    for area, a in doc["areas"].items():
        lines.append(
            f"{area:<11} {a['units']:>5} {human_bytes(a['bytes']):>10}  "
            f"{a['oldest'] or '-':<26} {a['newest'] or '-':<26} "
            f"{human_bytes(a['bytes_before']):>10} {human_bytes(a['bytes_after']):>10}"
        )
    lines.append(f"total: {verb} {human_bytes(doc['total_bytes'])}")
    for reason, count in doc["kept_by_protection"].items():
        lines.append(f"kept although old enough: {count} ({reason})")
    m = doc.get("maintenance")
    if m:
        lines.append(f"warehouse: {m['summary']}")
    return "\n".join(lines)


def _run(removal: Any) -> str:
    unit = removal.unit
    return f"{unit.source + '/' if unit.source else ''}{unit.run_id}"
