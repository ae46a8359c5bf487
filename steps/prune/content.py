"""Content fingerprints of bronze files: whether two deliveries hold the same rows, ingest columns aside.

A fingerprint is the row count and the sum of DuckDB's row hashes over every column but ``_run_id`` and
``_ingested_at`` (order-independent, duplicates counted). Bronze files never change once committed, so each is
read once: fingerprints are kept in ``state/_prune_content.json`` by path, and entries of removed files dropped.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from steps.dbt.committed import Delivery
from steps.errors import InputError
from steps.lake import Lake

log = logging.getLogger(__name__)

CACHE = "state/_prune_content.json"
INGEST_COLUMNS = ("_run_id", "_ingested_at")  # differ between deliveries of the same rows


def fingerprints(lake: Lake, committed: list[Delivery], *, save: bool) -> dict[tuple[str, str], dict[str, str]]:
    """``{(source, run_id): {dataset: fingerprint}}`` of every delivery, reading only files not seen before.

    ``save``: keep what was computed in :data:`CACHE` (a dry run writes nothing).
    """
    cached = lake.read_json(CACHE)
    known: dict[str, str] = cached if isinstance(cached, dict) else {}
    fresh: dict[str, str] = {}
    result: dict[tuple[str, str], dict[str, str]] = {}
    for delivery in committed:
        per_dataset: dict[str, str] = {}
        for f in delivery.files:
            value = known.get(f.path) or fresh.get(f.path)
            if value is None and (value := file_fingerprint(lake, f.path)) is not None:
                fresh[f.path] = value
            if value is None:
                break
            per_dataset[f.dataset] = value
        else:  # a delivery with a file gone has no fingerprint: the planner keeps it
            result[(delivery.source, delivery.run_id)] = per_dataset
    live = {f.path for d in committed for f in d.files}
    kept = {path: value for path, value in {**known, **fresh}.items() if path in live}
    if save and kept != known:
        lake.write_json(CACHE, dict(sorted(kept.items())))
    if fresh:
        log.info("fingerprinted bronze files", extra={"files": len(fresh)})
    return result


def file_fingerprint(lake: Lake, rel: str) -> str | None:
    """``<rows>:<hash sum>`` of one bronze Parquet file; None when it is gone.

    The file is copied to a temporary file first: one way for S3 and folders, and no S3 settings for DuckDB.
    """
    import duckdb

    with tempfile.TemporaryDirectory(prefix="tributary-prune-") as tmp:
        local = Path(tmp, "file.parquet")
        try:
            local.write_bytes(lake.read_bytes(rel))
        except FileNotFoundError:
            return None
        try:
            with duckdb.connect() as con:
                columns = [c[0] for c in con.execute("describe select * from read_parquet(?)", [str(local)]).fetchall()]
                drop = [c for c in INGEST_COLUMNS if c in columns]
                exclude = f" exclude ({', '.join(_quote(c) for c in drop)})" if drop else ""
                row = con.execute(
                    f"select count(*), coalesce(sum(hash(t)::hugeint), 0)::varchar "  # noqa: S608 - quoted names
                    f"from (select *{exclude} from read_parquet(?)) as t",
                    [str(local)],
                ).fetchone()
        except duckdb.Error as exc:
            raise InputError(
                f"bronze file {rel} cannot be read ({exc})", "run the pipeline: its dbt stage quarantines it"
            ) from None
    assert row is not None
    return f"{row[0]}:{row[1]}"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
