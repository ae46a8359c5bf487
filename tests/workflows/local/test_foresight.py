"""The run's guess of whether freshness will send a source to ingest: the freshness rule, applied ahead."""

from datetime import UTC, datetime, timedelta

from steps.config import load_config
from steps.freshness.trigger import scheduled_run
from steps.state import IngestRecord, SourceState
from workflows.local.foresight import work_expected

NOW = datetime(2027, 3, 9, 12, tzinfo=UTC)
CONFIG = load_config(None)  # the packaged configuration: worldbank and vn_provinces, max_age 30 days
SOURCES = ("worldbank", "vn_provinces")


def _ingested(source: str, age: timedelta) -> SourceState:
    record = IngestRecord(run_id="local-x", finished_at=NOW - age, manifest="m.json", rows={})
    return SourceState(source=source, last_success=record, history=[record])


def test_a_lake_without_states_expects_work() -> None:
    assert work_expected(CONFIG, SOURCES, {}, now=NOW) is True


def test_every_source_fresh_expects_none_unless_forced_or_backfilled() -> None:
    states = {name: _ingested(name, timedelta(hours=2)) for name in SOURCES}
    assert work_expected(CONFIG, SOURCES, states, now=NOW) is False
    assert work_expected(CONFIG, SOURCES, states, force=True, now=NOW) is True
    assert work_expected(CONFIG, SOURCES, states, backfill=True, now=NOW) is True


def test_one_stale_or_never_ingested_source_expects_work() -> None:
    fresh = _ingested("worldbank", timedelta(days=1))
    assert work_expected(CONFIG, SOURCES, {"worldbank": fresh}, now=NOW) is True  # vn_provinces never ingested
    stale = {"worldbank": fresh, "vn_provinces": _ingested("vn_provinces", timedelta(days=31))}
    assert work_expected(CONFIG, SOURCES, stale, now=NOW) is True


def test_a_scheduled_run_applies_the_schedule_rule() -> None:
    # ingested 9 days ago, in the previous monthly period: a monthly run with max_age 30 days ingests again
    states = {name: _ingested(name, timedelta(days=9)) for name in SOURCES}
    monthly = scheduled_run("0 0 1 * *", "UTC", "", NOW)
    assert work_expected(CONFIG, SOURCES, states, now=NOW) is False
    assert work_expected(CONFIG, SOURCES, states, scheduled=monthly, now=NOW) is True
