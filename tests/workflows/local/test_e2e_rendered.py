"""The rendered dev WorkflowTemplate file, executed end to end by ``tributary run --replay --spec`` on a tmp lake.

This is the exact YAML the Helm chart ships (``tributary render --env dev``): the local runner must run it as is.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import run_replay
from workflows.cli import main

REPO = Path(__file__).resolve().parents[3]
TASKS = [
    "verify",
    "freshness",
    "ingest-worldbank",
    "ingest-vn-provinces",
    "validate-bronze",
    "dbt-silver",
    "dbt-gold",
    "validate-gold",
]


@pytest.mark.e2e
def test_rendered_file_runs_end_to_end(tmp_path: Path) -> None:
    assert main(["render", "--env", "dev", "--out", str(tmp_path / "files")]) == 0
    lake = tmp_path / "lake"
    spec = tmp_path / "files" / "workflowtemplate.yaml"
    proc = run_replay(lake, "--run-id", "rendered", "--spec", str(spec))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for task in [*TASKS, "onExit"]:  # progress shows each task's phase as it goes; the exit handler reports
        assert f"✓ {task:<24} Succeeded" in proc.stderr, proc.stderr
    # the exit handler's report lists every task with its phase and duration, as the Argo UI would
    assert "Run rendered: SUCCEEDED" in proc.stdout
    for task in TASKS:
        assert any(line.split()[:2] == [task, "Succeeded"] for line in proc.stdout.splitlines()), proc.stdout
    nodes = json.loads((lake / ".runs" / "rendered" / "logs" / "nodes.json").read_text())
    # held-back is skipped (nothing held back): its when reads the gate's empty output parameter
    assert [n["task"] for n in nodes] == [*TASKS, "held-back"]
    assert all(n["duration_s"] > 0 for n in nodes[:-1]) and nodes[-1]["phase"] == "Skipped"
    summary = json.loads((lake / "reports" / "rendered" / "summary.json").read_text())
    assert summary["status"] == "succeeded" and [t["task"] for t in summary["tasks"]] == [*TASKS, "held-back"]
    # freshness wrote its decisions into its emptyDir folder, where the runner read the output parameters
    decisions = lake / ".runs" / "rendered" / "nodes" / "freshness" / "mounts" / "tmp" / "outputs"
    assert (decisions / "worldbank").read_text() == "true"


def test_stage_processes_never_import_hera() -> None:
    code = (
        "import importlib, sys\n"
        "for s in ('verify', 'freshness', 'ingest', 'validate', 'dbt', 'summary'):\n"
        "    importlib.import_module(f'steps.{s}.__main__')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('hera', 'workflows')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert proc.stdout.strip() == "[]"
