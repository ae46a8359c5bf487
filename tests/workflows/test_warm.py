"""Tasks forked from warm interpreters behave as the same command run as a fresh process."""

import io
import sys
from pathlib import Path

from workflows.runner import FAILED, SUCCEEDED, DagRunner, Retry, Task
from workflows.warm import WarmLauncher

PY = sys.executable


def _module(tmp_path: Path, body: str) -> str:
    """Write a one-off module importable by the zygote; returns its name."""
    pkg = tmp_path / "warmtasks"
    pkg.mkdir(exist_ok=True)
    (pkg / "__init__.py").write_text("")
    name = f"t{abs(hash(body)) % 10**8}"
    (pkg / f"{name}.py").write_text(body)
    return f"warmtasks.{name}"


def test_exit_codes_environment_argv_and_stderr_match_a_fresh_process(tmp_path: Path) -> None:
    ok = _module(
        tmp_path,
        "import os, sys\nopen(sys.argv[1], 'w').write(os.environ['GREETING'] + ' ' + ' '.join(sys.argv[2:]))\n",
    )
    bad = _module(tmp_path, "import sys\nsys.stderr.write('noise\\nstage: the bad value. Fix: x\\n')\nsys.exit(2)\n")
    out = tmp_path / "out.txt"
    env = {"GREETING": "hello", "PYTHONPATH": str(tmp_path)}
    launcher = WarmLauncher({"PYTHONPATH": str(tmp_path)})
    runner = DagRunner(
        [
            Task("ok", [PY, "-m", ok, str(out), "a", "b"], env=env, inherit_env=False),
            Task("bad", [PY, "-m", bad], env=env, inherit_env=False, retry=Retry(limit=2, exit_codes=frozenset({75}))),
        ],
        progress=io.StringIO(),
        log_dir=tmp_path / "logs",
        launcher=launcher,
    )
    try:
        assert runner.run() is False
    finally:
        launcher.close()
    assert out.read_text() == "hello a b"
    assert runner.runs["ok"].phase == SUCCEEDED
    bad_run = runner.runs["bad"]
    assert (bad_run.phase, bad_run.exit_code, bad_run.attempts) == (FAILED, 2, 1)
    assert bad_run.message == "stage: the bad value. Fix: x"
    assert "noise" in (tmp_path / "logs/bad.log").read_text()


def test_a_timeout_kills_the_forked_task(tmp_path: Path) -> None:
    slow = _module(tmp_path, "import time\ntime.sleep(30)\n")
    launcher = WarmLauncher({"PYTHONPATH": str(tmp_path)})
    runner = DagRunner(
        [Task("slow", [PY, "-m", slow], env={"PYTHONPATH": str(tmp_path)}, inherit_env=False, timeout_s=1)],
        progress=io.StringIO(),
        log_dir=tmp_path / "logs",
        launcher=launcher,
    )
    try:
        assert runner.run() is False
    finally:
        launcher.close()
    assert "timed out" in runner.runs["slow"].message


def test_commands_that_are_not_python_modules_run_as_plain_processes(tmp_path: Path) -> None:
    launcher = WarmLauncher()
    assert not launcher.handles(["/bin/true"]) and launcher.handles([PY, "-m", "steps.verify"])
    runner = DagRunner(
        [Task("sh", ["/bin/sh", "-c", "exit 3"])], progress=io.StringIO(), log_dir=tmp_path, launcher=launcher
    )
    try:
        runner.run()
    finally:
        launcher.close()
    assert runner.runs["sh"].exit_code == 3
