"""Per-source state: the last successful ingest, advanced only after its bronze files and manifest are durable."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from steps import layout
from steps.lake import Lake

_HISTORY = 20  # successful ingests kept in the state file; the manifests keep the rest


class IngestRecord(BaseModel):
    """One committed ingest."""

    run_id: str
    finished_at: datetime
    manifest: str
    rows: dict[str, int]


class SourceState(BaseModel):
    """What the lake knows about one source."""

    source: str
    last_success: IngestRecord | None = None
    history: list[IngestRecord] = []


def read_state(lake: Lake, source: str) -> SourceState:
    """The state of ``source`` (empty when it was never ingested)."""
    raw: Any = lake.read_json(layout.state(source))
    return SourceState.model_validate(raw) if raw else SourceState(source=source)


def advance_state(lake: Lake, source: str, record: IngestRecord) -> SourceState:
    """Record a committed ingest as the source's last success."""
    current = read_state(lake, source)
    history = [record, *[h for h in current.history if h.run_id != record.run_id]][:_HISTORY]
    new = SourceState(source=source, last_success=record, history=history)
    lake.write_json(layout.state(source), new.model_dump(mode="json"))
    return new
