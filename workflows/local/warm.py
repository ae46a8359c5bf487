"""Start tasks from warm interpreters (see :mod:`workflows.local.zygote`) instead of a fresh ``python`` each time.

What each interpreter preloads is what the stages declare in their package (``steps/<stage>/__init__.py``):
``PRELOAD``, the libraries a stage imports whenever it runs; ``PRELOAD_FOR_WORK``, those it imports only when it
has work; ``PRELOAD_ENV``, the environment those libraries read when they load. A light interpreter preloads every
stage's ``PRELOAD``; each stage with ``PRELOAD_FOR_WORK`` (the gates: Great Expectations; dbt, which also parses the
project as the builds will, see :mod:`steps.dbt.warmup`) gets a heavy one on top. The heavy ones start when the
freshness task's outputs say a source will be ingested — new bronze means the gates and dbt will have work — so
their imports run while the ingests run; on a run with nothing new they never start, and the gates and dbt stages
fork from the light one and skip without importing either library. A heavy interpreter is itself forked from the
light one (it keeps the light one's imports and adds its own), and the light one also imports the ``steps`` modules
each stage's entry module imports, so a task starts with its code loaded. A command that is not
``<this python> -m <module>``, or a zygote that could not start safely, falls back to a plain subprocess
(:class:`workflows.local.launch.ProcessLauncher`).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from steps.names import STAGES
from workflows.local.launch import (
    ProcessLauncher,
    Stoppable,
    environment_of,
    finished,
    open_log,
    python_module,
    refused,
    runtime_env,
    signal_group,
    timed_out,
)
from workflows.local.task import Attempt, Task

log = logging.getLogger(__name__)


def _declared(name: str, default: Any) -> dict[str, Any]:
    """Each stage's declaration ``name`` (a constant of ``steps/<stage>/__init__.py``, which imports no library)."""
    return {stage: getattr(importlib.import_module(f"steps.{stage}"), name, default) for stage in STAGES}


def _entry_imports(stage: str) -> list[str]:
    """The ``steps`` modules ``steps/<stage>/__main__.py`` imports at its top (its own code, no heavy library).

    Not the entry module itself: it runs as ``__main__`` in the task, and may act when imported (the ingest's
    guard against pandas must not reach the heavy interpreters forked from the light one).
    """
    spec = importlib.util.find_spec(f"steps.{stage}.__main__")
    if spec is None or spec.origin is None:
        return []
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    modules = [node.module for node in tree.body if isinstance(node, ast.ImportFrom) and node.level == 0]
    return [m for m in modules if m is not None and m.startswith("steps")]


CORE = ("steps.stage", "steps.config", "steps.lake")  # the runtime every stage runs on (pydantic, yaml, requests)
# Every stage reads the configuration, which imports the source packages (steps.sources.registry.specs) on first use.
SOURCES = "steps.sources.registry:specs"
# The stages every run starts with. The light zygote is ready once it holds what they need; the rest (the other
# stages' code and libraries: pyarrow, duckdb) it imports right after, while they run.
FIRST = ("verify", "freshness")
LIGHT = tuple(dict.fromkeys([*CORE, *(m for stage in FIRST for m in _entry_imports(stage)), SOURCES]))
LATER = tuple(
    m
    for m in dict.fromkeys(
        [
            *(m for mods in _declared("PRELOAD", ()).values() for m in mods),
            *(m for stage in STAGES if stage not in FIRST for m in _entry_imports(stage)),
        ]
    )
    if m not in LIGHT
)
# The heavy interpreters and the task modules they serve; everything else forks from the light one (ingest must
# not see pandas, which Great Expectations imports).
# A ``module:function`` entry is called once its module is imported: steps.dbt.warmup parses the dbt project as the
# builds will (in the environment of the task whose outputs started the heavy interpreters).
HEAVY = {
    stage: ((f"steps.{stage}",), preload) for stage, preload in _declared("PRELOAD_FOR_WORK", ()).items() if preload
}
ZYGOTE_ENV = {k: v for env in _declared("PRELOAD_ENV", {}).values() for k, v in env.items()}
# Its outputs, one ``true``/``false`` file per source, say whether this run ingests anything.
DECIDES_WORK = "steps.freshness"


@dataclass
class _Zygote:
    name: str
    proc: subprocess.Popen[bytes] | None  # None: forked by the light zygote (see _spawn)
    requests: int
    replies: int
    spawn: int = 0  # the light zygote's request id that forked it
    ready: threading.Event = field(default_factory=threading.Event)
    usable: bool = False
    waiting: dict[int, dict[str, Any]] = field(default_factory=dict)
    done: threading.Condition = field(default_factory=threading.Condition)


class WarmLauncher(Stoppable):
    """Runs ``python -m`` commands by forking them from warm zygotes."""

    name = "warm"

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        """Start the light zygote (its imports run in the background); the heavy ones wait for :meth:`expect_work`."""
        super().__init__()
        self._next = 0
        self._fallback = ProcessLauncher()
        self._lock = threading.Lock()
        self._base = {**os.environ, **(env or {}), **ZYGOTE_ENV}
        # The heavy zygotes' pipes, created now: the light zygote that will fork them must inherit them.
        self._spare = {name: (os.pipe(), os.pipe()) for name in HEAVY}
        spare = [fd for (req_r, _), (_, rep_w) in self._spare.values() for fd in (req_r, rep_w)]
        self._zygotes = {"light": self._start("light", LIGHT, self._base, spare, LATER)}
        for (req_r, _), (_, rep_w) in self._spare.values():
            os.close(req_r)
            os.close(rep_w)
        self._closed = False
        self._heavy_wanted = False  # work is expected: the run's guess, or the freshness task's outputs

    def expect_work(self, task_env: Mapping[str, str]) -> None:
        """New bronze is coming: start the heavy interpreters, and fork their stages from them from now on.

        They take seconds to import (Great Expectations ~3-5 s, dbt ~2 s plus its parse) and are needed right after
        the ingests, so they import while verify, freshness and the ingests run (called before the run when the
        lake's states say a source is due, else when the freshness task's outputs say so). ``task_env`` (the
        ConfigMap settings: lake, target, dbt project) is what the dbt warm-up parses for. One still importing when
        the run ends is discarded unused.
        """
        env = {**self._base, **task_env, **ZYGOTE_ENV}
        with self._lock:
            self._heavy_wanted = True
            for name, (_, preload) in HEAVY.items():
                if name not in self._zygotes and not self._closed:
                    self._zygotes[name] = self._spawn(name, preload, env)

    def _start(
        self,
        name: str,
        preload: Sequence[str],
        env: Mapping[str, str],
        spare: Sequence[int] = (),
        later: Sequence[str] = (),
    ) -> _Zygote:
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        extra = ["--spare", ",".join(map(str, spare))] if spare else []
        extra += ["--later", ",".join(later)] if later else []
        proc = subprocess.Popen(
            [sys.executable, "-m", "workflows.local.zygote", str(req_r), str(rep_w), *extra, *preload],
            pass_fds=(req_r, rep_w, *spare),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a terminal's Ctrl-C reaches the runner only: it decides what the tasks get
        )
        os.close(req_r)
        os.close(rep_w)
        return self._watch(_Zygote(name, proc, req_w, rep_r))

    def _spawn(self, name: str, preload: Sequence[str], env: Mapping[str, str]) -> _Zygote:
        """Ask the light zygote to fork zygote ``name``, which imports ``preload`` on top of the light one's imports.

        The request waits in the pipe while the light zygote is still importing. Called holding ``self._lock``.
        """
        if name not in self._spare:  # its pipes were used by one stopped since: a new interpreter then
            return self._start(name, LIGHT + LATER + tuple(preload), env)
        (req_r, req_w), (rep_r, rep_w) = self._spare.pop(name)
        self._next += 1
        request = {"id": self._next, "zygote": name, "requests": req_r, "replies": rep_w, "preload": list(preload)}
        try:
            os.write(self._zygotes["light"].requests, (json.dumps({**request, "env": dict(env)}) + "\n").encode())
        except OSError:  # the light zygote is gone: its stages run as plain processes, and so will these
            pass
        return self._watch(_Zygote(name, None, req_w, rep_r, spawn=self._next))

    def _watch(self, zygote: _Zygote) -> _Zygote:
        threading.Thread(target=self._read, args=(zygote,), daemon=True, name=f"zygote-{zygote.name}").start()
        return zygote

    def _read(self, z: _Zygote) -> None:
        with os.fdopen(z.replies, "r") as replies:
            for line in replies:
                msg = json.loads(line)
                if "ready" in msg:
                    z.usable = bool(msg["ready"])
                    if not z.usable:
                        log.warning("warm interpreter unusable", extra={"zygote": z.name, "why": msg.get("why")})
                    z.ready.set()
                    continue
                with z.done:
                    z.waiting.setdefault(msg["id"], {}).update({k: v for k, v in msg.items() if k != "id"})
                    z.done.notify_all()
        z.ready.set()  # the zygote died: callers fall back to subprocesses
        with z.done:
            z.usable = False
            z.done.notify_all()

    def launch(self, task: Task, attempt: int, timeout: float | None, log: Path | None) -> Attempt:
        """Fork the attempt from a zygote (a plain subprocess when none could start it); read the freshness outputs."""
        outcome = self._launch(task, attempt, timeout, log)
        if not (outcome.succeeded and python_module(task.argv) == DECIDES_WORK):
            return outcome
        if any(_says_true(path) for path in task.outputs.values()):
            self.expect_work(environment_of(task))
        elif self._heavy_wanted:  # started on a guess (expect_work before the run) that freshness overruled
            self._not_wanted()
        return outcome

    def _not_wanted(self) -> None:
        """Nothing is ingested after all: the gates and dbt fork from the light zygote and skip; stop the heavy ones."""
        with self._lock:
            self._heavy_wanted = False
            heavy = [self._zygotes.pop(name) for name in list(self._zygotes) if name != "light"]
        for z in heavy:
            os.close(z.requests)  # a ready one ends by itself
            if not z.ready.is_set():
                self._kill(z)

    def _launch(self, task: Task, attempt: int, timeout: float | None, log: Path | None) -> Attempt:
        if self.stopped:
            return refused(self.stop_signal)
        if log is None or not self.handles(task.argv):
            return self._fallback.launch(task, attempt, timeout, log)
        err_path = log.with_suffix(f".stderr.{attempt}")
        open_log(log, attempt).close()  # the separator line of a retry
        try:
            code = self.run(
                task.argv, environment_of(task), None if task.show_output else str(log), str(err_path), timeout
            )
        except subprocess.TimeoutExpired:
            return timed_out(timeout)
        if code is None:  # never started: a plain subprocess runs it, unless the run is being interrupted
            return refused(self.stop_signal) if self.stopped else self._fallback.launch(task, attempt, timeout, log)
        stderr = err_path.read_bytes() if err_path.exists() else b""
        err_path.unlink(missing_ok=True)
        with open(log, "ab") as sink:
            sink.write(stderr)
        return finished(code, stderr)

    def handles(self, argv: Sequence[str]) -> bool:
        """Whether ``argv`` is ``<this python> -m <module> …``."""
        return len(argv) >= 3 and argv[0] == sys.executable and argv[1] == "-m"

    def run(
        self, argv: Sequence[str], env: Mapping[str, str], stdout: str | None, stderr: str, timeout: float | None
    ) -> int | None:
        """Run ``argv`` forked from a zygote; None when no zygote started it (run it as a subprocess then).

        A task the zygote started is never run again here: if the zygote dies under it, the task is killed and
        reported killed, as a pod whose node died.
        """
        module = argv[2]
        with self._lock:
            name = next(
                (n for n, (mods, _) in HEAVY.items() if self._heavy_wanted and module.startswith(mods)), "light"
            )
            z = self._zygotes[name]
        z.ready.wait()
        if not z.usable:
            return None
        with self._lock:
            self._next += 1
            rid = self._next
        request = {
            "id": rid,
            "module": module,
            "args": list(argv[3:]),
            "env": dict(env),
            "stdout": stdout,
            "stderr": stderr,
        }
        try:
            with self._lock:
                os.write(z.requests, (json.dumps(request) + "\n").encode())
        except OSError:
            return None
        deadline = None if timeout is None else time.monotonic() + timeout
        sent: int | None = None
        with z.done:
            while not {"exit", "refused"} & z.waiting.get(rid, {}).keys() and z.usable:
                pid = z.waiting.get(rid, {}).get("pid")
                due = self.due(sent)
                if pid and due is not None:
                    signal_group(pid, due)
                    sent = due
                if deadline is not None and time.monotonic() >= deadline:
                    if pid:
                        signal_group(pid, signal.SIGKILL)
                    z.done.wait_for(lambda: "exit" in z.waiting.get(rid, {}) or not z.usable, timeout=10)
                    z.waiting.pop(rid, None)
                    raise subprocess.TimeoutExpired(list(argv), timeout or 0)
                step = self.POLL_S if deadline is None else max(0.0, min(self.POLL_S, deadline - time.monotonic()))
                z.done.wait(step)
            result = z.waiting.pop(rid, {})
        if "refused" in result:  # the zygote cannot fork safely any more
            log.warning("warm interpreter unusable", extra={"zygote": z.name, "why": result["refused"]})
            return None
        if "exit" in result:
            return int(result["exit"])
        if "pid" in result:  # the zygote died with our task running: the task must not outlive it unwatched
            signal_group(int(result["pid"]), signal.SIGKILL)
            return -int(signal.SIGKILL)
        return None

    def close(self) -> None:
        """Let the zygotes finish (closing their request pipes ends them once their children exited); once."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for fds in self._spare.values():  # zygotes never asked for
            for fd in (fds[0][1], fds[1][0]):
                os.close(fd)
        self._spare.clear()
        for z in self._zygotes.values():
            try:
                os.close(z.requests)
            except OSError:
                pass
        for z in self._zygotes.values():
            if not z.ready.is_set():  # still importing and never used: no need to wait for it
                self._kill(z)
        for z in self._zygotes.values():  # the light zygote waits for those it forked
            if z.proc is None:
                continue
            try:
                z.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                z.proc.kill()

    def _kill(self, z: _Zygote) -> None:
        if z.proc is not None:
            z.proc.kill()
            return
        # Forked by the light zygote, whose reply names its pid; not forked yet, it sees its requests closed.
        light = self._zygotes["light"]
        with light.done:
            light.done.wait_for(lambda: "pid" in light.waiting.get(z.spawn, {}) or not light.usable, timeout=5)
            pid = light.waiting.get(z.spawn, {}).get("pid")
        if pid:
            signal_group(int(pid), signal.SIGKILL)


def start_warm(launcher: str) -> WarmLauncher | None:
    """The warm launcher, started now when ``launcher`` is ``warm`` (else None).

    ``tributary run`` calls this before anything else (this module imports little), so the light interpreter's
    imports overlap the run's own imports and checks instead of following them.
    """
    return WarmLauncher(runtime_env()) if launcher == "warm" else None


def _says_true(path: Path) -> bool:
    """Whether an output file holds ``true`` (a missing one does not)."""
    try:
        return path.read_text().strip() == "true"
    except OSError:
        return False
