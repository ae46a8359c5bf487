"""Backfill requests and ranges: ``SOURCE:START:END``, and each source's form (dates, years, watermark values)."""

from __future__ import annotations

import pytest

from steps.errors import ConfigError
from steps.sources.backfill import Backfill, BackfillRequest, check_range
from steps.sources.registry import specs


def test_a_request_names_the_source_and_keeps_its_range() -> None:
    request = BackfillRequest.parse(" worldbank:2000:2005 ")
    assert (request.source, request.range) == ("worldbank", Backfill("2000", "2005"))
    assert str(request) == "worldbank:2000:2005"
    assert BackfillRequest.parse("fred:2020-01-01:2020-12-31").range.dates()[1].isoformat() == "2020-12-31"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("abc", "backfill 'abc' is not SOURCE:START:END. Fix: pass e.g. worldbank:2000:2005"),
        (":2000:2005", "backfill ':2000:2005' is not SOURCE:START:END"),
        ("worldbank:2005", "backfill range '2005' is not START:END. Fix: pass e.g. 2020-01-01:2020-12-31 (dates)"),
        ("worldbank:2000:", "backfill range '2000:' is not START:END"),
    ],
)
def test_a_malformed_request_is_one_line_naming_the_form(text: str, line: str) -> None:
    with pytest.raises(ConfigError) as caught:
        BackfillRequest.parse(text)
    assert caught.value.line().startswith(line)
    assert "\n" not in caught.value.line()


def test_years_are_four_digits_in_order() -> None:
    assert Backfill.parse("2000:2005").years() == (2000, 2005)
    assert Backfill.parse("2005:2005").years() == (2005, 2005)
    with pytest.raises(ConfigError, match=r"backfill range 2005:2000 starts after it ends\. Fix: put the earlier"):
        Backfill.parse("2005:2000").years()
    for text in ("2000-01-01:2005-12-31", "abc:def", "99:2005", "20000:20050"):
        with pytest.raises(ConfigError, match=r"is not a range of years\. Fix: pass YYYY:YYYY, e\.g\. 2000:2005"):
            Backfill.parse(text).years()


def test_every_source_states_how_its_range_is_written() -> None:
    forms = {spec.kind: spec.backfill for spec in specs() if spec.package.startswith("steps.sources.")}
    assert forms == {
        "eia": "dates",
        "files": "dates",
        "fred": "dates",
        "noaa": "dates",
        "postgres": "watermark",
        "vn_provinces": None,
        "worldbank": "years",
    }


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("worldbank", "2000:2005"),
        ("fred", "2020-01-01:2020-12-31"),
        ("eia", "2024-01-01:2024-03-31"),
        ("noaa", "2024-01-01:2024-01-31"),
        ("files", "2026-01-01:2026-01-31"),
        ("postgres", "100:200"),  # an id column: checked against the column's type when the source connects
    ],
)
def test_each_source_takes_its_own_form(kind: str, text: str) -> None:
    assert check_range(kind, kind, Backfill.parse(text)) == Backfill.parse(text)


@pytest.mark.parametrize(
    ("kind", "text", "line"),
    [
        (
            "worldbank",
            "2000-01-01:2005-12-31",
            "worldbank: backfill range 2000-01-01:2005-12-31 is not a range of years. Fix: pass YYYY:YYYY",
        ),
        ("worldbank", "2005:2000", "worldbank: backfill range 2005:2000 starts after it ends"),
        (
            "fred",
            "2000:2005",
            "fred: backfill range 2000:2005 is not a range of dates. Fix: pass YYYY-MM-DD:YYYY-MM-DD",
        ),
        ("noaa", "2024-02-01:2024-01-01", "noaa: backfill range 2024-02-01:2024-01-01 starts after it ends"),
    ],
)
def test_a_range_in_the_wrong_form_for_the_source_is_refused(kind: str, text: str, line: str) -> None:
    with pytest.raises(ConfigError) as caught:
        check_range(kind, kind, Backfill.parse(text))
    assert caught.value.line().startswith(line)


def test_a_source_without_a_time_dimension_says_so() -> None:
    with pytest.raises(ConfigError) as caught:
        check_range("provinces", "vn_provinces", Backfill.parse("2000:2005"))
    assert caught.value.line() == (
        "source 'provinces' has no time dimension to backfill (vn_provinces: reference data, fetched whole every "
        "run). Fix: re-ingest it whole with tributary run --sources provinces --force (Argo: -p force=true)"
    )
