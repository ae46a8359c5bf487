"""Every stage after the ingest at scale, one process each, as its pod runs it: wall time and peak RSS.

The stages run on the lake the scale ingest wrote (the World Bank source alone, N generated indicators): the bronze
gate, dbt silver, dbt gold and the gold gate. Each gets its dev pod's limits the way the downward API states them
(``TRIBUTARY_CONTAINER_MEMORY_LIMIT``/``_CPU_LIMIT``, :mod:`steps.duckdb_limits`), so DuckDB bounds itself as it
would in the pod; this machine has no cgroup limit of its own. Peak RSS is compared with that pod's memory limit.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from steps.duckdb_limits import parse_bytes
from workflows.argo.settings import load_environment

REPO = Path(__file__).resolve().parents[2]
RUN = "bench"

# Gold pivots the default indicators (GDP, inflation, unemployment), which the generated ones are not: the gold gate
# rejects every scale lake for the years it finds missing, after doing the whole of its work. Its time still counts.
EXPECTED_EXIT = {"gold gate": 2}
# label, stage (its pod's resources), module and arguments
STAGES = (
    ("bronze gate", "validate", ["steps.validate", "--suite", "bronze", "--run-id", RUN]),
    ("dbt silver", "dbt", ["steps.dbt", "--layer", "silver", "--run-id", RUN]),
    ("dbt gold", "dbt", ["steps.dbt", "--layer", "gold", "--run-id", RUN]),
    ("gold gate", "validate", ["steps.validate", "--suite", "gold", "--run-id", RUN]),
)

Measure = Callable[[list[str], dict[str, str]], tuple[float, float, int, str]]


@dataclass
class StageRun:
    """One stage's process: how long, how much memory, against which limit, and how it ended."""

    label: str
    wall: float
    rss_mb: float
    limit_mb: float
    code: int
    last_line: str = ""


def pod_limits(stage: str, environment: str = "dev") -> dict[str, str]:
    """The container limits of ``stage``'s pods in ``environment``, as the downward API would set them."""
    res = load_environment(environment).stages[stage]
    return {"TRIBUTARY_CONTAINER_MEMORY_LIMIT": res.memory_limit, "TRIBUTARY_CONTAINER_CPU_LIMIT": res.cpu_limit}


def limit_mb(stage: str, environment: str = "dev") -> float:
    """The memory limit of ``stage``'s pods in ``environment``, in MB (MiB, as RSS is reported)."""
    return parse_bytes(load_environment(environment).stages[stage].memory_limit) / 2**20


def stage_env(base: dict[str, str], lake: Path, config: Path) -> dict[str, str]:
    """What every stage of the bench needs: the lake, the scale configuration, the local warehouse and dbt."""
    return {
        **base,
        "TRIBUTARY_LAKE": str(lake),
        "TRIBUTARY_CONFIG": str(config),
        "TRIBUTARY_TARGET": "local",
        "TRIBUTARY_DBT_PROJECT_DIR": str(REPO / "dbt"),
    }


def run_stages(measure: Measure, env: dict[str, str]) -> list[StageRun]:
    """Run every stage after the ingest in DAG order; a failing stage is reported and the next still runs."""
    out = []
    for label, stage, argv in STAGES:
        wall, rss, code, last = measure([sys.executable, "-m", *argv], {**env, **pod_limits(stage)})
        out.append(StageRun(label, wall, rss, limit_mb(stage), code, last if code else ""))
    return out
