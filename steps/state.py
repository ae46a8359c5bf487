"""Per-source state: the last successful ingest, advanced only after its bronze files and manifest are durable.

Each committed ingest leaves an :class:`IngestRecord` in the source's history. Incremental sources add a
:class:`Checkpoint` to it: their watermarks (the last observation date or period per series, the last value of a
Postgres watermark column) and whatever else they must remember between runs (file checksums, an inferred
schema). The source's current checkpoint is the newest one in the history, so undoing a run (the bronze gate's
quarantine removes its record) also undoes what that run advanced. Watermarks only move forward: merging keeps
the larger value per key, so a backfill of old data never moves one backwards.

A backfill (``--backfill START:END``) is recorded in the history but does not become ``last_success``: freshness
keeps measuring the age of the last regular ingest.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from steps import layout
from steps.errors import ConfigError
from steps.lake import Lake

_HISTORY = 20  # successful ingests kept in the state file; the manifests keep the rest
_CHECKPOINTS = 5  # newest records that keep their checkpoint (enough to undo a rejected run); older drop it

WatermarkKind = Literal["date", "period", "int", "decimal", "timestamp", "text"]


class Watermark(BaseModel):
    """The high-water mark of one stream, typed so that it compares correctly."""

    kind: WatermarkKind
    value: str

    def sort_key(self) -> Any:
        """A value ordering watermarks of the same kind."""
        if self.kind == "date":
            return date.fromisoformat(self.value)
        if self.kind == "int":
            return int(self.value)
        if self.kind == "decimal":
            return Decimal(self.value)
        if self.kind == "timestamp":
            return datetime.fromisoformat(self.value)
        return self.value  # periods of one frequency (2024-01, 2024-Q1, 2024) sort as text


class Checkpoint(BaseModel):
    """What an incremental source carries from one run to the next."""

    watermarks: dict[str, Watermark] = {}
    memory: dict[str, Any] = {}


class IngestRecord(BaseModel):
    """One committed ingest."""

    run_id: str
    finished_at: datetime
    manifest: str
    rows: dict[str, int]
    backfill: str | None = None  # "START:END" for a backfill run
    checkpoint: Checkpoint | None = None  # the source's checkpoint after this run (incremental sources)


class SourceState(BaseModel):
    """What the lake knows about one source."""

    source: str
    last_success: IngestRecord | None = None
    history: list[IngestRecord] = []

    @property
    def checkpoint(self) -> Checkpoint:
        """The newest checkpoint in the history (empty when the source never committed one)."""
        for record in self.history:
            if record.checkpoint is not None:
                return record.checkpoint
        return Checkpoint()


def merge_watermarks(old: dict[str, Watermark], new: dict[str, Watermark]) -> dict[str, Watermark]:
    """Per key, the larger of the two watermarks: a watermark never moves backwards."""
    merged = dict(old)
    for key, mark in new.items():
        before = merged.get(key)
        if before is None or before.kind != mark.kind or mark.sort_key() > before.sort_key():
            merged[key] = mark
    return merged


class CorruptState(ConfigError):
    """A state file that does not parse: refused, since guessing would re-ingest or skip the wrong data."""

    def __init__(self, lake: Lake, source: str, problem: str) -> None:
        """Name the file, what is wrong with it, and the two ways out."""
        self.source = source
        super().__init__(
            f"state file {lake.uri(layout.state(source))} is corrupt ({problem})",
            f"restore it, or run with --force to set it aside and ingest {source} again",
        )


def read_state(lake: Lake, source: str) -> SourceState:
    """The state of ``source`` (empty when it was never ingested); :class:`CorruptState` when it does not parse."""
    try:
        data = lake.read_bytes(layout.state(source))
    except FileNotFoundError:
        return SourceState(source=source)
    if not data.strip():
        raise CorruptState(lake, source, "empty file")
    try:
        return SourceState.model_validate(json.loads(data))
    except ValueError as exc:  # JSONDecodeError and pydantic's ValidationError both are ValueErrors
        problem = " ".join(str(exc).split())[:120]
        raise CorruptState(lake, source, problem) from None


def set_aside_corrupt_state(lake: Lake, source: str, run_id: str) -> str:
    """Move a corrupt state file to ``state/<source>.json.corrupt-<run_id>``; returns where it went.

    Kept rather than deleted: it may hold history worth restoring by hand. Without it the source starts afresh.
    """
    aside = f"{layout.state(source)}.corrupt-{run_id}"
    lake.move(layout.state(source), aside)
    return aside


def advance_state(lake: Lake, source: str, record: IngestRecord) -> SourceState:
    """Record a committed ingest; a regular one also becomes the source's last success."""
    current = read_state(lake, source)
    history = [record, *[h for h in current.history if h.run_id != record.run_id]][:_HISTORY]
    history = [h if i < _CHECKPOINTS else h.model_copy(update={"checkpoint": None}) for i, h in enumerate(history)]
    last = current.last_success if record.backfill else record
    if last is not None and last.run_id == record.run_id:
        last = record
    new = SourceState(source=source, last_success=last, history=history)
    lake.write_json(layout.state(source), new.model_dump(mode="json", exclude_none=False))
    return new
