"""What failed or crashed ingests of a source leave in the lake, and its removal.

A failed ingest removes its own raw pages and aborts its uploads (:func:`drop_run`), but a crash, a kill or an
object store that stopped answering can prevent that. So the next ingest of the source first removes, for that
source only (only one ingest of a source runs at a time):

- bronze files no manifest names (:func:`steps.ingest.bronze.remove_uncommitted`);
- incomplete multipart uploads below ``bronze/<source>/`` and ``raw/<source>/`` (their parts are invisible but
  kept, and billed, until aborted);
- raw pages of runs that neither committed a manifest nor were quarantined by the bronze gate (abandoned).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from steps import layout
from steps.ingest.bronze import remove_uncommitted
from steps.lake import Lake

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Removed:
    """How many leftovers of each kind were removed."""

    bronze_files: int
    uploads: int
    raw_files: int

    def __bool__(self) -> bool:
        """Whether anything was removed."""
        return bool(self.bronze_files or self.uploads or self.raw_files)


def remove_leftovers(lake: Lake, source: str) -> Removed:
    """Remove what earlier ingests of ``source`` left behind uncommitted; returns the counts."""
    bronze = remove_uncommitted(lake, source)
    uploads = lake.abort_uploads(f"bronze/{source}") + lake.abort_uploads(f"raw/{source}")
    kept = _committed_runs(lake, source) | _quarantined_runs(lake, source)
    abandoned = [rel for rel in lake.list_files(f"raw/{source}") if _raw_run(rel) not in kept]
    for rel in abandoned:
        lake.delete(rel)
    return Removed(bronze_files=len(bronze), uploads=uploads, raw_files=len(abandoned))


def drop_run(lake: Lake, source: str, run_id: str) -> None:
    """Best effort after a failed ingest: delete the run's raw pages and abort its uploads.

    Never raises: the failure that stopped the run is the one to report, and whatever is left here (the store
    may be unreachable) the next ingest of the source removes.
    """
    try:
        lake.abort_uploads(f"raw/{source}")
        for rel in lake.list_files(f"raw/{source}"):
            if _raw_run(rel) == run_id:
                lake.delete(rel)
    except Exception as exc:  # noqa: BLE001 - see the docstring
        log.warning("raw pages of the failed run left for the next ingest", extra={"source": source, "problem": exc})


def _raw_run(rel: str) -> str | None:
    """The run id of a raw page path ``raw/<source>/<stream family>/<run_id>/<file>``."""
    parts = rel.split("/")
    return parts[3] if len(parts) >= 5 else None


def _committed_runs(lake: Lake, source: str) -> set[str]:
    """Run ids with a manifest of ``source``."""
    return {
        rel.rsplit("/", 1)[1].removesuffix(".json")
        for rel in lake.list_files(layout.manifests_dir(source))
        if rel.endswith(".json")
    }


def _quarantined_runs(lake: Lake, source: str) -> set[str]:
    """Run ids whose batch of ``source`` the bronze gate rejected (their raw pages are the evidence)."""
    return {rel.split("/")[2] for rel in lake.list_files(f"quarantine/{source}") if rel.count("/") >= 3}
