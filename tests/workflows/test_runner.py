"""The local DAG runner's Argo semantics, with tiny real subprocesses."""

import io
import sys
import time
from pathlib import Path

from workflows.runner import FAILED, OMITTED, SKIPPED, SUCCEEDED, DagRunner, Retry, Task

PY = sys.executable


def _exit(code: int) -> list[str]:
    return [PY, "-c", f"import sys; sys.exit({code})"]


def _counter(path: Path, code: int) -> list[str]:
    # appends a line per attempt, then exits with ``code``
    return [PY, "-c", f"open({str(path)!r}, 'a').write('x\\n'); import sys; sys.exit({code})"]


def test_transient_failure_is_retried_with_backoff_then_fails_and_exit_handler_runs(tmp_path: Path) -> None:
    attempts, handler_ran = tmp_path / "attempts", tmp_path / "handler"
    sleeps: list[float] = []
    retry = Retry(limit=3, exit_codes=frozenset({75}), duration_s=1, factor=2, max_duration_s=3)
    runner = DagRunner(
        [Task("a", _counter(attempts, 75), retry=retry), Task("b", _exit(0), depends=["a"])],
        exit_handler=Task("onexit", [PY, "-c", f"import os; open({str(handler_ran)!r},'w').write(os.environ['TRIBUTARY_WORKFLOW_STATUS'])"]),
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
    retry = Retry(limit=3, exit_codes=frozenset({75}), duration_s=1)
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
