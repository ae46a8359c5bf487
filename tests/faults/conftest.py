"""Fixtures of the fault tests: a real ``tributary run`` process executing the dev spec with stand-in stages."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.workflows.conftest import GOLDEN_SOURCES, standin_spec

STANDINS = REPO / "tests" / "workflows"
FRESH = {"fresh": {"worldbank": "true", "vn_provinces": "true"}}


@pytest.fixture(scope="session")
def standin_spec_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rendered dev WorkflowTemplate with every stage a stand-in, as a ``--spec`` file."""
    from workflows.argo.render import render

    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("TRIBUTARY_IMAGE_REGISTRY", raising=False)
        mp.delenv("TRIBUTARY_IMAGE_TAG", raising=False)
        doc = render("dev", sources=GOLDEN_SOURCES).workflow_template
    path = tmp_path_factory.mktemp("spec") / "workflowtemplate.json"
    path.write_text(json.dumps(standin_spec(doc)))
    return path


@dataclass
class RunProcess:
    """One ``tributary run`` subprocess and what its stand-in stages recorded."""

    proc: subprocess.Popen[str]
    record_dir: Path
    marker: str  # in the environment of the run and of everything it starts

    def started(self) -> list[dict[str, Any]]:
        """The stand-in calls in the order they started."""
        path = self.record_dir / "started.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def calls(self, key: str | None = None) -> list[dict[str, Any]]:
        """The stand-in calls that ended (with their environment)."""
        path = self.record_dir / "calls.jsonl"
        records = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
        return [r for r in records if key is None or r["key"] == key]

    def wait_started(self, key: str, timeout: float = 60) -> None:
        """Wait until the stand-in ``key`` has started."""
        end = time.monotonic() + timeout
        while not any(s["key"] == key for s in self.started()):
            assert self.proc.poll() is None, f"run ended before {key} started: {self.proc.communicate()}"
            assert time.monotonic() < end, f"{key} did not start within {timeout}s"
            time.sleep(0.1)

    def finish(self, timeout: float = 60) -> tuple[int, str]:
        """Wait for the run; its exit code and stderr."""
        _, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, err


def processes_with(marker: str) -> list[int]:
    """Pids of live processes whose environment holds ``marker`` (the run and everything it started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if marker.encode() in environ and stat.rsplit(")", 1)[1].split()[0] != "Z":  # zombies hold nothing
            found.append(int(entry.name))
    return found


@pytest.fixture
def start_run(standin_spec_file: Path, tmp_path: Path) -> Iterator[Callable[..., RunProcess]]:
    """Start ``tributary run --spec <stand-ins>`` as a process (its own session, as a terminal's job)."""
    started: list[RunProcess] = []

    def start(
        plan: dict[str, Any],
        *args: str,
        lake: str | None = None,
        run_id: str = "local-a",
        env: dict[str, str] | None = None,
    ) -> RunProcess:
        record_dir = tmp_path / f"records-{run_id}"
        record_dir.mkdir(exist_ok=True)
        marker = f"fault-{uuid.uuid4().hex}"
        environ = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(STANDINS), str(REPO)]),
            "TRIBUTARY_STANDIN_DIR": str(record_dir),
            "TRIBUTARY_STANDIN_PLAN": json.dumps(plan),
            "TRIBUTARY_FAULT_MARKER": marker,
            **(env or {}),
        }
        argv = [sys.executable, "-m", "workflows.cli", "run", "--spec", str(standin_spec_file), "--run-id", run_id]
        argv += ["--lake", lake or str(tmp_path / "lake"), *args]
        proc = subprocess.Popen(
            argv,
            env=environ,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        run = RunProcess(proc, record_dir, marker)
        started.append(run)
        return run

    yield start
    for run in started:  # a failed test must not leave runs behind
        if run.proc.poll() is None:
            os.killpg(run.proc.pid, signal.SIGKILL)
            run.proc.communicate()
        for pid in processes_with(run.marker):
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
