"""DuckDB bounded by its container: the rule from limits and settings to DuckDB settings, the cgroup files, and a
real DuckDB that spills into the folder it was given instead of running out of memory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from steps.duckdb_limits import (
    DBT_SHARE,
    VALIDATE_SHARE,
    ContainerLimits,
    DuckDBSettings,
    apply,
    container_limits,
    duckdb_settings,
    parse_bytes,
    parse_cpus,
)
from steps.errors import ConfigError
from steps.settings import load_settings

GIB = 2**30
SPILL = Path("/spill")


def settings(**values: object) -> DuckDBSettings:
    return DuckDBSettings.model_validate(values)


@pytest.mark.parametrize(
    ("limits", "values", "expected"),
    [
        # The dev dbt pod (2Gi, 2 CPUs): half the memory for DuckDB (dbt's default share), two threads.
        (ContainerLimits(2 * GIB, 2.0), {}, {"memory_limit": "1024MiB", "threads": "2"}),
        # Half a CPU still gets a thread; 2.5 CPUs get two (a third would only wait for quota).
        (ContainerLimits(4 * GIB, 0.5), {"duckdb_memory_share": 0.25}, {"memory_limit": "1024MiB", "threads": "1"}),
        (ContainerLimits(None, 2.5), {}, {"threads": "2"}),
        # No limit anywhere: DuckDB's own defaults for memory and threads; only the spill folder is set.
        (ContainerLimits(), {}, {}),
        # The downward API's values win over the cgroup files; explicit DuckDB settings win over both.
        (
            ContainerLimits(8 * GIB, 8.0),
            {"container_memory_limit": 2 * GIB, "container_cpu_limit": 2.0},
            {"memory_limit": "1024MiB", "threads": "2"},
        ),
        (
            ContainerLimits(2 * GIB, 1.0),
            {"duckdb_memory_limit": 300 * 2**20, "duckdb_threads": 3},
            {"memory_limit": "300MiB", "threads": "3"},
        ),
    ],
)
def test_settings_follow_the_container_unless_configured(
    limits: ContainerLimits, values: dict[str, object], expected: dict[str, str]
) -> None:
    assert duckdb_settings(limits, settings(**values), SPILL) == {**expected, "temp_directory": str(SPILL)}


def test_each_stage_has_its_own_share_unless_one_is_configured() -> None:
    validate_pod = ContainerLimits(2 * GIB, 1.0)
    assert duckdb_settings(validate_pod, settings(), SPILL, VALIDATE_SHARE)["memory_limit"] == "204MiB"
    assert duckdb_settings(validate_pod, settings(), SPILL, DBT_SHARE)["memory_limit"] == "1024MiB"
    configured = settings(duckdb_memory_share=0.3)
    assert duckdb_settings(validate_pod, configured, SPILL, VALIDATE_SHARE)["memory_limit"] == "614MiB"


def test_a_configured_spill_folder_wins() -> None:
    out = duckdb_settings(ContainerLimits(), settings(duckdb_temp_directory="/scratch/duckdb"), SPILL)
    assert out == {"temp_directory": "/scratch/duckdb"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2Gi", 2 * GIB), ("1.5GB", 1_500_000_000), ("512MiB", 512 * 2**20), ("2147483648", 2 * GIB), ("64 kb", 64_000)],
)
def test_sizes_in_kubernetes_and_duckdb_spellings(text: str, expected: int) -> None:
    assert parse_bytes(text) == expected


@pytest.mark.parametrize(("text", "expected"), [("2", 2.0), ("1.5", 1.5), ("500m", 0.5)])
def test_cpus_as_kubernetes_writes_them(text: str, expected: float) -> None:
    assert parse_cpus(text) == expected


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "TRIBUTARY_DUCKDB_MEMORY_LIMIT",
            "lots",
            "TRIBUTARY_DUCKDB_MEMORY_LIMIT is invalid: Value error, 'lots' is not",
        ),
        (
            "TRIBUTARY_CONTAINER_CPU_LIMIT",
            "0",
            "TRIBUTARY_CONTAINER_CPU_LIMIT is invalid: Value error, '0' is not a CPU",
        ),
        ("TRIBUTARY_DUCKDB_MEMORY_SHARE", "1.5", "TRIBUTARY_DUCKDB_MEMORY_SHARE is invalid"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(
    variable: str, value: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings(DuckDBSettings)
    assert caught.value.line().startswith(message) and "\n" not in caught.value.line()


def test_settings_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIBUTARY_DUCKDB_MEMORY_LIMIT", "1.5GB")
    monkeypatch.setenv("TRIBUTARY_CONTAINER_CPU_LIMIT", "1500m")
    out = duckdb_settings(ContainerLimits(), load_settings(DuckDBSettings), SPILL)
    assert out == {"memory_limit": f"{1_500_000_000 // 2**20}MiB", "threads": "1", "temp_directory": str(SPILL)}


def _cgroup(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text + "\n")
    return root


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"memory.max": "2147483648", "cpu.max": "150000 100000"}, ContainerLimits(2 * GIB, 1.5)),  # v2
        ({"memory.max": "max", "cpu.max": "max 100000"}, ContainerLimits()),  # v2 without limits
        (
            {
                "memory/memory.limit_in_bytes": "1073741824",
                "cpu/cpu.cfs_quota_us": "200000",
                "cpu/cpu.cfs_period_us": "100000",
            },
            ContainerLimits(GIB, 2.0),
        ),  # v1
        (
            {
                "memory/memory.limit_in_bytes": "9223372036854771712",
                "cpu/cpu.cfs_quota_us": "-1",
                "cpu/cpu.cfs_period_us": "100000",
            },
            ContainerLimits(),
        ),  # v1 without limits
        ({}, ContainerLimits()),  # no cgroup files at all (a laptop's macOS, a sandbox)
    ],
)
def test_container_limits_from_cgroup_files(files: dict[str, str], expected: ContainerLimits, tmp_path: Path) -> None:
    assert container_limits(_cgroup(tmp_path / "cgroup", files)) == expected


def test_duckdb_spills_into_its_folder_within_its_memory_limit(tmp_path: Path) -> None:
    """A group-by over more than the memory limit completes by spilling, into the folder given, which goes away."""
    spill = tmp_path / "spill"
    connection = duckdb.connect()
    apply(connection, {"memory_limit": "24MiB", "threads": "1", "temp_directory": str(spill)})
    assert connection.execute("select current_setting('memory_limit')").fetchone() == ("24.0 MiB",)
    connection.execute("create table t as select i, md5(i::varchar) as s from range(600000) r(i)")
    (distinct,) = connection.execute("select count(*) from (select s from t group by s)").fetchone() or (0,)
    spilled = connection.execute("select count(*) from duckdb_temporary_files()").fetchone()
    assert distinct == 600_000 and spilled is not None and spilled[0] > 0
    assert spill.is_dir() and all(
        Path(p).parent == spill
        for (p, _) in connection.execute("select path, size from duckdb_temporary_files()").fetchall()
    )
    connection.close()
    assert not spill.exists()


def test_a_stage_process_gets_a_spill_folder_of_its_own(tmp_path: Path) -> None:
    """Two stages spilling into one folder would overwrite each other's files: each gets ``tributary-duckdb-<pid>``."""
    code = (
        "import os; from steps.duckdb_limits import DBT_SHARE, process_settings; s = process_settings(DBT_SHARE); "
        "print(s['temp_directory'] == os.path.join(os.environ['TMPDIR'], f'tributary-duckdb-{os.getpid()}'))"
    )
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TRIBUTARY_")}, "TMPDIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"
