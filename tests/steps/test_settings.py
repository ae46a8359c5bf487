"""Settings from the environment: one line per bad variable, with its value unless the variable holds a secret."""

from __future__ import annotations

import pytest
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from steps.errors import ConfigError
from steps.settings import load_settings


class _Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRIBUTARY_TEST_", extra="ignore")

    chunk_rows: int = Field(10, ge=1)
    api_token: int = 0


def _line(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as raised:
        load_settings(_Settings)
    return raised.value.line()


def test_a_bad_value_is_named_with_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    line = _line(monkeypatch, TRIBUTARY_TEST_CHUNK_ROWS="abc")
    assert "TRIBUTARY_TEST_CHUNK_ROWS is invalid (got 'abc'): Input should be a valid integer" in line
    line = _line(monkeypatch, TRIBUTARY_TEST_CHUNK_ROWS="0")
    assert line.startswith("TRIBUTARY_TEST_CHUNK_ROWS is invalid (got '0')")


def test_a_secret_s_value_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    line = _line(monkeypatch, TRIBUTARY_TEST_API_TOKEN="hunter2-secret")
    assert "TRIBUTARY_TEST_API_TOKEN is invalid: " in line and "hunter2" not in line
