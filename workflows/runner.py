"""Execute a DAG of command tasks on this machine, the way Argo executes a workflow's DAG.

Semantics follow Argo: a task starts when all its dependencies completed (Succeeded or Skipped); a task whose
``when`` is false is Skipped; a task downstream of a failure is Omitted; a failing task is retried per its retry
policy (only for the exit codes it allows) with exponential backoff; the exit handler always runs last.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

log = logging.getLogger(__name__)

PENDING, RUNNING, SUCCEEDED, FAILED, ERROR, SKIPPED, OMITTED = (
    "Pending",
    "Running",
    "Succeeded",
    "Failed",
    "Error",
    "Skipped",
    "Omitted",
)
COMPLETED_OK = frozenset({SUCCEEDED, SKIPPED})


@dataclass(frozen=True)
class Retry:
    """Retry policy of a task: ``limit`` retries, only for ``exit_codes``, waiting ``duration * factor**n``."""

    limit: int = 0
    exit_codes: frozenset[int] = frozenset()
    duration_s: float = 0.0
    factor: float = 2.0
    max_duration_s: float | None = None

    def delay(self, retry_number: int) -> float:
        """Seconds to wait before retry ``retry_number`` (1-based)."""
        wait = self.duration_s * self.factor ** (retry_number - 1)
        return min(wait, self.max_duration_s) if self.max_duration_s is not None else wait


@dataclass
class Task:
    """One node: a command, what it depends on, when it runs, and the outputs it leaves in files."""

    name: str
    argv: Sequence[str]
    depends: Sequence[str] = ()
    when: Callable[[Mapping[str, Mapping[str, str]]], bool] | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    outputs: Mapping[str, Path] = field(default_factory=dict)  # output parameter -> file the command writes
    retry: Retry = Retry()
    timeout_s: float | None = None
    show_output: bool = False  # pass the command's stdout through (the summary's report)


@dataclass
class TaskRun:
    """The observed state of one task."""

    name: str
    phase: str = PENDING
    started: float | None = None
    finished: float | None = None
    attempts: int = 0
    exit_code: int | None = None
    message: str = ""
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        """Wall time including retries."""
        return 0.0 if self.started is None else (self.finished or time.monotonic()) - self.started


class DagRunner:
    """Runs tasks concurrently (up to ``parallelism``) in dependency order, then the exit handler."""

    def __init__(
        self,
        tasks: Sequence[Task],
        *,
        exit_handler: Task | None = None,
        parallelism: int = 4,
        log_dir: Path | None = None,
        progress: TextIO = sys.stderr,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Prepare a run of ``tasks``; child output goes to ``log_dir/<task>.log`` when given."""
        names = [t.name for t in tasks]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate task names in {names}")
        for t in tasks:
            missing = [d for d in t.depends if d not in names]
            if missing:
                raise ValueError(f"task {t.name} depends on unknown tasks {missing}")
        self.tasks = {t.name: t for t in tasks}
        self.exit_handler = exit_handler
        self.parallelism = max(1, parallelism)
        self.log_dir = log_dir
        self.progress = progress
        self.sleep = sleep
        self.runs = {t.name: TaskRun(t.name) for t in tasks}
        self._lock = threading.Condition()

    # -- public ------------------------------------------------------------------------------------------------

    def run(self) -> bool:
        """Run the DAG and the exit handler; True when every task Succeeded or was Skipped."""
        threads: list[threading.Thread] = []
        running = 0
        while True:
            with self._lock:
                self._omit_blocked()
                ready = [n for n, r in self.runs.items() if r.phase == PENDING and self._deps_done(n)]
                if not ready and running == 0 and not any(r.phase in (PENDING, RUNNING) for r in self.runs.values()):
                    break
                for name in ready:
                    if running >= self.parallelism:
                        break
                    self.runs[name].phase = RUNNING
                    running += 1
                    thread = threading.Thread(target=self._run_task, args=(name,), daemon=True)
                    threads.append(thread)
                    thread.start()
                self._lock.wait(timeout=0.2)
                running = sum(1 for r in self.runs.values() if r.phase == RUNNING)
        for thread in threads:
            thread.join()
        ok = all(r.phase in COMPLETED_OK for r in self.runs.values())
        if self.exit_handler is not None:
            status = "Succeeded" if ok else "Failed"
            handler = self.exit_handler
            env = {**handler.env, "TRIBUTARY_WORKFLOW_STATUS": status}
            if self.log_dir is not None:  # the exit handler reports every node, as Argo's UI shows them
                nodes_file = self.log_dir / "nodes.json"
                nodes_file.write_text(json.dumps(self.nodes()))
                env["TRIBUTARY_WORKFLOW_NODES"] = str(nodes_file)
            self.runs[handler.name] = TaskRun(handler.name, phase=RUNNING)
            self._execute(
                Task(handler.name, handler.argv, env=env, outputs=handler.outputs, retry=handler.retry,
                     show_output=handler.show_output)
            )
        return ok

    def nodes(self) -> list[dict[str, object]]:
        """Every task's phase, duration, attempts and message, as Argo's node status lists them."""
        return [
            {"task": r.name, "phase": r.phase, "duration_s": round(r.duration_s, 3), "attempts": r.attempts,
             "exit_code": r.exit_code, "message": r.message}
            for r in self.runs.values()
        ]

    # -- internals ---------------------------------------------------------------------------------------------

    def _deps_done(self, name: str) -> bool:
        return all(self.runs[d].phase in COMPLETED_OK for d in self.tasks[name].depends)

    def _omit_blocked(self) -> None:
        changed = True
        while changed:
            changed = False
            for name, run in self.runs.items():
                if run.phase == PENDING and any(
                    self.runs[d].phase in (FAILED, ERROR, OMITTED) for d in self.tasks[name].depends
                ):
                    run.phase = OMITTED
                    self._report(run)
                    changed = True

    def _run_task(self, name: str) -> None:
        task = self.tasks[name]
        run = self.runs[name]
        try:
            outputs = {n: r.outputs for n, r in self.runs.items()}
            if task.when is not None and not task.when(outputs):
                run.phase, run.message = SKIPPED, "when condition was false"
                run.started = run.finished = time.monotonic()
                self._report(run)
                return
            self._execute(task)
        except Exception as exc:  # noqa: BLE001 - a runner problem fails the task, never the whole process
            run.phase, run.message = ERROR, f"{type(exc).__name__}: {exc}"
            run.finished = time.monotonic()
            self._report(run)
        finally:
            with self._lock:
                self._lock.notify_all()

    def _execute(self, task: Task) -> None:
        run = self.runs[task.name]
        run.started = time.monotonic()
        self._report(run)
        while True:
            run.attempts += 1
            code, tail = self._spawn(task, run.attempts)
            run.exit_code = code
            if code == 0:
                run.phase = SUCCEEDED
                run.outputs = {k: p.read_text().strip() for k, p in task.outputs.items() if p.exists()}
                break
            retries_done = run.attempts - 1
            if retries_done < task.retry.limit and code in task.retry.exit_codes:
                delay = task.retry.delay(retries_done + 1)
                self._say(f"  ↻ {task.name} exited {code}; retry {retries_done + 1}/{task.retry.limit} in {delay:.1f}s")
                self.sleep(delay)
                continue
            run.phase, run.message = FAILED, tail or f"exit code {code}"
            break
        run.finished = time.monotonic()
        self._report(run)

    def _spawn(self, task: Task, attempt: int) -> tuple[int, str]:
        env = {**os.environ, **task.env}
        log_path = self.log_dir / f"{task.name}.log" if self.log_dir else None
        if log_path is not None:
            log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path or os.devnull, "ab") as sink:
            if attempt > 1:
                sink.write(f"--- attempt {attempt} ---\n".encode())
                sink.flush()
            try:
                proc = subprocess.run(
                    list(task.argv), env=env, stdout=None if task.show_output else sink, stderr=subprocess.PIPE,
                    timeout=task.timeout_s, check=False,
                )
            except subprocess.TimeoutExpired:
                return 124, f"timed out after {task.timeout_s}s"
            sink.write(proc.stderr)
        lines = [ln for ln in proc.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
        # The stage's one-line error is printed last; keep it as the task's message.
        return proc.returncode, lines[-1] if lines and proc.returncode != 0 else ""

    def _report(self, run: TaskRun) -> None:
        marks = {RUNNING: "▶", SUCCEEDED: "✓", FAILED: "✗", ERROR: "✗", SKIPPED: "⤼", OMITTED: "·"}
        text = f"{marks.get(run.phase, ' ')} {run.name:<24} {run.phase:<9}"
        if run.phase != RUNNING:
            text += f" {run.duration_s:6.1f}s"
        if run.message and run.phase != SUCCEEDED:
            text += f"  {run.message}"
        self._say(text)

    def _say(self, text: str) -> None:
        with self._lock:
            self.progress.write(text + "\n")
            self.progress.flush()
