"""The container launcher reports a container's end as Argo reads a pod's, and leaves no container behind.

Each test runs a real container of the smallest stage image (freshness) with a tiny Python command, through the
local runner where the retry expression matters.
"""

from __future__ import annotations

import io
import subprocess
import threading
import time
import uuid

from tests.containers.conftest import Images
from workflows.argo.templates import RETRY_EXPRESSION
from workflows.local.container import ContainerLauncher
from workflows.local.expressions import retry_condition
from workflows.local.runner import ERROR, FAILED, DagRunner
from workflows.local.task import ContainerRun, Retry, Task

POD = {"user": 10001, "group": 10001, "read_only_root": True, "drop_capabilities": ("ALL",), "no_new_privileges": True}


def _task(images: Images, code: str, *, memory: str | None = None, retry: Retry | None = None) -> Task:
    run = ContainerRun(
        image=images.reference("freshness"),
        command=("python",),
        args=("-c", code),
        tmpfs=(("/tmp", None),),
        memory_limit=memory,
        **POD,  # type: ignore[arg-type]
    )
    return Task("probe", ["python", "-c", code], container=run, retry=retry or Retry(), inherit_env=False)


def _containers(engine: str, run_id: str) -> list[str]:
    listed = subprocess.run(
        [engine, "ps", "--all", "--format", "{{.Names}}"], capture_output=True, text=True, check=True
    ).stdout.split()
    return [name for name in listed if run_id in name]


def test_an_out_of_memory_kill_is_oomkilled_137_and_retried_once(images: Images) -> None:
    run_id = f"oom-{uuid.uuid4().hex[:6]}"
    retry = Retry(limit=3, condition=retry_condition(RETRY_EXPRESSION), duration_s=0)
    task = _task(
        images, "b = bytearray(512 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096])", memory="64Mi", retry=retry
    )
    launcher = ContainerLauncher(images.engine, run_id=run_id)
    runner = DagRunner([task], progress=io.StringIO(), sleep=lambda s: None, launcher=launcher)
    assert runner.run() is False
    probe = runner.runs["probe"]
    # the kill is reported as Argo reports it, and the expression retries a pod-level failure once, not `limit` times
    assert (probe.exit_code, probe.attempts) == (137, 2), (probe.exit_code, probe.message)
    assert "OOMKilled" in probe.message and probe.phase in (FAILED, ERROR)
    assert _containers(images.engine, run_id) == []


def test_a_transient_exit_is_retried_to_the_limit(images: Images) -> None:
    retry = Retry(limit=2, condition=retry_condition(RETRY_EXPRESSION), duration_s=0)
    runner = DagRunner(
        [_task(images, "import sys; sys.exit(75)", retry=retry)],
        progress=io.StringIO(),
        sleep=lambda s: None,
        launcher=ContainerLauncher(images.engine, run_id=f"t75-{uuid.uuid4().hex[:6]}"),
    )
    assert runner.run() is False
    assert (runner.runs["probe"].exit_code, runner.runs["probe"].attempts) == (75, 3)


def test_a_deadline_kills_the_container_and_removes_it(images: Images) -> None:
    run_id = f"deadline-{uuid.uuid4().hex[:6]}"
    launcher = ContainerLauncher(images.engine, run_id=run_id)
    started = time.monotonic()
    attempt = launcher.launch(_task(images, "import time; time.sleep(120)"), 1, 3.0, None)
    assert attempt.exit_code == 124 and time.monotonic() - started < 60
    assert _containers(images.engine, run_id) == []


def test_closing_the_launcher_stops_what_still_runs(images: Images) -> None:
    """An interrupted run closes its launcher: no stage may go on writing after the runner stopped."""
    run_id = f"close-{uuid.uuid4().hex[:6]}"
    launcher = ContainerLauncher(images.engine, run_id=run_id)
    ended: list[int] = []
    worker = threading.Thread(
        target=lambda: ended.append(
            launcher.launch(_task(images, "import time; time.sleep(300)"), 1, None, None).exit_code
        )
    )
    worker.start()
    deadline = time.monotonic() + 60
    while not _containers(images.engine, run_id) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _containers(images.engine, run_id), "the container never started"
    launcher.close()
    worker.join(timeout=60)
    assert not worker.is_alive() and ended and ended[0] != 0
    assert _containers(images.engine, run_id) == []
