"""Rejecting a bronze batch that failed the gate: it must neither count as ingested nor ever reach silver.

The ingest commits a batch (manifest) and advances ``state/<source>.json`` before the gate runs. Rejecting undoes
both, in an order that is safe to interrupt and to repeat:

1. ``quarantine/<source>/<run_id>/rejection.json`` records the decision, the failures and the manifest as it was;
2. the source's state forgets the run: its record leaves the history and ``last_success`` falls back to the
   previous ingest (the state file is removed when there was none), so freshness re-ingests the source next run
   and dbt silver sees nothing new;
3. the batch's Parquet files move to ``quarantine/<source>/<run_id>/<dataset>/…``: dbt reads only files a
   manifest names, but the files go with their manifest so that bronze holds committed data only;
4. the manifest moves to ``quarantine/<source>/<run_id>/_manifest.json`` (last: while it is in ``_manifests`` a
   re-run of the gate recognises the interrupted rejection and finishes it).

Quarantine lives outside ``bronze/`` on purpose: the ingest deletes any file under ``bronze/<source>/`` that no
manifest names, and the evidence should outlive the next ingest.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from steps import layout
from steps.lake import Lake
from steps.state import SourceState, read_state


def quarantine_dir(source: str, run_id: str) -> str:
    """Where a rejected batch of ``source`` from run ``run_id`` is kept."""
    return f"quarantine/{source}/{run_id}"


def rejection_record(source: str, run_id: str) -> str:
    """The record of why a batch was rejected."""
    return f"{quarantine_dir(source, run_id)}/rejection.json"


def read_rejection(lake: Lake, source: str, run_id: str) -> dict[str, Any] | None:
    """The rejection record of ``source`` in run ``run_id``, if the gate rejected that batch."""
    record: Any = lake.read_json(rejection_record(source, run_id))
    return record if isinstance(record, dict) else None


def reject(
    lake: Lake,
    source: str,
    run_id: str,
    manifest: dict[str, Any],
    failures: list[str],
    docs: str | None,
    *,
    gate: str = "bronze",
) -> dict[str, Any]:
    """Reject the batch of ``source`` ingested by ``run_id`` (steps 1-4 above); returns the rejection record.

    ``gate`` names who rejected it: the bronze gate, or the dbt stage for a committed file it cannot read.
    """
    record: dict[str, Any] = {
        "source": source,
        "run_id": run_id,
        "gate": gate,
        "rejected_at": datetime.now(UTC).isoformat(),
        "failures": failures,
        "docs": docs,
        "manifest": manifest,
        "complete": False,
    }
    lake.write_json(rejection_record(source, run_id), record)
    return finish_rejection(lake, record)


def finish_rejection(lake: Lake, record: dict[str, Any]) -> dict[str, Any]:
    """Carry out steps 2-4 for a recorded rejection; every step is a no-op when already done."""
    source, run_id, manifest = record["source"], record["run_id"], record["manifest"]
    record["state_restored_to"] = rollback_state(lake, source, run_id)
    moved = []
    for entry in manifest.get("datasets", {}).values():
        src = entry["path"]
        dst = f"{quarantine_dir(source, run_id)}/{src.removeprefix(f'bronze/{source}/')}"
        if lake.exists(src):
            lake.move(src, dst)
        moved.append(dst)
    committed = layout.manifest(source, run_id)
    lake.write_json(f"{quarantine_dir(source, run_id)}/_manifest.json", manifest)
    lake.delete(committed)
    record.update(files=moved, complete=True)
    lake.write_json(rejection_record(source, run_id), record)
    return record


def rollback_state(lake: Lake, source: str, run_id: str) -> str | None:
    """Make ``state/<source>.json`` what it was before run ``run_id`` ingested; returns the run it now points at.

    Only the record of ``run_id`` is removed, so ingests of other runs (older, or in the unlikely case newer)
    stay counted. With no record left the state file is deleted: the source was never successfully ingested.
    """
    state = read_state(lake, source)
    history = [h for h in state.history if h.run_id != run_id]
    last = state.last_success
    if last is not None and last.run_id == run_id:
        last = history[0] if history else None
    if last is None and not history:
        lake.delete(layout.state(source))
        return None
    if history != state.history or last != state.last_success:
        restored = SourceState(source=source, last_success=last, history=history)
        lake.write_json(layout.state(source), restored.model_dump(mode="json"))
    return last.run_id if last else None
