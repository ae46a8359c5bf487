"""Publishing a gate's evidence to the lake: GX result JSON per dataset, the outcome, and the Data Docs site.

Everything of one gate lives under ``reports/<run_id>/gx/<gate>/``::

    results/<dataset>.json   GX validation result (ExpectationSuiteValidationResult as JSON)
    outcome.json             the condensed outcome: counts, failures with sample bad values, paths
    docs/index.html          the Data Docs site (relative links, so it opens from any copy of the folder)

A re-run of the gate replaces the folder, so the site never mixes pages of two attempts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from steps import layout
from steps.lake import Lake


def gx_dir(run_id: str, gate: str) -> str:
    """The lake folder of one gate's evidence."""
    return f"{layout.report_dir(run_id)}/gx/{gate}"


def result_path(run_id: str, gate: str, dataset: str) -> str:
    """The GX result JSON of one dataset."""
    return f"{gx_dir(run_id, gate)}/results/{dataset}.json"


def docs_index(run_id: str, gate: str) -> str:
    """The Data Docs entry page of one gate."""
    return f"{gx_dir(run_id, gate)}/docs/index.html"


def clear(lake: Lake, run_id: str, gate: str) -> None:
    """Remove what an earlier attempt of this gate in this run published."""
    for rel in lake.list_files(gx_dir(run_id, gate)):
        lake.delete(rel)


def write_result(lake: Lake, run_id: str, gate: str, dataset: str, result: dict[str, Any]) -> str:
    """Store one GX result; returns its lake path."""
    rel = result_path(run_id, gate, dataset)
    lake.write_bytes(rel, json.dumps(result, indent=1, default=str).encode() + b"\n")
    return rel


def upload_docs(lake: Lake, run_id: str, gate: str, site: Path) -> str:
    """Upload the rendered site folder; returns the lake path of its ``index.html``.

    ``index.html`` goes last, so a reader who finds it also finds every page it links to.
    """
    prefix = f"{gx_dir(run_id, gate)}/docs"
    files = sorted(p for p in site.rglob("*") if p.is_file())
    files.sort(key=lambda p: p == site / "index.html")
    for path in files:
        lake.write_bytes(f"{prefix}/{path.relative_to(site).as_posix()}", path.read_bytes())
    return docs_index(run_id, gate)


def write_outcome(lake: Lake, run_id: str, gate: str, outcome: dict[str, Any]) -> str:
    """Store the condensed outcome next to the results; returns its lake path."""
    rel = f"{gx_dir(run_id, gate)}/outcome.json"
    lake.write_json(rel, outcome)
    return rel
