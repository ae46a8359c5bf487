"""How the local runner starts one attempt of a task: the small interface every launcher implements.

The runner (:mod:`workflows.runner`) decides what runs when, retries and deadlines; a launcher only starts the
attempt and reports how it ended, as Argo reads a pod: an exit code (``-1`` when the task never reached an exit of
its own, as for an evicted or deleted pod), a phase (``Failed`` for a non-zero exit, ``Error`` for such a
pod-level failure) and a message (the stage's last stderr line: what failed and the fix). Three launchers exist:

- :class:`ProcessLauncher`: a fresh ``python -m steps.<stage>`` process per attempt (this module);
- :class:`workflows.warm.WarmLauncher`: the same process forked from a pre-imported interpreter;
- :class:`workflows.container.ContainerLauncher`: the stage's image run by podman or docker, as the pod runs it.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

if TYPE_CHECKING:
    from workflows.runner import Task

EXIT_TIMEOUT = 124  # the attempt ran out of time (its deadline or the workflow's); never retried
EXIT_POD_LEVEL = -1  # Argo's lastRetry.exitCode when the container has no exit code of its own
FAILED, ERROR = "Failed", "Error"


@dataclass(frozen=True)
class Attempt:
    """How one attempt ended, in the terms of Argo's ``lastRetry`` variables."""

    exit_code: int
    message: str = ""
    status: str = FAILED  # Failed: the command exited non-zero; Error: a pod-level failure (exit code -1)

    @property
    def succeeded(self) -> bool:
        """Exit code 0."""
        return self.exit_code == 0


class Launcher(Protocol):
    """Starts attempts of tasks; the runner knows nothing else of how a task is started."""

    name: str  # process, warm or container: named in the run's progress and its summary

    def launch(self, task: Task, attempt: int, timeout: float | None, log: Path | None) -> Attempt:
        """Run attempt number ``attempt`` of ``task`` to its end (at most ``timeout`` seconds).

        Its stdout and stderr are appended to ``log`` (stdout goes to the terminal when ``task.show_output``).
        """
        ...

    def close(self) -> None:
        """Stop anything still running and release what the launcher holds (called once, at the end of a run)."""
        ...


class ProcessLauncher:
    """Each attempt a fresh process running ``task.argv`` with the task's environment."""

    name = "process"

    def launch(self, task: Task, attempt: int, timeout: float | None, log: Path | None) -> Attempt:
        """Run ``task.argv`` as a subprocess."""
        with open_log(log, attempt) as sink:
            try:
                proc = subprocess.run(
                    list(task.argv),
                    env=dict(environment_of(task)),
                    stdout=None if task.show_output else sink,
                    stderr=subprocess.PIPE,
                    timeout=timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                return timed_out(timeout)
            sink.write(proc.stderr)
        return finished(proc.returncode, proc.stderr)

    def close(self) -> None:
        """Nothing is left running: every attempt was waited for."""


def open_log(log: Path | None, attempt: int) -> BinaryIO:
    """The task's log file opened for appending, with a separator line before a retry."""
    if log is None:
        return open(os.devnull, "ab")
    log.parent.mkdir(parents=True, exist_ok=True)
    sink = open(log, "ab")  # noqa: SIM115 - returned open: the caller closes it
    if attempt > 1:
        sink.write(f"--- attempt {attempt} ---\n".encode())
        sink.flush()
    return sink


def timed_out(timeout: float | None) -> Attempt:
    """The attempt was stopped at its time limit."""
    return Attempt(EXIT_TIMEOUT, f"timed out after {timeout or 0:.0f}s")


def finished(returncode: int, stderr: bytes) -> Attempt:
    """How a process that exited with ``returncode`` (negative: killed by that signal) ended.

    A process killed by a signal it did not raise itself (the kernel's OOM killer, ``kill -9``) never reached an exit
    of its own: it is a pod-level failure, as Argo reports an evicted or deleted pod (exit code -1, phase Error).
    """
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return Attempt(EXIT_POD_LEVEL, f"killed by {name}", ERROR)
    return Attempt(returncode, last_line(stderr) if returncode != 0 else "")


def last_line(stderr: bytes) -> str:
    """The stage's one-line error is printed last; keep it as the task's message."""
    lines = [ln for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def python_module(argv: Sequence[str]) -> str | None:
    """The module of a ``<python> -m <module> …`` command, else None."""
    return argv[2] if len(argv) >= 3 and argv[1] == "-m" else None


def environment_of(task: Task) -> Mapping[str, str]:
    """The environment the task's process gets."""
    return {**os.environ, **task.env} if task.inherit_env else dict(task.env)
