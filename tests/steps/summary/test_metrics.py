"""The freshness gauges: SLA entries from states, the text exposition (parsed strictly), the Argo output files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from steps.state import IngestRecord, SourceState
from steps.summary.metrics import GAUGES, argo_outputs, exposition, write_textfile
from steps.summary.sla import sla_entry
from tests.steps.summary.promtext import parse

NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def _state(source: str, finished: datetime | None, backfill_after: datetime | None = None) -> SourceState:
    history = []
    last = None
    if finished is not None:
        last = IngestRecord(run_id="r-regular", finished_at=finished, manifest="m", rows={"d": 1})
        history.append(last)
    if backfill_after is not None:  # a backfill is history, never the last success (steps.state)
        history.insert(0, IngestRecord(run_id="r-bf", finished_at=backfill_after, manifest="b", rows={}, backfill="x"))
    return SourceState(source=source, last_success=last, history=history)


def test_sla_entry_ages_a_source_against_its_max_age() -> None:
    fresh = sla_entry(_state("worldbank", NOW - timedelta(days=29, hours=23)), 30, NOW)
    late = sla_entry(_state("fred", NOW - timedelta(days=30, seconds=1)), 30, NOW)
    never = sla_entry(_state("noaa", None), 7, NOW)
    backfilled = sla_entry(_state("eia", NOW - timedelta(days=40), backfill_after=NOW - timedelta(hours=1)), 30, NOW)
    assert (fresh["overdue"], fresh["age_days"], fresh["last_success_run"]) == (False, 29.958, "r-regular")
    assert late["overdue"] is True
    assert never == {
        "source": "noaa",
        "last_success_at": None,
        "last_success_run": None,
        "age_days": None,
        "max_age_days": 7,
        "overdue": True,
    }
    assert backfilled["overdue"] is True and backfilled["age_days"] == 40.0


def test_exposition_parses_strictly_with_one_series_per_gauge_and_source() -> None:
    finished = datetime(2026, 3, 1, 0, 5, 30, tzinfo=UTC)
    freshness = [
        sla_entry(_state("worldbank", finished), 30, NOW),
        sla_entry(_state("vn_provinces", None), 0.5, NOW),
        {"source": "fred", "max_age_days": 30, "problem": "state file s3://x/state/fred.json is corrupt"},
    ]
    parsed = parse(exposition(freshness))
    assert parsed.type == dict.fromkeys((g.name for g in GAUGES), "gauge")
    assert set(parsed.help) == {g.name for g in GAUGES}
    assert parsed.series("tributary_source_last_success_timestamp_seconds") == {
        "worldbank": finished.timestamp(),
        "vn_provinces": 0,
    }
    assert parsed.series("tributary_source_max_age_seconds") == {"worldbank": 2_592_000, "vn_provinces": 43_200}
    assert parsed.series("tributary_source_overdue") == {"worldbank": 0, "vn_provinces": 1}
    # a source whose state cannot be read has no value rather than a wrong one
    assert all(dict(labels)["source"] != "fred" for _, labels in parsed.samples)


def test_the_strict_reader_refuses_what_a_scraper_refuses() -> None:
    good = '# TYPE a gauge\na{source="x"} 1\n'
    parse(good)
    for bad in (
        'a{source="x"} 1',  # no final newline
        'a{source="x"} 1 1700000000\n',  # a timestamp
        'a{source="x"} 1\na{source="x"} 2\n',  # a series twice
        'a{source="x} 1\n',  # unterminated label value
        'a{source="x"} one\n',  # not a number
        'a{source="x"} 1\nb 1\na{source="y"} 1\n',  # a family split
        "# TYPE a gauge\n# TYPE a gauge\na 1\n",  # TYPE twice
        "\n",  # an empty line
    ):
        with pytest.raises((AssertionError, ValueError)):
            parse(bad)


def test_argo_outputs_name_one_file_per_gauge_and_source() -> None:
    finished = datetime(2026, 3, 1, tzinfo=UTC)
    outputs = argo_outputs([sla_entry(_state("vn_provinces", finished), 30, NOW)])
    assert outputs == {
        "last-success-vn_provinces": str(int(finished.timestamp())),
        "max-age-vn_provinces": "2592000",
        "overdue-vn_provinces": "0",
    }


def test_textfile_is_replaced_whole_and_needs_its_folder(tmp_path: Path) -> None:
    target = tmp_path / "tributary.prom"
    target.write_text("old\n")
    write_textfile(target, "new\n")
    assert target.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["tributary.prom"]  # no temporary left behind
    with pytest.raises(FileNotFoundError):
        write_textfile(tmp_path / "missing" / "tributary.prom", "x\n")
