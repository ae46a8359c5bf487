"""The lake as the planner sees it: one listing per area, the committed manifests, the quarantine records.

Only reads. Hidden objects (a write in progress, ``.…inprogress``) and files of runs that never committed belong
to whoever is writing them or to the ingest's leftover cleanup, so they are not units here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from steps import layout
from steps.dbt.committed import Delivery, deliveries
from steps.lake import Lake, ObjectInfo
from steps.prune.plan import AREAS, Area, LakeFacts, Unit


def gather(lake: Lake, content: Callable[[list[Delivery]], Mapping[tuple[str, str], Mapping[str, str]]]) -> LakeFacts:
    """List the lake's areas and build the planner's facts; ``content`` fingerprints the deliveries it is given."""
    listed = {area: lake.list_infos(area) for area in AREAS}
    area_bytes: dict[Area, int] = {area: sum(o.size for o in infos) for area, infos in listed.items()}
    sources = sorted({o.path.split("/")[1] for o in listed["bronze"] if o.path.count("/") >= 3})
    committed_deliveries = deliveries(lake, sources)
    by_path = {o.path: o for o in listed["bronze"]}
    units: list[Unit] = [_delivery_unit(d, by_path) for d in committed_deliveries]
    quarantine = _runs(listed["quarantine"], depth=2)
    units += [_unit("quarantine", source, run, infos) for (source, run), infos in quarantine.items()]
    committed: dict[str, set[str]] = {}
    for d in committed_deliveries:
        committed.setdefault(d.source, set()).add(d.run_id)
    for source, run in quarantine:
        committed.setdefault(source, set()).add(run)
    # raw/<source>/<raw_name>/<run_id>/…: one unit per source and run, across its stream families
    raw: dict[tuple[str, str], list[ObjectInfo]] = {}
    for info in _visible(listed["raw"]):
        parts = info.path.split("/")
        if len(parts) >= 5:
            raw.setdefault((parts[1], parts[3]), []).append(info)
    units += [_unit("raw", source, run, infos) for (source, run), infos in raw.items()]
    reports: dict[str, list[ObjectInfo]] = {}
    for info in listed["reports"]:
        parts = info.path.split("/")
        if len(parts) >= 3:
            reports.setdefault(parts[1], []).append(info)
    units += [_unit("reports", "", run, infos) for run, infos in reports.items()]
    return LakeFacts(
        units=tuple(units),
        area_bytes=area_bytes,
        committed={source: frozenset(runs) for source, runs in committed.items()},
        content=content(committed_deliveries),
    )


def _delivery_unit(delivery: Delivery, by_path: Mapping[str, ObjectInfo]) -> Unit:
    """A committed delivery: its data files, then its manifest (the executor removes the manifest first)."""
    files = tuple(by_path[f.path] for f in delivery.files if f.path in by_path)
    manifest = by_path.get(layout.manifest(delivery.source, delivery.run_id))
    objects = files + ((manifest,) if manifest is not None else ())
    return Unit("bronze", delivery.source, delivery.run_id, _when(delivery.finished_at, objects), objects)


def _runs(infos: list[ObjectInfo], depth: int) -> dict[tuple[str, str], list[ObjectInfo]]:
    """``<area>/<source>/<run_id>/…`` grouped by source and run."""
    runs: dict[tuple[str, str], list[ObjectInfo]] = {}
    for info in infos:
        parts = info.path.split("/")
        if len(parts) > depth + 1:
            runs.setdefault((parts[1], parts[depth]), []).append(info)
    return runs


def _unit(area: Area, source: str, run_id: str, infos: list[ObjectInfo]) -> Unit:
    objects = tuple(sorted(infos, key=lambda o: o.path))
    return Unit(area, source, run_id, max(o.mtime for o in objects), objects)


def _when(finished_at: str, objects: tuple[ObjectInfo, ...]) -> datetime:
    try:
        return datetime.fromisoformat(finished_at.replace("Z", "+00:00"))
    except ValueError:
        return max((o.mtime for o in objects), default=datetime.min.replace(tzinfo=UTC))


def _visible(infos: list[ObjectInfo]) -> list[ObjectInfo]:
    return [o for o in infos if not any(part.startswith(".") for part in o.path.split("/"))]
