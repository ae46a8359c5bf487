"""DuckDB bounded by its container: ``memory_limit``, ``threads`` and ``temp_directory`` from the pod's limits.

Unbounded, DuckDB takes 80% of the machine's memory and every core it sees, whatever the pod's limits, and the
kernel kills the pod instead of DuckDB spilling to disk. The dbt and validate stages set these three from, in
order of precedence: the ``TRIBUTARY_DUCKDB_*`` settings, the container's limits as the Kubernetes downward API
(or an operator) states them (``TRIBUTARY_CONTAINER_MEMORY_LIMIT``/``_CPU_LIMIT``), or the cgroup files (v2
``memory.max``/``cpu.max``, v1 ``memory.limit_in_bytes``/``cpu.cfs_quota_us``). Without any limit DuckDB keeps its
own defaults for memory and threads; its spill files always go under the temp dir (``/tmp``, the pod's emptyDir).

:func:`duckdb_settings` is the pure rule; :func:`container_limits` reads the files; :func:`apply` sets a connection.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from steps.settings import load_settings

if TYPE_CHECKING:
    import duckdb

CGROUP = Path("/sys/fs/cgroup")
# cgroup v1 reports "no limit" as a huge page-aligned number; anything from here up is no limit.
_V1_UNLIMITED = 1 << 60

_QUANTITY = re.compile(r"(?P<number>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>[A-Za-z]*)")
_UNITS = {
    "": 1,
    "b": 1,
    "k": 10**3,
    "kb": 10**3,
    "m": 10**6,
    "mb": 10**6,
    "g": 10**9,
    "gb": 10**9,
    "t": 10**12,
    "tb": 10**12,
    "ki": 2**10,
    "kib": 2**10,
    "mi": 2**20,
    "mib": 2**20,
    "gi": 2**30,
    "gib": 2**30,
    "ti": 2**40,
    "tib": 2**40,
}


def parse_bytes(text: str) -> int:
    """``2Gi``, ``1.5GB``, ``512MiB`` or ``2147483648`` as bytes (Kubernetes and DuckDB spellings).

    Raises:
        ValueError: Naming the value and the accepted forms.
    """
    match = _QUANTITY.fullmatch(text.strip())
    factor = _UNITS.get(match["unit"].lower()) if match else None
    if match is None or factor is None:
        raise ValueError(f"{text!r} is not a size: write bytes or a number with a unit such as 512MiB, 2Gi, 1.5GB")
    return int(float(match["number"]) * factor)


def parse_cpus(text: str) -> float:
    """``2``, ``1.5`` or ``500m`` (millicores) as a number of CPUs.

    Raises:
        ValueError: Naming the value and the accepted forms.
    """
    value = text.strip()
    try:
        cpus = float(value[:-1]) / 1000 if value.endswith("m") else float(value)
    except ValueError:
        cpus = math.nan
    if not cpus > 0 or math.isinf(cpus):
        raise ValueError(f"{text!r} is not a CPU count: write a positive number of CPUs (1.5) or millicores (500m)")
    return cpus


class DuckDBSettings(BaseSettings):
    """``TRIBUTARY_DUCKDB_*`` (explicit DuckDB limits) and ``TRIBUTARY_CONTAINER_*`` (the container's own limits)."""

    model_config = SettingsConfigDict(env_prefix="TRIBUTARY_", extra="ignore", env_ignore_empty=True)

    duckdb_memory_limit: int | None = Field(
        None, description="DuckDB's memory_limit (512MiB, 2GB, bytes); default: a share of the container's limit."
    )
    duckdb_memory_share: float | None = Field(
        None,
        gt=0,
        le=0.9,
        description="Share of the container's memory limit DuckDB may use; the rest is Python's, the stage's and "
        "dbt's own (the pod is killed when the sum passes the limit, while DuckDB spills at its own). Default: the "
        "stage's (DBT_SHARE, VALIDATE_SHARE).",
    )
    duckdb_threads: int | None = Field(None, ge=1, description="DuckDB's threads; default: the container's CPUs.")
    duckdb_temp_directory: Path | None = Field(
        None, description="Where DuckDB spills; default: a fresh folder under the temp dir, removed when it closes."
    )
    container_memory_limit: int | None = Field(
        None, description="The container's memory limit (the downward API's limits.memory); default: cgroup files."
    )
    container_cpu_limit: float | None = Field(
        None, description="The container's CPU limit (limits.cpu: 2, 1.5, 500m); default: cgroup files."
    )

    @field_validator("duckdb_memory_limit", "container_memory_limit", mode="before")
    @classmethod
    def _size(cls, value: object) -> object:
        return parse_bytes(value) if isinstance(value, str) else value

    @field_validator("container_cpu_limit", mode="before")
    @classmethod
    def _cpus(cls, value: object) -> object:
        return parse_cpus(value) if isinstance(value, str) else value


# Default shares of the container's memory: dbt's DuckDB does the stage's work (Python and dbt take ~300 MB beside
# it); the validate stage's only counts keys and reads gold, beside pandas chunks and Great Expectations. dbt's
# reaches its limit at 2 M rows already; the bronze gate's reaches its ~200 MB between 2 M and 10 M rows, after the
# chunks have given their memory back (the system allocator, steps/validate/__init__.py), so neither stage's peak
# grows much beyond (make bench: +3% and +12% from 2 M to 10 M rows).
DBT_SHARE = 0.5
VALIDATE_SHARE = 0.1


@dataclass(frozen=True)
class ContainerLimits:
    """What the container may use; None: no limit found."""

    memory_bytes: int | None = None
    cpus: float | None = None


def duckdb_settings(
    limits: ContainerLimits, settings: DuckDBSettings, temp_directory: Path, share: float = DBT_SHARE
) -> dict[str, str]:
    """The DuckDB settings for a process with ``limits`` (pure): explicit settings win, then the container's.

    ``share`` of the container's memory goes to DuckDB unless ``settings`` say otherwise; ``temp_directory`` is
    where spill files go unless ``settings`` name one. Memory is given in MiB and threads are the whole CPUs of the
    limit (at least one): a thread beyond the quota only waits for CPU time.
    """
    out: dict[str, str] = {}
    memory = settings.duckdb_memory_limit
    available = settings.container_memory_limit or limits.memory_bytes
    if memory is None and available is not None:
        memory = int(available * (settings.duckdb_memory_share or share))
    if memory is not None:
        out["memory_limit"] = f"{max(memory // 2**20, 1)}MiB"
    cpus = settings.container_cpu_limit or limits.cpus
    threads = settings.duckdb_threads or (max(1, math.floor(cpus)) if cpus is not None else None)
    if threads is not None:
        out["threads"] = str(threads)
    out["temp_directory"] = str(settings.duckdb_temp_directory or temp_directory)
    return out


def container_limits(root: Path = CGROUP) -> ContainerLimits:
    """The memory and CPU limits of the cgroup this process runs in (v2, else v1); None where there is none."""
    memory = _read(root / "memory.max") or _read(root / "memory" / "memory.limit_in_bytes")
    cpu_max = _read(root / "cpu.max")  # "<quota> <period>" or "max <period>"
    if cpu_max is not None:
        quota, _, period = cpu_max.partition(" ")
        cpus = _cpus(quota, period)
    else:
        cpus = _cpus(_read(root / "cpu" / "cpu.cfs_quota_us") or "-1", _read(root / "cpu" / "cpu.cfs_period_us"))
    return ContainerLimits(memory_bytes=_memory(memory), cpus=cpus)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip() or None
    except OSError:
        return None


def _memory(value: str | None) -> int | None:
    if value is None or not value.isdigit() or int(value) >= _V1_UNLIMITED:
        return None  # "max" (v2) or v1's unlimited
    return int(value)


def _cpus(quota: str, period: str | None) -> float | None:
    if not quota.isdigit() or period is None or not period.isdigit() or int(period) == 0:
        return None  # "max" (v2) or -1 (v1): no quota
    return int(quota) / int(period)


def process_settings(share: float) -> dict[str, str]:
    """The DuckDB settings of this process: its settings and container (``share``: its stage's default).

    Spill files go to a folder of this process's own, which does not exist yet: DuckDB creates it when it first
    spills and removes it when it closes. One per process, because two DuckDB instances spilling into one folder
    would overwrite each other's files.
    """
    folder = Path(tempfile.gettempdir()) / f"tributary-duckdb-{os.getpid()}"
    return duckdb_settings(container_limits(), load_settings(DuckDBSettings), folder, share)


def apply(connection: duckdb.DuckDBPyConnection, settings: dict[str, str]) -> None:
    """``SET`` each setting on ``connection`` (they are global to its database instance).

    SET, not ``connect(config=...)``: DuckDB refuses a second connection to an open database file whose config
    differs, and the dbt stage opens the warehouse more than once in its process.
    """
    for name, value in settings.items():
        connection.execute(f"SET {name} = '{value.replace(chr(39), chr(39) * 2)}'")
