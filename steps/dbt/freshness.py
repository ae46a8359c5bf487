"""Does a layer have anything new to build? Compares what it was built from with what is committed now."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from steps import layout
from steps.lake import Lake
from steps.state import read_state

_PROJECT_PARTS = ("dbt_project.yml", "models", "macros", "snapshots", "tests", "data-tests", "seeds")


def project_fingerprint(project_dir: Path) -> str:
    """Hash of the dbt project's files: a changed model means the layer must be rebuilt."""
    digest = hashlib.sha256()
    for part in _PROJECT_PARTS:
        root = project_dir / part
        files = sorted(root.rglob("*")) if root.is_dir() else [root] if root.is_file() else []
        for f in files:
            if f.is_file():
                digest.update(str(f.relative_to(project_dir)).encode())
                digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


def layer_inputs(lake: Lake, layer: str, sources: list[str], fingerprint: str) -> dict[str, Any]:
    """What the layer would be built from now: the last ingest per source (silver) or silver's build (gold)."""
    if layer == "silver":
        upstream: Any = {s: _last_run(lake, s) for s in sources}
    else:
        upstream = (lake.read_json(layout.layer_state("silver")) or {}).get("built_at")
    return {"upstream": upstream, "project": fingerprint}


def is_current(lake: Lake, layer: str, inputs: dict[str, Any]) -> bool:
    """Whether the layer was last built from exactly ``inputs``."""
    built = lake.read_json(layout.layer_state(layer)) or {}
    return bool(built) and built.get("inputs") == inputs


def _last_run(lake: Lake, source: str) -> str | None:
    """The newest committed ingest, backfills included (they change bronze too)."""
    history = read_state(lake, source).history
    return history[0].run_id if history else None
