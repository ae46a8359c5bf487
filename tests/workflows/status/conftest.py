"""Fixtures of the ``tributary status`` tests: a lake after a clean replay run, the command as a user runs it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli import REPO, SHELL_SETTINGS, clean_env, run_replay

# What a developer's shell may hold that would point status elsewhere: kubeconfigs, a pod's API, Argo's namespace.
CLUSTER_SETTINGS = ("KUBECONFIG", "KUBERNETES_", "ARGO_")


def status(*args: str, env: Mapping[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``tributary status <args>`` in a process of its own, without the shell's pipeline or cluster settings."""
    return subprocess.run(
        [sys.executable, "-m", "workflows.cli", "status", *args],
        env=clean_env(env, drop=(*SHELL_SETTINGS, *CLUSTER_SETTINGS)),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=REPO,
    )


def as_json(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The JSON document of ``status --json``, after checking it is the only output."""
    doc: dict[str, Any] = json.loads(proc.stdout)
    assert doc["format"] == "tributary-status/1"
    assert doc["exit_code"] == proc.returncode, proc.stderr
    return doc


def refused(proc: subprocess.CompletedProcess[str], code: int, *expected: str) -> str:
    """The one line of a refused status: its exit code, one line on stderr, nothing on stdout, no traceback."""
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == code, proc.stderr[-2000:]
    assert len(lines) == 1, proc.stderr[-2000:]
    assert lines[0].startswith("tributary status: ") and ". Fix: " in lines[0], lines[0]
    assert not proc.stdout
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def table_rows(stdout: str) -> dict[str, list[str]]:
    """The source table's rows by source name, split on the table's two-space column gaps."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("source "))
    rows = {}
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        cells = [c.strip() for c in line.split("  ") if c.strip()]
        rows[cells[0]] = cells
    return rows


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def config_with(path: Path, **sources: dict[str, Any]) -> Path:
    """The packaged configuration with ``sources``' keys changed (enabled sources and their SLA, quota, …)."""
    doc = yaml.safe_load((REPO / "steps" / "defaults" / "pipeline.yaml").read_text())
    for name, keys in sources.items():
        doc["sources"][name].update(keys)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def clean_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lake after one clean ``tributary run --replay`` (run ``first``): read it, or copy it before changing it."""
    lake = tmp_path_factory.mktemp("status") / "lake"
    proc = run_replay(lake, "--run-id", "first")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return lake
