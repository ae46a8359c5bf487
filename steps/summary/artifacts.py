"""The run report as files for the orchestrator to publish: Argo uploads them as the exit handler's artifacts.

The Argo UI shows a folder artifact's ``index.html`` and serves the files below it, so the folder mirrors the
report folder of the lake: ``index.html``, ``summary.md``, ``summary.json`` and each gate's Data Docs
(``gx/<gate>/docs/``). The report's relative links to the Data Docs then work in the UI as they do in the lake.
"""

from __future__ import annotations

from pathlib import Path

from steps import layout
from steps.lake import Lake

REPORT_FILES = ("index.html", "summary.md", "summary.json")


def export_report(lake: Lake, run_id: str, dest: Path) -> list[str]:
    """Copy the run's report pages and every gate's Data Docs from the lake into ``dest``; returns what was copied.

    Args:
        lake: The lake holding ``reports/<run_id>/``.
        run_id: The run.
        dest: A local folder (created); files already there are replaced.
    """
    folder = layout.report_dir(run_id)
    names = [name for name in REPORT_FILES if lake.exists(f"{folder}/{name}")]
    names += [
        rel[len(folder) + 1 :]
        for rel in lake.list_files(f"{folder}/gx/")
        if "/docs/" in rel and not rel.rsplit("/", 1)[1].startswith(".")
    ]
    for name in names:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(lake.read_bytes(f"{folder}/{name}"))
    return names
