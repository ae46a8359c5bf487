"""``tributary run``: the whole pipeline on this machine, each stage a subprocess as each is a pod in Argo."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from workflows.runner import FAILED, DagRunner, Retry, Task

EXIT_TRANSIENT = 75
REPO_DBT_DIR = Path(__file__).resolve().parents[1] / "dbt"


@dataclass(frozen=True)
class LocalRun:
    """What ``tributary run`` was asked to do."""

    run_id: str
    lake: str
    sources: tuple[str, ...]
    force: bool = False
    config: Path | None = None
    parallelism: int = 4


def pipeline_tasks(run: LocalRun, outputs_dir: Path) -> tuple[list[Task], Task]:
    """Verify → freshness → ingest per source (when due) → dbt silver → dbt gold; summary as exit handler."""
    py = [sys.executable, "-m"]
    rid = ["--run-id", run.run_id]
    sources = ",".join(run.sources)
    force = "true" if run.force else "false"
    decisions = outputs_dir / "freshness"
    transient = Retry(limit=2, exit_codes=frozenset({EXIT_TRANSIENT}), duration_s=2, factor=2, max_duration_s=30)
    tasks = [
        Task("verify", [*py, "steps.verify", *rid, "--sources", sources], retry=transient),
        Task(
            "freshness",
            [*py, "steps.freshness", *rid, "--sources", sources, "--force", force, "--outputs", str(decisions)],
            depends=["verify"],
            outputs={s: decisions / s for s in run.sources},
        ),
    ]
    ingests = []
    for s in run.sources:
        tasks.append(
            Task(
                f"ingest-{s}",
                [*py, "steps.ingest", "--source", s, *rid],
                depends=["freshness"],
                when=lambda out, s=s: out.get("freshness", {}).get(s) == "true",  # type: ignore[misc]
                retry=transient,
            )
        )
        ingests.append(f"ingest-{s}")
    tasks += [
        Task("dbt-silver", [*py, "steps.dbt", "--layer", "silver", *rid, "--force", force], depends=ingests),
        Task("dbt-gold", [*py, "steps.dbt", "--layer", "gold", *rid, "--force", force], depends=["dbt-silver"]),
    ]
    summary = Task("summary", [*py, "steps.summary", *rid], show_output=True)
    return tasks, summary


def child_environment(run: LocalRun, base_urls: Mapping[str, str]) -> dict[str, str]:
    """Settings every stage subprocess gets (what the ConfigMap provides in the cluster)."""
    if not (REPO_DBT_DIR / "dbt_project.yml").exists():
        raise SystemExit(f"tributary run: dbt project not found at {REPO_DBT_DIR}; run from a source checkout")
    env = {
        "TRIBUTARY_LAKE": run.lake,
        "TRIBUTARY_TARGET": os.environ.get("TRIBUTARY_TARGET", "local"),
        "TRIBUTARY_DBT_PROJECT_DIR": str(REPO_DBT_DIR),
        "PYTHONUNBUFFERED": "1",
    }
    if run.config is not None:
        env["TRIBUTARY_CONFIG"] = str(run.config)
    for name, url in base_urls.items():
        env[f"TRIBUTARY_SOURCE_{name.upper()}_BASE_URL"] = url
    return env


def execute(run: LocalRun, base_urls: Mapping[str, str], work_dir: Path) -> int:
    """Run the pipeline; returns the exit code ``tributary run`` ends with."""
    env = child_environment(run, base_urls)
    tasks, summary = pipeline_tasks(run, work_dir / "outputs")
    for t in [*tasks, summary]:
        t.env = env
    runner = DagRunner(tasks, exit_handler=summary, parallelism=run.parallelism, log_dir=work_dir / "logs")
    ok = runner.run()
    if ok:
        return 0
    codes = [r.exit_code for r in runner.runs.values() if r.phase == FAILED and r.exit_code]
    return next((c for c in codes if c in (2, EXIT_TRANSIENT)), 1)


def snapshot_date(text: str) -> date:
    """Parse ``--snapshot``."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"tributary run: --snapshot {text!r} is not a date; use YYYY-MM-DD, e.g. 2025-01-04") from None
