from pathlib import Path

import pytest

from steps.config import load_config
from steps.errors import ConfigError


def test_packaged_default_has_the_two_sources() -> None:
    config = load_config()
    assert config.enabled_sources() == ["worldbank", "vn_provinces"]
    wb = config.sources["worldbank"]
    assert wb.indicators == ["NY.GDP.MKTP.CD", "FP.CPI.TOTL.ZG", "SL.UEM.TOTL.ZS"]
    assert (wb.start_year, wb.end_year) == (2014, 2024)


def test_env_override_points_a_source_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIBUTARY_SOURCE_WORLDBANK_BASE_URL", "http://127.0.0.1:1/worldbank/v2")
    assert load_config().sources["worldbank"].base_url == "http://127.0.0.1:1/worldbank/v2"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sources: [", "not valid YAML"),
        ("http: {}\n", "no 'sources' mapping"),
        (
            "sources:\n  worldbank:\n    base_url: x\n    indicators: [A]\n    start_year: 2024\n    end_year: 2014\n",
            "start_year 2024 is after end_year 2014",
        ),
        (
            "sources:\n  worldbank:\n    base_url: x\n    indicators: []\n    start_year: 2014\n    end_year: 2024\n",
            "sources.worldbank.indicators",
        ),
        ("sources:\n  weather:\n    base_url: x\n", "unknown kind 'weather'"),
        ("sources:\n  vn_provinces:\n    base_url: x\n    api: v3\n", "sources.vn_provinces.api"),
        ("sources:\n  vn_provinces:\n    base_url: x\n    colour: red\n", "colour"),
    ],
)
def test_bad_config_is_one_clear_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert expected in err.value.line()
    assert "\n" not in err.value.line()
    assert err.value.exit_code == 2


def test_unknown_source_name_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="use one of: worldbank, vn_provinces, fred, eia, noaa, app_db, fx_files"):
        load_config().source("weather")


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "nope.yaml")
