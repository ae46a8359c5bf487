"""Committed bronze files that cannot be read are quarantined before dbt sees them.

A committed file that is truncated or missing would fail every later silver build (``--force`` included). Each
committed file is checked once per size: its size against the manifest's, and the Parquet magic at both ends with
a footer that fits (a truncated file loses its footer). A failing file's whole batch is rejected the way the
bronze gate rejects one (:mod:`steps.validate.quarantine`): moved out of ``bronze/`` with its reason, the source's
state rolled back, so the rest of bronze proceeds and the next ingest fetches the source again.
"""

from __future__ import annotations

import logging
import struct

from steps.dbt.committed import Delivery
from steps.lake import Lake
from steps.validate import quarantine

log = logging.getLogger(__name__)

CHECKED_STATE = "state/_bronze_checked.json"  # {path: size} of committed files found readable
_MAGIC = b"PAR1"


def unreadable_reason(data: bytes, expected_bytes: int | None) -> str | None:
    """Why ``data`` is not the complete Parquet file the manifest committed, or None when it is."""
    if expected_bytes is not None and len(data) != expected_bytes:
        return f"{len(data)} bytes, the manifest committed {expected_bytes} (truncated or overwritten)"
    if len(data) < 12 or data[:4] != _MAGIC or data[-4:] != _MAGIC:
        return "not a complete Parquet file (no PAR1 magic at both ends)"
    (footer,) = struct.unpack("<I", data[-8:-4])
    if footer + 12 > len(data):
        return f"Parquet footer of {footer} bytes does not fit in the {len(data)}-byte file"
    return None


def quarantine_unreadable(lake: Lake, committed: list[Delivery]) -> tuple[list[Delivery], list[dict[str, object]]]:
    """Reject the deliveries with a missing or unreadable file; returns the readable ones and the rejections."""
    checked: dict[str, int] = lake.read_json(CHECKED_STATE) or {}
    sizes = {}
    for source in {d.source for d in committed}:
        sizes.update({info.path: info.size for info in lake.list_infos(f"bronze/{source}")})
    kept: list[Delivery] = []
    rejections: list[dict[str, object]] = []
    for delivery in committed:
        failures = [
            f"{f.path}: {reason}" for f in delivery.files if (reason := _check(lake, f.path, f.bytes, sizes, checked))
        ]
        if failures:
            log.warning(
                "unreadable committed bronze quarantined", extra={"source": delivery.source, "run": delivery.run_id}
            )
            record = quarantine.reject(
                lake, delivery.source, delivery.run_id, delivery.manifest, failures, None, gate="dbt-silver"
            )
            rejections.append(
                {
                    "source": delivery.source,
                    "run_id": delivery.run_id,
                    "failures": failures,
                    "quarantine": quarantine.quarantine_dir(delivery.source, delivery.run_id),
                    "state_restored_to": record.get("state_restored_to"),
                }
            )
        else:
            kept.append(delivery)
    live = {f.path for d in kept for f in d.files}
    lake.write_json(CHECKED_STATE, {p: s for p, s in checked.items() if p in live})
    return kept, rejections


def _check(lake: Lake, path: str, expected: int | None, sizes: dict[str, int], checked: dict[str, int]) -> str | None:
    size = sizes.get(path)
    if size is None:
        return "missing"
    if expected is not None and size != expected:
        return f"{size} bytes, the manifest committed {expected} (truncated or overwritten)"
    if checked.get(path) == size:
        return None
    reason = unreadable_reason(lake.read_bytes(path), expected)
    if reason is None:
        checked[path] = size
    return reason
