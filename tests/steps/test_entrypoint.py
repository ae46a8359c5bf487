"""``python -m steps``, every stage image's entrypoint: runs the stage ``TRIBUTARY_STAGE`` names."""

import os
import subprocess
import sys

import pytest

from steps.__main__ import STAGES, stage_module
from steps.errors import ConfigError
from tests.conftest import REPO
from workflows.argo import images


def _run(*args: str, stage: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TRIBUTARY_STAGE"}
    if stage is not None:
        env["TRIBUTARY_STAGE"] = stage
    return subprocess.run(
        [sys.executable, "-m", "steps", *args], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )


def _run_stage(stage: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", f"steps.{stage}", *args], cwd=REPO, capture_output=True, text=True, check=False
    )


def test_the_stages_are_the_images_stages() -> None:
    assert STAGES == images.STAGES
    assert [stage_module(stage) for stage in STAGES] == [f"steps.{stage}" for stage in STAGES]


@pytest.mark.parametrize(
    ("stage", "said"), [("", "TRIBUTARY_STAGE is not set"), ("replay", "TRIBUTARY_STAGE 'replay' is not a stage")]
)
def test_anything_but_a_stage_is_refused_with_the_fix(stage: str, said: str) -> None:
    with pytest.raises(ConfigError) as caught:
        stage_module(stage)
    assert caught.value.line().startswith(f"python -m steps: {said}. Fix: set it to one of verify, freshness,")


def test_it_runs_the_stage_as_python_m_steps_stage_does() -> None:
    proc = _run("--help", stage="summary")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == _run_stage("summary", "--help").stdout
    assert proc.stdout.startswith("usage: python -m steps.summary")


def test_without_a_stage_it_exits_2_with_one_line() -> None:
    proc = _run("--help", stage=None)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "python -m steps: TRIBUTARY_STAGE is not set. Fix: set it to one of verify, freshness, ingest, validate, "
        "dbt, summary (a stage image sets it from its build argument STAGE)"
    ]
