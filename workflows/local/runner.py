"""Execute a DAG of command tasks on this machine, the way Argo executes a workflow's DAG.

Semantics follow Argo: a task starts when all its dependencies completed (Succeeded or Skipped); a task whose
``when`` is false is Skipped; a task downstream of a failure is Omitted; a failing task is retried per its retry
policy (only for the exit codes it allows) with exponential backoff, capped per wait and bounded in total; the
workflow deadline stops what is still running or waiting; the exit handler always runs last.

An interrupt (:meth:`DagRunner.interrupt`, called from ``tributary run``'s SIGINT/SIGTERM handler) is Argo's
``stop``: the signal is passed to every running task, nothing new starts and nothing is retried, the tasks get
``grace_s`` to end before they are killed, then the exit handler runs with the workflow Failed and the signal named.
A second signal is Argo's ``terminate``: whatever still runs is killed at once and the exit handler is skipped.
"""

from __future__ import annotations

import json
import logging
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from workflows.local.launch import Launcher, ProcessLauncher
from workflows.local.task import EXIT_TIMEOUT, Scope, Task, TaskSetupError

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
    finished_at: datetime | None = None

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
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        deadline_s: float | None = None,
        launcher: Launcher | None = None,
        grace_s: float = 10.0,
    ) -> None:
        """Prepare a run of ``tasks``; child output goes to ``log_dir/<task>.log`` when given.

        ``deadline_s`` is the workflow's ``activeDeadlineSeconds``: after it, running commands are stopped and
        nothing new starts (the exit handler still runs). ``launcher`` starts each attempt (default: a fresh
        process). ``grace_s`` is how long interrupted tasks get to end before they are killed. ``sleep`` and
        ``clock`` are replaceable for tests.
        """
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
        self._wake = threading.Event()  # set on an interrupt: ends the backoff waits of retries
        self.sleep = sleep or self._backoff
        self.clock = clock
        self.deadline_s = deadline_s
        self.launcher: Launcher = launcher or ProcessLauncher()
        self.runs = {t.name: TaskRun(t.name) for t in tasks}
        self.status: str | None = None
        self.grace_s = grace_s
        self.interrupted: int | None = None  # the first signal received, once handled
        self.terminated = False  # a second signal: everything killed, no exit handler
        self._signals: list[int] = []  # appended by the signal handler, handled by the main loop
        self._kill_at: float | None = None
        self._deadline: float | None = None
        self._lock = threading.Condition()

    # -- public ------------------------------------------------------------------------------------------------

    def run(self) -> bool:
        """Run the DAG and the exit handler; True when every task Succeeded or was Skipped and the handler too."""
        self._deadline = None if self.deadline_s is None else self.clock() + self.deadline_s
        threads: list[threading.Thread] = []
        running = 0
        while True:
            self._handle_signals()
            with self._lock:
                self._omit_blocked()
                if self._past_deadline():
                    self._omit_pending("workflow deadline exceeded")
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
        self._wait_for(threads)
        ok = all(r.phase in COMPLETED_OK for r in self.runs.values())
        self.status = self._workflow_status()
        if self.exit_handler is not None and not self.terminated:
            if self.interrupted is not None:
                self.launcher.resume()  # the report of the run, as Argo's stop still runs onExit
                self._kill_at = None
            handler = self.exit_handler
            result: list[bool] = []
            thread = threading.Thread(target=lambda: result.append(self._run_exit_handler(handler)), daemon=True)
            thread.start()
            self._wait_for([thread])
            ok = bool(result and result[0]) and ok
        return ok and self.interrupted is None

    def interrupt(self, signum: int) -> None:
        """Stop the run on ``signum`` (SIGINT, SIGTERM); a second call kills what still runs.

        Safe in a signal handler: it only records the signal; the main loop acts on it within 0.2 s.
        """
        self._signals.append(signum)

    def _backoff(self, seconds: float) -> None:
        """Wait before a retry; an interrupt ends the wait."""
        self._wake.wait(seconds)

    def _wait_for(self, threads: Sequence[threading.Thread]) -> None:
        """Join ``threads`` while acting on signals (the main thread must not block in a join)."""
        for thread in threads:
            while thread.is_alive():
                self._handle_signals()
                thread.join(timeout=0.2)

    def _handle_signals(self) -> None:
        """Pass new signals on to the running tasks; kill them at the end of the grace period or on a second one."""
        while self._signals:
            signum = self._signals.pop(0)
            name = signal.Signals(signum).name
            if self.interrupted is None:
                self._say(f"■ {name}: stopping the running tasks (up to {self.grace_s:.0f}s); again to kill them now")
                self.interrupted = signum
                self._wake.set()
                with self._lock:
                    self._omit_pending(f"interrupted by {name}")
                self.launcher.interrupt(signum)
                self._kill_at = self.clock() + self.grace_s
            else:
                self._say(f"■ {name} again: killing what still runs; the exit handler is skipped")
                self.terminated = True
                self._kill_at = None
                self.launcher.kill()
        if self._kill_at is not None and self.clock() >= self._kill_at:
            self._say(f"■ still running {self.grace_s:.0f}s after the interrupt: killed")
            self._kill_at = None
            self.launcher.kill()

    def nodes(self) -> list[dict[str, object]]:
        """Every task's phase, duration, attempts and message, as Argo's node status lists them."""
        return [
            {
                "task": r.name,
                "phase": r.phase,
                "duration_s": round(r.duration_s, 3),
                "attempts": r.attempts,
                "exit_code": r.exit_code,
                "message": r.message,
            }
            for r in self.runs.values()
        ]

    def failures(self) -> list[dict[str, object]]:
        """Failed and errored nodes, shaped like Argo's ``{{workflow.failures}}``."""
        return [
            {
                "displayName": r.name,
                "message": r.message,
                "phase": r.phase,
                "finishedAt": r.finished_at.strftime("%Y-%m-%dT%H:%M:%SZ") if r.finished_at else None,
            }
            for r in self.runs.values()
            if r.phase in (FAILED, ERROR)
        ]

    # -- internals ---------------------------------------------------------------------------------------------

    def _workflow_status(self) -> str:
        phases = {r.phase for r in self.runs.values()}
        if phases <= COMPLETED_OK:
            return SUCCEEDED
        return ERROR if ERROR in phases and FAILED not in phases else FAILED

    def _run_exit_handler(self, handler: Task) -> bool:
        status = self.status or FAILED
        run = self.runs[handler.name] = TaskRun(handler.name, phase=RUNNING)
        try:
            nodes = [n for n in self.nodes() if n["task"] != handler.name]
            if self.log_dir is not None:  # kept beside the logs: what the run's report was made from
                self.log_dir.mkdir(parents=True, exist_ok=True)
                (self.log_dir / "nodes.json").write_text(json.dumps(nodes))
            if handler.prepare is not None:
                scope = Scope(
                    outputs={n: r.outputs for n, r in self.runs.items()},
                    status=status,
                    failures=self.failures(),
                    nodes=nodes,
                )
                handler = handler.prepare(scope)
            env = {**handler.env, "TRIBUTARY_WORKFLOW_STATUS": status}
            if self.interrupted is not None:  # a local extra: Argo's status of a stopped workflow is just Failed
                env["TRIBUTARY_WORKFLOW_INTERRUPTED"] = signal.Signals(self.interrupted).name
            self._deadline = None  # the exit handler runs even after the workflow deadline
            self._execute(replace(handler, env=env, prepare=None))
        except Exception as exc:  # noqa: BLE001 - a runner problem fails the handler, never the whole process
            self._fail(run, ERROR, _describe(exc))
        return run.phase == SUCCEEDED

    def _handler_name(self) -> str | None:
        return self.exit_handler.name if self.exit_handler is not None else None

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

    def _omit_pending(self, why: str) -> None:
        for run in self.runs.values():
            if run.phase == PENDING:
                run.phase, run.message = OMITTED, why
                self._report(run)

    def _past_deadline(self) -> bool:
        return self._deadline is not None and self.clock() >= self._deadline

    def _run_task(self, name: str) -> None:
        task = self.tasks[name]
        run = self.runs[name]
        try:
            if self._signals or self.interrupted is not None:
                self._fail(run, OMITTED, "interrupted before it started")
                return
            outputs = {n: r.outputs for n, r in self.runs.items()}
            if task.when is not None and not task.when(outputs):
                run.phase, run.message = SKIPPED, "when condition was false"
                run.started = run.finished = time.monotonic()
                self._report(run)
                return
            if task.prepare is not None:
                task = task.prepare(Scope(outputs=outputs))
            self._execute(task)
        except Exception as exc:  # noqa: BLE001 - a runner problem fails the task, never the whole process
            self._fail(run, ERROR, _describe(exc))
        finally:
            with self._lock:
                self._lock.notify_all()

    def _execute(self, task: Task) -> None:
        run = self.runs[task.name]
        run.started = time.monotonic()
        first_start = self.clock()
        self._report(run)
        while True:
            run.attempts += 1
            for folder in task.scratch:  # every attempt is a new pod with fresh emptyDir volumes
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir(parents=True, exist_ok=True)
            timeout, by_deadline = self._attempt_timeout(task, first_start, run.attempts)
            attempt_start = self.clock()
            log = self.log_dir / f"{task.name}.log" if self.log_dir else None
            outcome = self.launcher.launch(task, run.attempts, timeout, log)
            run.exit_code = outcome.exit_code
            if self.interrupted is not None and not outcome.succeeded and task.name != self._handler_name():
                self._fail(run, FAILED, f"interrupted by {signal.Signals(self.interrupted).name}")
                return
            if outcome.succeeded:
                missing = self._read_outputs(task, run)
                if missing:
                    self._fail(run, ERROR, f"output parameter {missing} was not written: {task.outputs[missing]}")
                    return
                run.phase = SUCCEEDED
                break
            if outcome.exit_code == EXIT_TIMEOUT and by_deadline:
                self._fail(run, FAILED, "workflow deadline exceeded")
                return
            phase = ERROR if outcome.status == ERROR else FAILED
            message = outcome.message or f"exit code {outcome.exit_code}"
            retries_done = run.attempts - 1
            if retries_done < task.retry.limit and task.retry.wanted(
                outcome, retries_done, self.clock() - attempt_start
            ):
                delay = task.retry.delay(retries_done + 1)
                budget = task.retry.budget_s
                if budget is not None and self.clock() + delay > first_start + budget:
                    self._fail(run, phase, f"{message} (backoff would exceed max duration limit)")
                    return
                if self._deadline is not None and self.clock() + delay >= self._deadline:
                    self._fail(run, phase, f"{message} (no retry: workflow deadline)")
                    return
                self._say(
                    f"  ↻ {task.name} exited {outcome.exit_code}; retry {retries_done + 1}/{task.retry.limit} "
                    f"in {delay:.1f}s"
                )
                self.sleep(delay)
                if self.interrupted is not None or self._signals:
                    self._fail(run, phase, f"{message} (no retry: the run was interrupted)")
                    return
                continue
            run.phase, run.message = phase, message
            break
        run.finished = time.monotonic()
        run.finished_at = datetime.now(UTC)
        self._report(run)

    def _attempt_timeout(self, task: Task, first_start: float, attempt: int) -> tuple[float | None, bool]:
        """The attempt's time limit and whether the workflow deadline (not the task's own) sets it.

        A retry's limit is also clipped to the retry budget (Argo sets a retried pod's deadline to the first
        attempt's start plus ``backoff.maxDuration``).
        """
        limit = task.timeout_s
        if attempt > 1 and task.retry.budget_s is not None:
            left = max(0.0, first_start + task.retry.budget_s - self.clock())
            limit = left if limit is None else min(limit, left)
        if self._deadline is None:
            return limit, False
        remaining = max(0.0, self._deadline - self.clock())
        if limit is None or remaining < limit:
            return remaining, True
        return limit, False

    def _read_outputs(self, task: Task, run: TaskRun) -> str | None:
        """Fill ``run.outputs``; returns the name of an output with neither a file nor a default."""
        defaults = task.output_defaults or {}
        for name, path in task.outputs.items():
            if path.exists():
                run.outputs[name] = path.read_text().strip()
            elif task.output_defaults is None:
                continue  # plain tasks: outputs are optional
            elif name in defaults:
                run.outputs[name] = defaults[name]
            else:
                return name
        return None

    def _fail(self, run: TaskRun, phase: str, message: str) -> None:
        run.phase, run.message = phase, message
        run.finished = time.monotonic()
        run.finished_at = datetime.now(UTC)
        self._report(run)

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


def _describe(exc: Exception) -> str:
    return str(exc) if isinstance(exc, TaskSetupError) else f"{type(exc).__name__}: {exc}"
