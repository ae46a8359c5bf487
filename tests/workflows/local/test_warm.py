"""Tasks forked from warm interpreters behave as the same command run as a fresh process."""

import io
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workflows.local import warm
from workflows.local.expressions import retry_condition
from workflows.local.runner import FAILED, SUCCEEDED, DagRunner
from workflows.local.task import Retry, Task
from workflows.local.warm import WarmLauncher

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


def _heavy_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, slow: bool = False) -> tuple[str, str, Path]:
    """A stand-in heavy interpreter: it preloads ``warmtasks.heavylib`` and calls its warm-up, for ``warmtasks.gate``
    tasks, started once a ``warmtasks.fresh`` task's outputs say a source is ingested. Returns the gate and freshness
    modules and the gate's output file. ``slow``: importing heavylib takes 30 s."""
    pkg = tmp_path / "warmtasks"
    pkg.mkdir(exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "heavylib.py").write_text(
        "import time\ntime.sleep(30)\n"
        if slow
        else "import os\nWARMED = []\n"
        "def warm():\n    WARMED.append(os.environ.get('TRIBUTARY_LAKE'))\n    print('noise from the warm-up')\n"
    )
    # the stand-in freshness task writes one true/false file per source, as steps.freshness --outputs does
    (pkg / "fresh.py").write_text(
        "import pathlib, sys\nout = pathlib.Path(sys.argv[1])\nout.mkdir(parents=True, exist_ok=True)\n"
        "for pair in sys.argv[2:]:\n    name, value = pair.split('=')\n    (out / name).write_text(value)\n"
    )
    out = tmp_path / "gate.txt"
    (pkg / "gate.py").write_text(
        "import sys\nlib = sys.modules.get('warmtasks.heavylib')\n"
        f"open({str(out)!r}, 'a').write(repr(lib.WARMED if lib else None) + '\\n')\n"
    )
    monkeypatch.setattr(
        warm, "HEAVY", {"validate": (("warmtasks.gate",), ("warmtasks.heavylib", "warmtasks.heavylib:warm"))}
    )
    monkeypatch.setattr(warm, "DECIDES_WORK", "warmtasks.fresh")
    return "warmtasks.gate", "warmtasks.fresh", out


def _freshness(launcher: WarmLauncher, module: str, tmp_path: Path, env: dict[str, str], **decisions: str) -> None:
    """Run the stand-in freshness task through ``launcher`` with ``decisions`` as its outputs."""
    outputs = tmp_path / "outputs"
    argv = [PY, "-m", module, str(outputs), *(f"{k}={v}" for k, v in decisions.items())]
    task = Task("freshness", argv, env=env, inherit_env=False, outputs={k: outputs / k for k in decisions})
    assert launcher.launch(task, 1, 60, tmp_path / "freshness.log").succeeded


def test_gates_fork_from_the_heavy_interpreter_only_once_freshness_sends_a_source_to_ingest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    gate, fresh, out = _heavy_setup(tmp_path, monkeypatch)
    env = {"PYTHONPATH": str(tmp_path), "TRIBUTARY_LAKE": "/the/lake"}
    launcher = warm.WarmLauncher({"PYTHONPATH": str(tmp_path)})
    try:
        assert launcher.run([PY, "-m", gate], env, None, str(tmp_path / "err.log"), timeout=60) == 0
        _freshness(launcher, fresh, tmp_path, env, worldbank="false", vn_provinces="true")
        assert launcher.run([PY, "-m", gate], env, None, str(tmp_path / "err.log"), timeout=60) == 0
    finally:
        launcher.close()
    # Before the freshness decision the gate forks from the light interpreter (nothing heavy imported); after one
    # that ingests a source, from the heavy interpreter, whose warm-up ran once with the run's settings.
    assert out.read_text().splitlines() == ["None", "['/the/lake']"]
    assert "noise" not in capfd.readouterr().out  # the warm-up's output never reaches the run's terminal


def test_nothing_to_ingest_starts_no_heavy_interpreter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gate, fresh, out = _heavy_setup(tmp_path, monkeypatch)
    env = {"PYTHONPATH": str(tmp_path)}
    launcher = warm.WarmLauncher(env)
    try:
        _freshness(launcher, fresh, tmp_path, env, worldbank="false", vn_provinces="false")
        assert launcher.run([PY, "-m", gate], env, None, str(tmp_path / "err.log"), timeout=60) == 0
        assert set(launcher._zygotes) == {"light"}
    finally:
        launcher.close()
    assert out.read_text() == "None\n"


def test_an_unused_heavy_interpreter_does_not_delay_the_end_of_a_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate, fresh, out = _heavy_setup(tmp_path, monkeypatch, slow=True)
    env = {"PYTHONPATH": str(tmp_path)}
    launcher = warm.WarmLauncher(env)
    started = time.monotonic()
    try:
        assert launcher.run([PY, "-m", gate], env, None, str(tmp_path / "err.log"), timeout=60) == 0
        _freshness(launcher, fresh, tmp_path, env, worldbank="true")  # the heavy one starts its 30 s import
    finally:
        launcher.close()
    assert time.monotonic() - started < 15
    assert out.read_text() == "None\n"


def test_stages_declare_what_the_warm_interpreters_preload() -> None:
    # what the light interpreter preloaded before the stages declared it themselves, and the heavy ones
    light = warm.LIGHT + warm.LATER
    assert set(light) >= {"pyarrow", "pyarrow.parquet", "requests", "orjson", "duckdb", "steps.stage"}
    assert "great_expectations" not in light and "dbt.cli.main" not in light
    assert warm.HEAVY == {
        "validate": (
            ("steps.validate",),
            ("steps.validate.gx_import:import_gx", "steps.validate.docs_views:compile_templates"),
        ),
        "dbt": (("steps.dbt",), ("dbt.cli.main", "dbt.adapters.duckdb", "steps.dbt.warmup:prepare")),
    }
    assert warm.ZYGOTE_ENV["ARROW_DEFAULT_MEMORY_POOL"] == "system"


def test_the_heavy_interpreter_is_forked_from_the_light_one_and_keeps_its_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate, fresh, out = _heavy_setup(tmp_path, monkeypatch)
    imports = tmp_path / "imports.txt"
    # a stand-in for the light interpreter's libraries: each import of it leaves a line
    (tmp_path / "warmtasks/lightlib.py").write_text(f"open({str(imports)!r}, 'a').write('imported\\n')\n")
    monkeypatch.setattr(warm, "LIGHT", (*warm.LIGHT, "warmtasks.lightlib"))
    env = {"PYTHONPATH": str(tmp_path), "TRIBUTARY_LAKE": "/the/lake"}
    launcher = warm.WarmLauncher({"PYTHONPATH": str(tmp_path)})
    try:
        _freshness(launcher, fresh, tmp_path, env, worldbank="true")
        assert launcher.run([PY, "-m", gate], env, None, str(tmp_path / "err.log"), timeout=60) == 0
    finally:
        launcher.close()
    assert out.read_text() == "['/the/lake']\n"  # the heavy interpreter's warm-up ran, with the run's settings
    assert imports.read_text() == "imported\n"  # once, in the light interpreter: the heavy one did not import it again


def test_a_guess_of_work_that_freshness_overrules_leaves_the_gates_on_the_light_interpreter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate, fresh, out = _heavy_setup(tmp_path, monkeypatch, slow=True)
    env = {"PYTHONPATH": str(tmp_path)}
    launcher = warm.WarmLauncher(env)
    started = time.monotonic()
    try:
        launcher.expect_work(env)  # the run guessed that a source would be ingested
        _freshness(launcher, fresh, tmp_path, env, worldbank="false")
        assert launcher.run([PY, "-m", gate], env, None, str(tmp_path / "err.log"), timeout=60) == 0
        assert set(launcher._zygotes) == {"light"}
    finally:
        launcher.close()
    assert time.monotonic() - started < 15  # neither the gate nor the end of the run waited for the slow import
    assert out.read_text() == "None\n"


def test_the_light_interpreter_loads_every_stage_entry_module_s_code_and_no_heavy_library() -> None:
    probe = (
        "import sys\nfrom workflows.local import warm, zygote\n"
        "for entry in warm.LIGHT + warm.LATER:\n"
        "    module, _, function = entry.partition(':')\n"
        "    __import__(module)\n"
        "    if function:\n"
        "        getattr(sys.modules[module], function)()\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    loaded = set(subprocess.run([PY, "-c", probe], capture_output=True, text=True, check=True).stdout.split())
    # what `python -m steps.dbt` imports before it decides there is nothing to build, and the source packages
    assert {"steps.dbt.rebuild", "steps.dbt.freshness", "steps.summary.core", "steps.sources.worldbank"} <= loaded
    assert not loaded & {"pandas", "great_expectations", "dbt", "scipy"}
