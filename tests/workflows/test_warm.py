"""Tasks forked from warm interpreters behave as the same command run as a fresh process."""

import io
import sys
import time
from pathlib import Path

import pytest

from workflows import warm
from workflows.expressions import retry_condition
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


def _run_warm(tmp_path: Path, tasks: list[Task]) -> tuple[bool, DagRunner]:
    """Run ``tasks`` through a warm launcher that can import the modules under ``tmp_path``."""
    launcher = WarmLauncher({"PYTHONPATH": str(tmp_path)})
    runner = DagRunner(tasks, progress=io.StringIO(), log_dir=tmp_path / "logs", launcher=launcher)
    try:
        return runner.run(), runner
    finally:
        launcher.close()


def test_exit_codes_environment_argv_and_stderr_match_a_fresh_process(tmp_path: Path) -> None:
    ok = _module(
        tmp_path,
        "import os, sys\nopen(sys.argv[1], 'w').write(os.environ['GREETING'] + ' ' + ' '.join(sys.argv[2:]))\n",
    )
    bad = _module(tmp_path, "import sys\nsys.stderr.write('noise\\nstage: the bad value. Fix: x\\n')\nsys.exit(2)\n")
    out = tmp_path / "out.txt"
    env = {"GREETING": "hello", "PYTHONPATH": str(tmp_path)}
    succeeded, runner = _run_warm(
        tmp_path,
        [
            Task("ok", [PY, "-m", ok, str(out), "a", "b"], env=env, inherit_env=False),
            Task(
                "bad",
                [PY, "-m", bad],
                env=env,
                inherit_env=False,
                retry=Retry(limit=2, condition=retry_condition("asInt(lastRetry.exitCode) == 75")),
            ),
        ],
    )
    assert succeeded is False
    assert out.read_text() == "hello a b"
    assert runner.runs["ok"].phase == SUCCEEDED
    bad_run = runner.runs["bad"]
    assert (bad_run.phase, bad_run.exit_code, bad_run.attempts) == (FAILED, 2, 1)
    assert bad_run.message == "stage: the bad value. Fix: x"
    assert "noise" in (tmp_path / "logs/bad.log").read_text()


def test_a_timeout_kills_the_forked_task(tmp_path: Path) -> None:
    slow = _module(tmp_path, "import time\ntime.sleep(30)\n")
    succeeded, runner = _run_warm(
        tmp_path, [Task("slow", [PY, "-m", slow], env={"PYTHONPATH": str(tmp_path)}, inherit_env=False, timeout_s=1)]
    )
    assert succeeded is False
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


def _heavy_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str, Path]:
    """A stand-in heavy interpreter: it preloads ``warmtasks.heavylib`` and calls its warm-up, for ``warmtasks.gate``
    tasks, started by ``warmtasks.ingest`` tasks. Returns the gate and ingest modules and the gate's output file."""
    pkg = tmp_path / "warmtasks"
    pkg.mkdir(exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "heavylib.py").write_text(
        "import os\nWARMED = []\n"
        "def warm():\n    WARMED.append(os.environ.get('TRIBUTARY_LAKE'))\n    print('noise from the warm-up')\n"
    )
    (pkg / "ingest.py").write_text("")
    out = tmp_path / "gate.txt"
    (pkg / "gate.py").write_text(
        "import sys\nlib = sys.modules.get('warmtasks.heavylib')\n"
        f"open({str(out)!r}, 'a').write(repr(lib.WARMED if lib else None) + '\\n')\n"
    )
    monkeypatch.setattr(warm, "HEAVY", {"gx": (("warmtasks.gate",), ("warmtasks.heavylib", "warmtasks.heavylib:warm"))})
    monkeypatch.setattr(warm, "HEAVY_TRIGGERS", ("warmtasks.ingest",))
    return "warmtasks.gate", "warmtasks.ingest", out


@pytest.mark.parametrize("expect_ingest", [False, True])
def test_gates_fork_from_the_heavy_interpreter_only_after_an_ingest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], expect_ingest: bool
) -> None:
    gate, ingest, out = _heavy_setup(tmp_path, monkeypatch)
    env = {"PYTHONPATH": str(tmp_path), "TRIBUTARY_LAKE": "/the/lake"}
    launcher = warm.WarmLauncher(
        {"PYTHONPATH": str(tmp_path)}, expect_ingest=expect_ingest, settings={"TRIBUTARY_LAKE": "/the/lake"}
    )
    try:
        for module in (gate, ingest, gate):
            assert launcher.run([PY, "-m", module], env, None, str(tmp_path / "err.log"), timeout=60) == 0
    finally:
        launcher.close()
    # Before any ingest the gate forks from the light interpreter (nothing heavy imported); after one, from the
    # heavy interpreter, whose warm-up ran once with the run's settings.
    assert out.read_text().splitlines() == ["None", "['/the/lake']"]
    assert "noise" not in capfd.readouterr().out  # the warm-up's output never reaches the run's terminal


def test_an_unused_heavy_interpreter_does_not_delay_a_run_with_nothing_to_ingest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate, _, out = _heavy_setup(tmp_path, monkeypatch)
    (tmp_path / "warmtasks/heavylib.py").write_text("import time\ntime.sleep(30)\n")  # a very slow import
    env = {"PYTHONPATH": str(tmp_path)}
    launcher = warm.WarmLauncher(env, expect_ingest=True)
    started = time.monotonic()
    try:
        assert launcher.run([PY, "-m", gate], env, None, str(tmp_path / "err.log"), timeout=60) == 0
    finally:
        launcher.close()
    assert time.monotonic() - started < 15
    assert out.read_text() == "None\n"
