"""Every module each stage loads on every path it serves, recorded from real runs of the stages on this machine.

The stages run here (where every extra is installed) as the pipeline runs them, with a recorder on their path
(tests/containers/recorder/sitecustomize.py) that notes every module the project's code imports, lazy imports
included, once the import succeeded: the record is what the stage really loaded, nothing declared by hand. The
paths:

- target ``local`` on a folder lake: verify with every source kind configured (the five APIs on the replay
  server, a files folder, a Postgres database), freshness, an ingest of every kind, both gates, both dbt layers,
  the summary as the exit handler;
- target ``local`` on an S3 lake (moto's server): the same stages, the DuckDB file beside;
- target ``trino``, with no Trino listening: verify, dbt and the gold gate get as far as connecting and must
  stop there with exit 75 (their Trino libraries are loaded by then).

A stage image then has to import every module its stage loaded (tests/containers/test_stage_images.py).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tests.conftest import FAST_HTTP, REPO, S3_KEYS
from tests.steps.sources.helpers import KEYS, source_sections

RECORDER = Path(__file__).parent / "recorder"
_NOT_THE_STAGE = re.compile(r"^(tests|workflows\.replay)(\.|$)")  # test-only code never ships in an image


@dataclass(frozen=True)
class StagePath:
    """One run of one stage: its module, arguments, environment and the exit code it must end with."""

    stage: str
    target: str
    args: tuple[str, ...]
    env: dict[str, str]
    expect: int = 0


@dataclass
class Recorded:
    """Modules per stage, and what each run printed (for failures)."""

    modules: dict[str, set[str]] = field(default_factory=dict)
    runs: list[tuple[StagePath, int, str]] = field(default_factory=list)


def record(paths: Iterable[StagePath]) -> Recorded:
    """Run every path; a run ending with another exit code than expected is kept for the caller to report."""
    recorded = Recorded()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TRIBUTARY_", "DBT_", "AWS_"))}
    for n, path in enumerate(paths):
        out = Path(tempfile.gettempdir()) / f"tributary-imports-{os.getpid()}-{n}.txt"
        out.unlink(missing_ok=True)
        proc = subprocess.run(
            [sys.executable, "-m", f"steps.{path.stage}", *path.args],
            env={**base, **path.env, "PYTHONPATH": f"{RECORDER}{os.pathsep}{REPO}", "RECORD_STAGE_IMPORTS": str(out)},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            cwd=REPO,
        )
        recorded.runs.append((path, proc.returncode, proc.stderr[-3000:]))
        names = set(out.read_text().split()) if out.exists() else set()
        out.unlink(missing_ok=True)
        names |= {f"steps.{path.stage}"}
        recorded.modules.setdefault(path.stage, set()).update(n for n in names if not _NOT_THE_STAGE.match(n))
    return recorded


def pipeline_config(folder: Path, apis: dict[str, str], drop: Path, postgres: dict[str, object]) -> Path:
    """A pipeline configuration with one source of every kind."""
    keyed = source_sections(_Urls(apis))  # type: ignore[arg-type]
    sources: dict[str, object] = {
        "worldbank": {
            "base_url": apis["worldbank"],
            "indicators": ["NY.GDP.MKTP.CD", "FP.CPI.TOTL.ZG", "SL.UEM.TOTL.ZS"],
            "start_year": 2014,
            "end_year": 2024,
        },
        "vn_provinces": {"base_url": apis["vn_provinces"]},
        **keyed,
        "fx_files": {
            "kind": "files",
            "location": str(drop),
            "datasets": [{"name": "fx_rates", "pattern": "fx/*.csv", "primary_key": ["rate_date", "currency"]}],
        },
        "app_db": {"kind": "postgres", **postgres},
    }
    path = folder / "pipeline.yaml"
    path.write_text(yaml.safe_dump({"http": dict(FAST_HTTP), "sources": sources}, sort_keys=False))
    return path


class _Urls:
    """The replay server's base URLs by source (what source_sections reads)."""

    def __init__(self, apis: dict[str, str]) -> None:
        self.apis = apis

    def base_url(self, source: str) -> str:
        return self.apis[source]


def paths(
    *,
    config: Path,
    s3_config: Path,
    folder_lake: Path,
    s3_lake: str,
    s3_endpoint: str,
    duckdb_file: Path,
    trino_port: int,
    sources: list[str],
    secrets: dict[str, str],
) -> list[StagePath]:
    """The runs, in pipeline order per lake (later stages read what earlier ones wrote)."""
    common = {
        "TRIBUTARY_CONFIG": str(config),
        "TRIBUTARY_DBT_PROJECT_DIR": str(REPO / "dbt"),
        **KEYS,
        **secrets,
    }
    folder = {**common, "TRIBUTARY_LAKE": str(folder_lake), "TRIBUTARY_TARGET": "local"}
    s3 = {
        **common,
        "TRIBUTARY_CONFIG": str(s3_config),
        **S3_KEYS,
        "TRIBUTARY_LAKE": s3_lake,
        "TRIBUTARY_S3_ENDPOINT": s3_endpoint,
        "TRIBUTARY_TARGET": "local",
        "TRIBUTARY_DUCKDB_PATH": str(duckdb_file),
    }
    trino = {
        **s3,
        "TRIBUTARY_TARGET": "trino",
        "DBT_TRINO_HOST": "127.0.0.1",
        "DBT_TRINO_PORT": str(trino_port),
        "DBT_TRINO_USER": "tributary",
    }
    runs: list[StagePath] = []
    for env, run_id, kinds in ((folder, "paths-folder", sources), (s3, "paths-s3", ["worldbank", "vn_provinces"])):
        csv = ",".join(kinds)
        target = env["TRIBUTARY_TARGET"]
        runs += [
            StagePath("verify", target, ("--run-id", run_id, "--sources", csv), env),
            StagePath(
                "freshness",
                target,
                ("--run-id", run_id, "--sources", csv, "--force", "true", "--outputs", str(config.parent / run_id)),
                env,
            ),
            *(StagePath("ingest", target, ("--source", s, "--run-id", run_id), env) for s in kinds),
            StagePath("validate", target, ("--suite", "bronze", "--run-id", run_id), env),
            StagePath("dbt", target, ("--layer", "silver", "--run-id", run_id, "--force", "true"), env),
            StagePath("dbt", target, ("--layer", "gold", "--run-id", run_id, "--force", "true"), env),
            StagePath("validate", target, ("--suite", "gold", "--run-id", run_id), env),
            StagePath("summary", target, ("--run-id", run_id), {**env, "TRIBUTARY_WORKFLOW_STATUS": "Succeeded"}),
        ]
    # No Trino answers: each warehouse stage loads its Trino path, then stops with "retry later".
    runs += [
        StagePath("verify", "trino", ("--run-id", "paths-trino", "--sources", "worldbank"), trino, expect=75),
        StagePath("dbt", "trino", ("--layer", "silver", "--run-id", "paths-trino", "--force", "true"), trino, 75),
        StagePath("validate", "trino", ("--suite", "gold", "--run-id", "paths-trino"), trino, expect=75),
    ]
    return runs
