"""Run reports read defensively: what steps.summary writes, and reports missing or mangling keys."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from workflows.status.facts import FailedTask, GateOutcome, QuotaCount, SourceOutcome, quota_count, run_from_summary

WRITTEN = datetime(2026, 3, 1, 0, 5, tzinfo=UTC)

# The keys steps.summary writes, as a run whose NOAA ingest tripped its breaker left them.
SUMMARY = {
    "run_id": "tributary-scheduled-1772323200",
    "status": "failed",
    "launcher": "argo",
    "failed_tasks": ["ingest-noaa"],
    "sources": [
        {"source": "worldbank", "status": "skipped", "reason": "fresh: last ingest 2.0d ago (run r1), max_age 30d"},
        {
            "source": "noaa",
            "reason": "stale: 1.0d old, max_age 1d",
            "status": "failed",
            "error": "noaa: circuit breaker open after 5 consecutive failed requests (last: HTTP 503)",
            "breaker": {"state": "open", "failures": 5},
            "quota": {"day": "2026-03-01", "used": 412, "per_day": 10000, "sent": 12},
        },
    ],
    "validation": [
        {"gate": "bronze", "status": "skipped", "outcome": None, "reason": "nothing new", "failures": []},
    ],
    "tasks": [
        {"task": "verify", "phase": "Succeeded", "message": ""},
        {"task": "ingest-noaa", "phase": "Failed", "message": "ingest-noaa: noaa: circuit breaker open"},
        {"task": "validate-bronze", "phase": "Omitted", "message": ""},
    ],
    "reports": "reports/tributary-scheduled-1772323200",
}


def test_a_summary_as_steps_summary_writes_it() -> None:
    run = run_from_summary(SUMMARY, "folder-name", WRITTEN)
    assert run.run_id == "tributary-scheduled-1772323200" and run.status == "failed" and not run.succeeded
    assert run.finished_at == WRITTEN
    assert run.failed_tasks == (FailedTask("ingest-noaa", "noaa: circuit breaker open"),)
    assert run.sources["worldbank"] == SourceOutcome("skipped", "fresh: last ingest 2.0d ago (run r1), max_age 30d")
    noaa = run.sources["noaa"]
    assert noaa.outcome == "failed" and noaa.failed and noaa.breaker_open
    assert noaa.quota == QuotaCount(date(2026, 3, 1), 412, 10_000, "run tributary-scheduled-1772323200")
    assert run.gates == (GateOutcome("bronze", "skipped", "nothing new"),)


@pytest.mark.parametrize(
    "doc",
    [
        None,
        [],
        {},
        {"status": 3, "tasks": "verify", "sources": [1, {"source": "a", "quota": "lots", "breaker": "open"}]},
        {"tasks": [{"phase": "Error"}], "failed_tasks": ["dbt-gold", None], "validation": [{"gate": "gold"}]},
    ],
)
def test_missing_or_odd_keys_are_unknown_values(doc: object) -> None:
    run = run_from_summary(doc, "r7", WRITTEN)
    assert run.run_id == "r7" and run.finished_at == WRITTEN
    assert run.status in ("unknown", "3")
    for outcome in run.sources.values():
        assert outcome.quota is None and not outcome.breaker_open


def test_failed_tasks_named_only_in_the_list() -> None:
    run = run_from_summary({"status": "failed", "failed_tasks": ["dbt-gold"], "tasks": []}, "r8", WRITTEN)
    assert run.failed_tasks == (FailedTask("dbt-gold", ""),)


def test_quota_counts() -> None:
    assert quota_count({"day": "2026-03-01", "used": "5", "per_day": None}, "lake") == QuotaCount(
        date(2026, 3, 1), 5, None, "lake"
    )
    assert quota_count({"day": "yesterday", "used": 5}, "lake") is None
    assert quota_count({"used": 5}, "lake") is None
