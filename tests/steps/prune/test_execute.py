"""The order a unit's objects are deleted in: the one that leaves every reader a consistent lake."""

from __future__ import annotations

from datetime import UTC, datetime

from steps.lake_store import ObjectInfo
from steps.prune.execute import removal_order
from steps.prune.plan import Unit

T = datetime(2026, 1, 1, tzinfo=UTC)


def info(path: str) -> ObjectInfo:
    return ObjectInfo(path, 1, T)


def test_a_delivery_loses_its_manifest_before_its_files() -> None:
    objects = (info("bronze/wb/ds/ingest_date=2026-01-01/r.parquet"), info("bronze/wb/_manifests/r.json"))
    order = removal_order(Unit("bronze", "wb", "r", T, objects))
    assert order[0].path == "bronze/wb/_manifests/r.json"


def test_a_report_keeps_its_summary_to_the_last_and_quarantine_loses_its_record_first() -> None:
    report = (info("reports/r/summary.json"), info("reports/r/gx/index.html"), info("reports/r/stages/a.json"))
    assert removal_order(Unit("reports", "", "r", T, report))[-1].path == "reports/r/summary.json"
    rejected = (info("quarantine/wb/r/ds/x.parquet"), info("quarantine/wb/r/rejection.json"))
    assert removal_order(Unit("quarantine", "wb", "r", T, rejected))[0].path == "quarantine/wb/r/rejection.json"
