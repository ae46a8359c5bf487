"""Fixtures for the dbt project tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.dbt.dbt_runner import DbtProject, Lakehouse


@pytest.fixture(scope="module")
def lakehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lakehouse]:
    """A fresh lake and warehouse for one test module, with the env vars the profile reads."""
    root = tmp_path_factory.mktemp("lakehouse")
    house = Lakehouse(
        lake=root / "lake",
        warehouse=root / "warehouse.duckdb",
        dbt=DbtProject(workdir=root / "dbt"),
    )
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TRIBUTARY_LAKE", str(house.lake))
        env.setenv("TRIBUTARY_DUCKDB_PATH", str(house.warehouse))
        env.setenv("DO_NOT_TRACK", "1")  # no anonymous usage stats, no dbt/.user.yml
        yield house


@pytest.fixture(scope="module")
def house(lakehouse: Lakehouse) -> Lakehouse:
    """A lakehouse with an empty lake: for macros run on literal rows, which read no bronze."""
    lakehouse.lake.mkdir(parents=True, exist_ok=True)
    return lakehouse
