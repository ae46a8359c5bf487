"""Run the repo's dbt project in-process against a throwaway lake and warehouse.

dbt's target and log folders go to the test's temporary directory, so the repo's dbt/ folder
stays exactly as committed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from dbt.artifacts.schemas.results import RunStatus, TestStatus
from dbt.artifacts.schemas.run import RunExecutionResult, RunResult
from dbt.cli.main import dbtRunner, dbtRunnerResult

from steps.dbt.committed import bronze_files_env, bronze_index, deliveries
from steps.lake import Lake

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt"

_PASSING = {RunStatus.Success, TestStatus.Pass}


@dataclass
class DbtProject:
    """The repo's dbt project, run with one target and private target/log folders."""

    workdir: Path
    target: str = "local"

    def invoke(self, *args: str) -> dbtRunnerResult:
        if self.target == "local":
            # As the dbt stage does: the bronze views read the files the lake's manifests commit, listed here.
            endpoint = os.environ.get("DBT_DUCKDB_S3_ENDPOINT")  # an s3:// lake (tests use moto over http)
            lake = Lake(os.environ["TRIBUTARY_LAKE"], s3_endpoint=f"http://{endpoint}" if endpoint else None)
            # every source with manifests in this lake (the tests ingest different sets of sources)
            sources = sorted({rel.split("/")[1] for rel in lake.list_files("bronze") if "/_manifests/" in rel})
            committed = deliveries(lake, sources)
            os.environ.update(bronze_files_env(bronze_index(lake, committed)))
        before = sorted(os.listdir(DBT_PROJECT_DIR))
        result = dbtRunner().invoke(
            [
                *args,
                "--project-dir",
                str(DBT_PROJECT_DIR),
                "--profiles-dir",
                str(DBT_PROJECT_DIR),
                "--target",
                self.target,
                "--target-path",
                str(self.workdir / "target"),
                "--log-path",
                str(self.workdir / "logs"),
                "--no-use-colors",
            ]
        )
        assert sorted(os.listdir(DBT_PROJECT_DIR)) == before, "dbt wrote into the repo's dbt/"
        return result

    def build(self, selector: str) -> list[RunResult]:
        """`dbt build --select <selector>`; fails the test naming every node that did not pass."""
        result = self.invoke("build", "--select", selector)
        assert result.exception is None, f"dbt build {selector} crashed: {result.exception!r}"
        nodes = node_results(result)
        failures = [
            f"{node.node.unique_id}: {node.status} {node.message or ''}".strip()
            for node in nodes
            if node.status not in _PASSING
        ]
        assert result.success and not failures, f"dbt build {selector} failed:\n" + "\n".join(failures)
        return nodes


def node_results(result: dbtRunnerResult) -> list[RunResult]:
    """The per-node results of a build/run/compile invocation."""
    assert isinstance(result.result, RunExecutionResult), f"no node results: {result.exception!r}"
    return list(result.result.results)


@dataclass
class Lakehouse:
    """A local lake folder, a DuckDB warehouse file and the dbt project pointed at them."""

    lake: Path
    warehouse: Path
    dbt: DbtProject

    def query(self, sql: str) -> list[dict[str, Any]]:
        # dbt-duckdb keeps its database instance open in this process after a run; a connection
        # with the same (default) configuration shares it, a read-only one would be refused.
        with duckdb.connect(str(self.warehouse)) as connection:
            cursor = connection.execute(sql)
            columns = [column[0] for column in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def show(self, sql: str) -> list[dict[str, Any]]:
        """``dbt show --inline sql``: every row, as dbt (its macros, this target) runs it."""
        result = self.dbt.invoke("show", "--inline", sql, "--limit", "-1")
        assert result.success, f"dbt show failed: {result.exception!r}"
        (node,) = node_results(result)
        table = node.agate_table
        return [dict(zip(table.column_names, row, strict=True)) for row in table.rows]

    def scalar(self, sql: str) -> Any:
        (row,) = self.query(sql)
        (value,) = row.values()
        return value
