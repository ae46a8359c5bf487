"""The local DAG runner's Argo semantics, with tiny real subprocesses."""

import io
import sys
import time
from pathlib import Path

from workflows.local.expressions import retry_condition
from workflows.local.runner import ERROR, FAILED, OMITTED, SKIPPED, SUCCEEDED, DagRunner
from workflows.local.task import Retry, Task

PY = sys.executable
TRANSIENT = retry_condition("asInt(lastRetry.exitCode) == 75")


def _exit(code: int) -> list[str]:
    return [PY, "-c", f"import sys; sys.exit({code})"]


def _counter(path: Path, code: int) -> list[str]:
    # appends a line per attempt, then exits with ``code``
    return [PY, "-c", f"open({str(path)!r}, 'a').write('x\\n'); import sys; sys.exit({code})"]


def test_transient_failure_is_retried_with_backoff_then_fails_and_exit_handler_runs(tmp_path: Path) -> None:
    attempts, handler_ran = tmp_path / "attempts", tmp_path / "handler"
    sleeps: list[float] = []
    retry = Retry(limit=3, condition=TRANSIENT, duration_s=1, factor=2, max_duration_s=3)
    runner = DagRunner(
        [Task("a", _counter(attempts, 75), retry=retry), Task("b", _exit(0), depends=["a"])],
        exit_handler=Task(
            "onexit",
            [PY, "-c", f"import os; open({str(handler_ran)!r},'w').write(os.environ['TRIBUTARY_WORKFLOW_STATUS'])"],
        ),
        progress=io.StringIO(),
        sleep=sleeps.append,
    )
    assert runner.run() is False
    assert len(attempts.read_text().splitlines()) == 4  # first try + 3 retries
    assert sleeps == [1, 2, 3]  # duration * factor**n, capped
    assert runner.runs["a"].phase == FAILED and runner.runs["b"].phase == OMITTED
    assert handler_ran.read_text() == "Failed"


def test_bad_input_exit_2_is_not_retried(tmp_path: Path) -> None:
    attempts = tmp_path / "attempts"
    retry = Retry(limit=3, condition=TRANSIENT, duration_s=1)
    runner = DagRunner([Task("a", _counter(attempts, 2), retry=retry)], progress=io.StringIO(), sleep=lambda s: None)
    assert runner.run() is False
    assert len(attempts.read_text().splitlines()) == 1 and runner.runs["a"].exit_code == 2


def test_false_when_skips_and_downstream_still_runs(tmp_path: Path) -> None:
    out = tmp_path / "decision"
    progress = io.StringIO()
    runner = DagRunner(
        [
            Task("decide", [PY, "-c", f"open({str(out)!r},'w').write('false')"], outputs={"go": out}),
            Task("maybe", _exit(1), depends=["decide"], when=lambda o: o["decide"].get("go") == "true"),
            Task("after", _exit(0), depends=["maybe"]),
        ],
        progress=progress,
    )
    assert runner.run() is True
    assert [runner.runs[n].phase for n in ("decide", "maybe", "after")] == [SUCCEEDED, SKIPPED, SUCCEEDED]
    assert "Skipped" in progress.getvalue()


def test_independent_tasks_run_concurrently() -> None:
    sleeper = [PY, "-c", "import time; time.sleep(1.0)"]
    runner = DagRunner([Task(f"t{i}", sleeper) for i in range(3)], parallelism=3, progress=io.StringIO())
    t0 = time.monotonic()
    assert runner.run()
    assert time.monotonic() - t0 < 2.5  # sequential would take 3 s
    starts = sorted(r.started for r in runner.runs.values() if r.started)
    assert starts[-1] - starts[0] < 0.9


def test_failure_message_is_the_last_stderr_line(tmp_path: Path) -> None:
    cmd = [PY, "-c", "import sys; sys.stderr.write('noise\\ningest: the bad value. Fix: do x\\n'); sys.exit(2)"]
    runner = DagRunner([Task("a", cmd)], progress=io.StringIO(), log_dir=tmp_path)
    runner.run()
    assert runner.runs["a"].message == "ingest: the bad value. Fix: do x"
    assert "noise" in (tmp_path / "a.log").read_text()


def test_retries_stop_when_the_backoff_would_exceed_max_duration(tmp_path: Path) -> None:
    attempts = tmp_path / "attempts"
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    retry = Retry(limit=5, condition=TRANSIENT, duration_s=10, factor=2, budget_s=35)
    runner = DagRunner(
        [Task("a", _counter(attempts, 75), retry=retry)], progress=io.StringIO(), sleep=sleep, clock=lambda: now[0]
    )
    assert runner.run() is False
    assert sleeps == [10, 20]  # a third wait (40 s) would end after 35 s: Argo stops there too
    assert len(attempts.read_text().splitlines()) == 3
    assert "backoff would exceed max duration limit" in runner.runs["a"].message


def test_output_without_file_takes_its_default_or_is_an_error(tmp_path: Path) -> None:
    runner = DagRunner(
        [
            Task("with-default", _exit(0), outputs={"x": tmp_path / "x"}, output_defaults={"x": "false"}),
            Task("without", _exit(0), outputs={"y": tmp_path / "y"}, output_defaults={}),
        ],
        progress=io.StringIO(),
    )
    assert runner.run() is False
    assert runner.runs["with-default"].outputs == {"x": "false"}
    assert (
        runner.runs["without"].phase == ERROR and "output parameter y was not written" in runner.runs["without"].message
    )


def test_workflow_deadline_stops_running_and_pending_tasks_but_not_the_exit_handler(tmp_path: Path) -> None:
    handler_ran = tmp_path / "handler"
    runner = DagRunner(
        [Task("slow", [PY, "-c", "import time; time.sleep(30)"]), Task("next", _exit(0), depends=["slow"])],
        exit_handler=Task("onexit", [PY, "-c", f"open({str(handler_ran)!r}, 'w').write('ran')"]),
        progress=io.StringIO(),
        deadline_s=1.0,
    )
    t0 = time.monotonic()
    assert runner.run() is False
    assert time.monotonic() - t0 < 10
    assert runner.runs["slow"].phase == FAILED and runner.runs["slow"].message == "workflow deadline exceeded"
    assert runner.runs["next"].phase == OMITTED and runner.status == FAILED
    assert handler_ran.read_text() == "ran"


POD_LEVEL_ONCE = retry_condition(
    "asInt(lastRetry.exitCode) == 75 || (asInt(retries) < 1 && "
    '(asInt(lastRetry.exitCode) == -1 || lastRetry.message matches "OOMKilled"))'
)


def test_a_pod_level_failure_is_an_error_retried_once(tmp_path: Path) -> None:
    # killed by a signal it did not raise (the OOM killer, kill -9): Argo reports such a pod with exit code -1
    attempts = tmp_path / "attempts"
    killed = [PY, "-c", f"import os, signal; open({str(attempts)!r}, 'a').write('x\\n'); os.kill(os.getpid(), 9)"]
    retry = Retry(limit=3, condition=POD_LEVEL_ONCE, duration_s=0.01)
    runner = DagRunner([Task("a", killed, retry=retry)], progress=io.StringIO(), sleep=lambda s: None)
    assert runner.run() is False
    run = runner.runs["a"]
    assert len(attempts.read_text().splitlines()) == 2  # retried once, not up to the limit
    assert (run.phase, run.exit_code, run.message) == (ERROR, -1, "killed by SIGKILL")
    assert runner.status == ERROR


def test_transient_failures_keep_their_retries_after_a_pod_level_one(tmp_path: Path) -> None:
    attempts = tmp_path / "attempts"
    # first attempt killed, then exit 75 twice, then success
    script = (
        f"import os, sys; p = {str(attempts)!r}; n = len(open(p).read().splitlines()) if os.path.exists(p) else 0; "
        "open(p, 'a').write('x\\n'); "
        "os.kill(os.getpid(), 9) if n == 0 else sys.exit(75 if n < 3 else 0)"
    )
    retry = Retry(limit=3, condition=POD_LEVEL_ONCE, duration_s=0.01)
    runner = DagRunner([Task("a", [PY, "-c", script], retry=retry)], progress=io.StringIO(), sleep=lambda s: None)
    assert runner.run() is True
    assert runner.runs["a"].attempts == 4


def test_a_retry_deadline_is_clipped_to_the_first_start_plus_max_duration(tmp_path: Path) -> None:
    # Argo 4 sets a retried pod's deadline to the first attempt's start + backoff.maxDuration, whatever the
    # template's own activeDeadlineSeconds says: a retry after a slow first attempt has only what is left.
    attempts = tmp_path / "attempts"
    script = (
        f"import os, sys, time; p = {str(attempts)!r}; n = len(open(p).read().splitlines()) if os.path.exists(p) "
        "else 0; open(p, 'a').write('x\\n'); time.sleep(1.5 if n == 0 else 60); sys.exit(75)"
    )
    retry = Retry(limit=2, condition=TRANSIENT, duration_s=0.1, budget_s=4)
    runner = DagRunner([Task("a", [PY, "-c", script], retry=retry, timeout_s=60)], progress=io.StringIO())
    started = time.monotonic()
    assert runner.run() is False
    elapsed = time.monotonic() - started
    run = runner.runs["a"]
    assert run.attempts == 2 and run.exit_code == 124 and run.message.startswith("timed out after 2")
    assert 3.5 < elapsed < 10  # stopped at the budget (4 s from the first start), not the 60 s deadline
