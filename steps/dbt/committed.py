"""The bronze files dbt may read: exactly those the committed manifests name, never a folder's listing.

A bronze file becomes visible when the ingest publishes it and counts only once the manifest naming it is written
(``bronze/<source>/_manifests/<run_id>.json``). A crash between the two leaves a visible file no manifest names;
reading bronze by glob would let silver read it. So the dbt stage lists the committed files here and hands the
list to dbt (:func:`bronze_files_env`), whose bronze views read exactly that list.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from steps import layout
from steps.lake import Lake

log = logging.getLogger(__name__)

BRONZE_FILES_ENV = "TRIBUTARY_BRONZE_FILES"  # read by dbt/macros/bronze_source.sql (bronze_files)


@dataclass(frozen=True)
class CommittedFile:
    """One bronze file a manifest names, with what the manifest says about it."""

    dataset: str
    path: str
    rows: int
    bytes: int | None


@dataclass(frozen=True)
class Delivery:
    """One committed ingest of one source: its manifest as stored and the files it names."""

    source: str
    run_id: str
    finished_at: str
    manifest: dict[str, Any] = field(compare=False, repr=False)
    files: tuple[CommittedFile, ...] = ()


def deliveries(lake: Lake, sources: list[str]) -> list[Delivery]:
    """Every committed ingest of ``sources``, in ingest order (manifest finish time, then run id)."""
    found: list[Delivery] = []
    for source in sources:
        for rel in lake.list_files(layout.manifests_dir(source)):
            name = rel.rsplit("/", 1)[1]
            if not name.endswith(".json") or name.startswith("."):  # hidden: a manifest still being written
                continue
            raw = lake.read_json(rel)
            if isinstance(raw, dict):
                found.append(_delivery(source, name.removesuffix(".json"), raw))
    return sorted(found, key=lambda d: (d.finished_at, d.run_id, d.source))


def _delivery(source: str, run_id: str, raw: dict[str, Any]) -> Delivery:
    datasets = raw.get("datasets") if isinstance(raw.get("datasets"), dict) else {}
    files = tuple(
        CommittedFile(
            dataset=str(name), path=str(entry["path"]), rows=int(entry.get("rows", 0)), bytes=entry.get("bytes")
        )
        for name, entry in (datasets or {}).items()
        if isinstance(entry, dict) and "path" in entry
    )
    return Delivery(source, str(raw.get("run_id", run_id)), str(raw.get("finished_at", "")), raw, files)


def bronze_index(lake: Lake, committed: list[Delivery]) -> dict[str, dict[str, list[str]]]:
    """``{source: {dataset: [file URI, …]}}`` of the given deliveries, each list in ingest order."""
    index: dict[str, dict[str, list[str]]] = {}
    for delivery in committed:
        for f in delivery.files:
            index.setdefault(delivery.source, {}).setdefault(f.dataset, []).append(lake.uri(f.path))
    return index


def bronze_files_env(index: dict[str, dict[str, list[str]]]) -> dict[str, str]:
    """The environment variable dbt's bronze views read their file lists from (JSON, in-process only)."""
    return {BRONZE_FILES_ENV: json.dumps(index, sort_keys=True)}


def replay_steps(committed: list[Delivery]) -> list[list[Delivery]]:
    """The deliveries as of each ingest run, in order: what bronze held after run 1, after run 2, and so on.

    One pipeline run ingests several sources under one run id; they land together, so they form one step.
    """
    steps: list[list[Delivery]] = []
    seen: list[str] = []
    for delivery in committed:
        if delivery.run_id not in seen:
            seen.append(delivery.run_id)
    for i in range(len(seen)):
        upto = set(seen[: i + 1])
        steps.append([d for d in committed if d.run_id in upto])
    return steps
