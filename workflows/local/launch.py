"""How the local runner starts one attempt of a task: the small interface every launcher implements.

The runner (:mod:`workflows.local.runner`) decides what runs when, retries and deadlines; a launcher only starts the
attempt and reports how it ended, as Argo reads a pod: an exit code (``-1`` when the task never reached an exit of
its own, as for an evicted or deleted pod), a phase (``Failed`` for a non-zero exit, ``Error`` for such a
pod-level failure) and a message (the stage's last stderr line: what failed and the fix). Three launchers exist:

- :class:`ProcessLauncher`: a fresh ``python -m steps.<stage>`` process per attempt (this module);
- :class:`workflows.local.warm.WarmLauncher`: the same process forked from a pre-imported interpreter;
- :class:`workflows.local.container.ContainerLauncher`: the stage's image run by podman or docker, as the pod runs it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO, Protocol

from workflows.local.task import ERROR, EXIT_POD_LEVEL, EXIT_TIMEOUT, Attempt, Task

# What a container runtime gives every process besides the spec's env: the basics a Python process needs.
RUNTIME_ENV = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TMPDIR",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
)


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

    def interrupt(self, signum: int) -> None:
        """Send ``signum`` to every running attempt and start no new one until :meth:`resume`."""
        ...

    def kill(self) -> None:
        """Kill every running attempt (SIGKILL) and start no new one until :meth:`resume`."""
        ...

    def resume(self) -> None:
        """Start attempts again (the exit handler, after an interrupt)."""
        ...


class Stoppable:
    """What every launcher shares for interrupts: the runner's request, read by each running attempt.

    :meth:`interrupt` and :meth:`kill` only record the request; each attempt, waiting for its process in short
    steps, delivers it (:meth:`due`) to its own process. So an attempt starting at the moment of the request
    still gets it, and the signal handler that calls them takes no lock an attempt may hold.
    """

    POLL_S = 0.2

    def __init__(self) -> None:
        """Nothing requested."""
        self.stop_signal: int | None = None
        self.killing = False

    def interrupt(self, signum: int) -> None:
        """Ask every running attempt to end with ``signum``; refuse new ones."""
        self.stop_signal = signum

    def kill(self) -> None:
        """Ask every running attempt to be killed; refuse new ones."""
        self.killing = True

    def resume(self) -> None:
        """Accept new attempts again."""
        self.stop_signal, self.killing = None, False

    @property
    def stopped(self) -> bool:
        """Whether an interrupt or kill is in force (no attempt may start)."""
        return self.stop_signal is not None or self.killing

    def due(self, sent: int | None) -> int | None:
        """The signal an attempt that already sent ``sent`` owes its process now, if any."""
        if self.killing and sent != signal.SIGKILL:
            return signal.SIGKILL
        if self.stop_signal is not None and sent is None:
            return self.stop_signal
        return None


class ProcessLauncher(Stoppable):
    """Each attempt a fresh process running ``task.argv`` with the task's environment."""

    name = "process"

    def launch(self, task: Task, attempt: int, timeout: float | None, log: Path | None) -> Attempt:
        """Run ``task.argv`` as a subprocess in a process group of its own (signals reach it from us only)."""
        if self.stopped:
            return refused(self.stop_signal)
        with open_log(log, attempt) as sink:
            proc = subprocess.Popen(
                list(task.argv),
                env=dict(environment_of(task)),
                stdout=None if task.show_output else sink,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # a terminal's Ctrl-C reaches the runner, which decides
            )
            stderr, code = wait_process(proc, timeout, self)
            sink.write(stderr)
        return timed_out(timeout) if code is None else finished(code, stderr)

    def close(self) -> None:
        """Nothing is left running: every attempt was waited for."""


def wait_process(
    proc: subprocess.Popen[bytes],
    timeout: float | None,
    stop: Stoppable,
    deliver: Callable[[int], None] | None = None,
) -> tuple[bytes, int | None]:
    """Wait for ``proc`` (its stderr piped), delivering ``stop``'s requests; (stderr, exit code or None: timed out).

    ``deliver`` sends a signal to what ``proc`` runs (default: its process group); SIGKILL at the time limit.
    """
    send = deliver or (lambda signum: signal_group(proc.pid, signum))
    deadline = None if timeout is None else time.monotonic() + timeout
    sent: int | None = None
    while True:
        step = Stoppable.POLL_S if deadline is None else max(0.0, min(Stoppable.POLL_S, deadline - time.monotonic()))
        try:
            _, err = proc.communicate(timeout=step)  # a retried communicate() loses no output
            return err or b"", proc.returncode
        except subprocess.TimeoutExpired:
            pass
        if deadline is not None and time.monotonic() >= deadline:
            send(signal.SIGKILL)
            _, err = proc.communicate()
            return err or b"", None
        due = stop.due(sent)
        if due is not None:
            send(due)
            sent = due


def signal_group(pid: int, signum: int) -> None:
    """Send ``signum`` to the process group led by ``pid`` (the task and what it started), else to ``pid``."""
    try:
        os.killpg(pid, signum)
    except OSError:
        try:
            os.kill(pid, signum)
        except OSError:
            pass  # already gone


def refused(signum: int | None) -> Attempt:
    """An attempt not started because the run is being interrupted."""
    name = signal.Signals(signum).name if signum else "SIGKILL"
    return Attempt(128 + (signum or signal.SIGKILL), f"not started: the run was interrupted by {name}", ERROR)


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


def runtime_env() -> dict[str, str]:
    """What every task process gets from this one besides its spec's environment (not a container: its image's)."""
    return {k: os.environ[k] for k in RUNTIME_ENV if k in os.environ}


def environment_of(task: Task) -> Mapping[str, str]:
    """The environment the task's process gets."""
    return {**os.environ, **task.env} if task.inherit_env else dict(task.env)
