"""Configuration of the sources added in issue 6: defaults, secrets by variable name only, validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from steps.config import load_config
from steps.errors import ConfigError
from steps.sources.fred.config import FredConfig
from steps.sources.noaa.config import NoaaConfig


def test_packaged_default_has_the_new_sources_disabled() -> None:
    config = load_config()
    assert config.enabled_sources() == ["worldbank", "vn_provinces"]
    assert {n: c.kind for n, c in config.sources.items() if not c.enabled} == {
        "fred": "fred",
        "eia": "eia",
        "noaa": "noaa",
        "app_db": "postgres",
        "fx_files": "files",
    }
    noaa = config.sources["noaa"]
    assert isinstance(noaa, NoaaConfig) and noaa.daily_quota == 10000
    assert [(r.requests, r.per_seconds) for r in noaa.rate_limits] == [(5, 1.0)]
    fred = config.sources["fred"]
    assert isinstance(fred, FredConfig) and [(r.requests, r.per_seconds) for r in fred.rate_limits] == [(120, 60.0)]
    assert config.secret_variables() == []  # nothing enabled needs a secret
    assert config.secret_variables("fred") == ["FRED_API_KEY"]


def test_kind_defaults_apply_without_listing_them() -> None:
    fred = FredConfig(base_url="x", series=["GDP"], start_date="2020-01-01")  # type: ignore[arg-type]
    assert fred.api_key_env == "FRED_API_KEY" and fred.breaker.failures == 5
    assert [(r.requests, r.per_seconds, r.burst) for r in fred.rate_limits] == [(120, 60.0, 1)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "sources:\n  fred:\n    base_url: x\n    series: [GDP]\n    start_date: 2020-01-01\n    api_key: abc\n",
            "source 'fred' has a secret 'api_key' in the configuration file",
        ),
        (
            "sources:\n  db:\n    kind: postgres\n    host: h\n    dbname: d\n    user: u\n    password: hunter2\n"
            "    tables: [{table: t, primary_key: [id]}]\n",
            "put the value in an environment variable",
        ),
        (
            "sources:\n  fred:\n    base_url: x\n    series: [GDP]\n    start_date: 2020-01-01\n"
            "    api_key_env: FRED\n",
            "must contain API_KEY, TOKEN, SECRET or PASSWORD",
        ),
        (
            "sources:\n  fred:\n    base_url: x\n    series: ['GDP,UNRATE']\n    start_date: 2020-01-01\n",
            "are not 1-25 letters",
        ),
        (
            "sources:\n  noaa:\n    base_url: x\n    stations: [S]\n    start_date: 2024-02-01\n"
            "    end_date: 2024-01-01\n",
            "start_date 2024-02-01 is after end_date 2024-01-01",
        ),
        (
            "sources:\n  noaa:\n    base_url: x\n    stations: [S]\n    start_date: 2024-01-01\n    page_size: 5000\n",
            "sources.noaa.page_size",
        ),
        (
            "sources:\n  eia:\n    base_url: x\n    route: petroleum/pri/spt/data\n    series: [A]\n"
            "    start: '2024'\n",
            "is not an EIA route",
        ),
        (
            "sources:\n  db:\n    kind: postgres\n    host: h\n    dbname: d\n    user: u\n"
            "    tables: [{table: t, primary_key: [id], mode: incremental}]\n",
            "mode incremental needs a watermark_column",
        ),
        (
            "sources:\n  db:\n    kind: postgres\n    host: h\n    dbname: d\n    user: u\n"
            "    tables: [{table: 'x; drop table y', primary_key: [id]}]\n",
            "are not plain SQL identifiers",
        ),
        (
            "sources:\n  f:\n    kind: files\n    location: /x\n    datasets: [{name: a, pattern: '*.csv'}, "
            "{name: a, pattern: '*.json'}]\n",
            "dataset names repeat",
        ),
        (
            "sources:\n  fred:\n    base_url: x\n    series: [GDP]\n    start_date: 2020-01-01\n"
            "    rate_limits: [{requests: 2, per_seconds: 1, burst: 3}]\n",
            "burst 3 is more than requests 2",
        ),
    ],
)
def test_bad_source_config_is_one_clear_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert expected in err.value.line() and err.value.exit_code == 2
    assert "hunter2" not in err.value.line()
