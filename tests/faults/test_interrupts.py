"""SIGINT and SIGTERM to a real ``tributary run`` in the middle of a task.

Found in issue 12: SIGTERM ended only the runner (its tasks kept writing; an orphan dbt held the DuckDB lock), and
Ctrl-C interrupted the tasks, then the runner relaunched the interrupted ingest as a plain subprocess that went on
writing after ``tributary`` had exited. Now: the signal reaches every task, nothing starts after it, the runner
waits for the tasks, the exit handler records the run as interrupted, the lake is released, exit 130 or 143.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from steps.lake import Lake
from steps.summary.core import build_summary
from tests.faults.conftest import FRESH, RunProcess, processes_with
from workflows.local.lakelock import FolderLock
from workflows.local.owner import Owner
from workflows.local.runner import OMITTED, DagRunner
from workflows.local.task import Retry, Task
from workflows.replay.faults import Fault
from workflows.replay.server import ReplayServer

SLOW_INGEST = {**FRESH, "sleep": {"ingest-worldbank": 60, "ingest-vn_provinces": 60}}


@pytest.mark.parametrize(
    ("signum", "code", "launcher"),
    [
        (signal.SIGINT, 130, "warm"),
        (signal.SIGTERM, 143, "warm"),
        (signal.SIGINT, 130, "process"),
        (signal.SIGTERM, 143, "process"),
    ],
)
def test_a_signal_mid_ingest_stops_every_task_and_nothing_after_it(
    start_run: Callable[..., RunProcess], tmp_path: Path, signum: int, code: int, launcher: str
) -> None:
    run = start_run(SLOW_INGEST, "--launcher", launcher)
    run.wait_started("ingest-worldbank")
    run.wait_started("ingest-vn_provinces")
    sent = time.time()
    if signum == signal.SIGINT:
        os.killpg(run.proc.pid, signum)  # Ctrl-C: the terminal signals the whole foreground job
    else:
        os.kill(run.proc.pid, signum)  # kill PID: the runner alone
    exit_code, err = run.finish(timeout=40)
    assert exit_code == code, err
    assert time.time() - sent < 15  # the 60 s ingests were stopped, not waited for
    assert "Traceback" not in err
    assert f"interrupted by {signal.Signals(signum).name}" in err.strip().splitlines()[-1]
    assert processes_with(run.marker) == []  # nothing of the run is left running
    after = [s["key"] for s in run.started() if s["start"] > sent]
    assert after == ["on-exit"]  # no task started (or relaunched) after the signal; the exit handler reports it
    report = run.calls("on-exit")[0]["env"]
    assert report["TRIBUTARY_WORKFLOW_STATUS"] == "Failed"
    assert report["TRIBUTARY_WORKFLOW_INTERRUPTED"] == signal.Signals(signum).name
    assert run.calls("ingest-worldbank") == []  # the stand-in never reached its end
    probe = FolderLock(tmp_path / "lake", Owner(run_id="probe"))
    assert probe.try_acquire() is None  # the lake is released
    probe.release()


def test_an_interrupted_run_is_reported_as_interrupted(tmp_path: Path) -> None:
    nodes = [{"task": "ingest-worldbank", "phase": "Failed", "duration_s": 1.0, "message": "interrupted by SIGINT"}]
    summary = build_summary(Lake(str(tmp_path)), "local-a", nodes, workflow_status="Failed", interrupted_by="SIGINT")
    assert summary["status"] == "interrupted" and summary["interrupted_by"] == "SIGINT"


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


STUBBORN = "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); print('up', flush=True); time.sleep(60)"


def _interrupt_later(runner: DagRunner, *signums: int, after: float = 0.5) -> None:
    def send() -> None:
        for signum in signums:
            time.sleep(after)
            runner.interrupt(signum)

    threading.Thread(target=send, daemon=True).start()


def test_a_task_ignoring_the_signal_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    marker = tmp_path / "handler-ran"
    runner = DagRunner(
        [Task("stubborn", _python(STUBBORN)), Task("next", _python("pass"), depends=("stubborn",))],
        exit_handler=Task(
            "onExit",
            _python(f"import os; open({str(marker)!r}, 'w').write(os.environ['TRIBUTARY_WORKFLOW_INTERRUPTED'])"),
        ),
        progress=io.StringIO(),
        grace_s=1.0,
    )
    _interrupt_later(runner, signal.SIGINT)
    started = time.monotonic()
    assert runner.run() is False
    assert time.monotonic() - started < 10
    assert runner.runs["stubborn"].message == "interrupted by SIGINT"
    assert runner.runs["next"].phase == OMITTED and runner.runs["next"].attempts == 0
    assert marker.read_text() == "SIGINT" and runner.interrupted == signal.SIGINT
    assert "after the interrupt: killed" in runner.progress.getvalue()  # type: ignore[attr-defined]


def test_no_retry_after_an_interrupt_even_mid_backoff(tmp_path: Path) -> None:
    retry = Retry(limit=3, condition=lambda _vars: True, duration_s=30)
    runner = DagRunner([Task("flaky", _python("raise SystemExit(75)"), retry=retry)], progress=io.StringIO())
    _interrupt_later(runner, signal.SIGTERM, after=1.5)
    started = time.monotonic()
    assert runner.run() is False
    assert time.monotonic() - started < 10  # the 30 s backoff was cut short
    assert runner.runs["flaky"].attempts == 1 and "no retry" in runner.runs["flaky"].message


def test_a_second_signal_kills_at_once_and_skips_the_exit_handler(tmp_path: Path) -> None:
    marker = tmp_path / "handler-ran"
    runner = DagRunner(
        [Task("stubborn", _python(STUBBORN))],
        exit_handler=Task("onExit", _python(f"open({str(marker)!r}, 'w')")),
        progress=io.StringIO(),
        grace_s=30.0,
    )
    _interrupt_later(runner, signal.SIGINT, signal.SIGINT)
    started = time.monotonic()
    assert runner.run() is False
    assert time.monotonic() - started < 10  # not the 30 s grace
    assert runner.terminated and not marker.exists()


def test_ctrl_c_mid_ingest_of_the_real_pipeline_leaves_nothing_fetching_or_writing(
    tmp_path: Path, replay_server: ReplayServer
) -> None:
    replay_server.add_fault(Fault(path="/worldbank/", delay=1.0))  # a slow API: the ingest is still running
    lake = tmp_path / "lake"
    marker = f"fault-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "TRIBUTARY_SOURCE_WORLDBANK_BASE_URL": replay_server.base_url("worldbank"),
        "TRIBUTARY_FAULT_MARKER": marker,
    }
    argv = [sys.executable, "-m", "workflows.cli", "run", "--lake", str(lake), "--sources", "worldbank"]
    proc = subprocess.Popen(
        [*argv, "--run-id", "local-stopped"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        end = time.monotonic() + 90
        while not any("/worldbank/" in r.path for r in replay_server.requests):
            assert proc.poll() is None and time.monotonic() < end, proc.communicate()
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
        left = processes_with(marker)
        for pid in left:  # a failing run must not leave its tasks behind
            os.kill(pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert left == []
    assert "Traceback" not in err
    fetched = len(replay_server.requests)
    time.sleep(2.5)
    assert len(replay_server.requests) == fetched  # nothing goes on fetching (and writing) after the exit
    assert not (lake / "state" / "worldbank.json").exists()  # the stopped ingest committed nothing
    summary = json.loads((lake / "reports" / "local-stopped" / "summary.json").read_text())
    assert summary["status"] == "interrupted" and summary["interrupted_by"] == "SIGINT"
