"""What a task is to the local runner: its command and policies, the pod it runs as, and how an attempt ended.

The runner (:mod:`workflows.local.runner`) schedules these and every launcher (:mod:`workflows.local.launch`)
starts them; both import them from here, so neither imports the other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workflows.local.expressions import RetryCondition

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


class TaskSetupError(Exception):
    """A task cannot be started as specified (unresolvable parameter, missing Secret, …); the task is an Error."""


@dataclass(frozen=True)
class Retry:
    """Retry policy of a task: up to ``limit`` retries while ``condition`` holds, waiting ``duration * factor**n``.

    ``condition`` is the template's compiled ``retryStrategy.expression`` (None: never retry). ``max_duration_s``
    caps one wait (Argo's ``backoff.cap``). ``budget_s`` is Argo's ``backoff.maxDuration``, which does two things:
    no retry starts whose wait would end later than that long after the first attempt started, and every retry's
    deadline is clipped to that moment (the first attempt keeps its own deadline).
    """

    limit: int = 0
    condition: RetryCondition | None = None
    duration_s: float = 0.0
    factor: float = 2.0
    max_duration_s: float | None = None
    budget_s: float | None = None

    def delay(self, retry_number: int) -> float:
        """Seconds to wait before retry ``retry_number`` (1-based)."""
        wait = self.duration_s * self.factor ** (retry_number - 1)
        return min(wait, self.max_duration_s) if self.max_duration_s is not None else wait

    def wanted(self, attempt: Attempt, retries_done: int, duration_s: float) -> bool:
        """Whether the expression asks for a retry after ``attempt`` (Argo's ``lastRetry`` variables)."""
        if self.condition is None:
            return False
        return self.condition(
            {
                "lastRetry.exitCode": str(attempt.exit_code),
                "lastRetry.status": attempt.status,
                "lastRetry.duration": str(int(duration_s)),
                "lastRetry.message": attempt.message,
                "retries": str(retries_done),
            }
        )


@dataclass(frozen=True)
class Scope:
    """What a task can see when it is about to start: upstream outputs and, for the exit handler, the outcome."""

    outputs: Mapping[str, Mapping[str, str]]
    status: str | None = None  # the workflow's status (Succeeded, Failed, Error): exit handler only
    failures: Sequence[Mapping[str, object]] = ()  # failed or errored nodes: exit handler only
    nodes: Sequence[Mapping[str, object]] = ()  # every node's phase and duration: exit handler only


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
    # Values of outputs whose file the command did not write; an output with neither file nor default is an Error.
    output_defaults: Mapping[str, str] | None = None
    # Resolves the command when the task starts (parameters, upstream outputs); returns the task to execute.
    prepare: Callable[[Scope], Task] | None = None
    inherit_env: bool = True  # False: the command gets ``env`` only, as a pod gets only what its spec declares
    scratch: Sequence[Path] = ()  # folders emptied before every attempt (a pod's emptyDir volumes)
    container: ContainerRun | None = None  # the image, mounts and security of the pod (container launcher only)


@dataclass(frozen=True)
class Mount:
    """A host folder (or file) mounted into the container."""

    source: Path
    target: str
    read_only: bool = False
    scratch: bool = False  # a folder the container writes its outputs into (made writable for its user first)


@dataclass(frozen=True)
class ContainerRun:
    """How the pod of one task runs, as far as a container engine can reproduce it."""

    image: str
    command: tuple[str, ...]
    args: tuple[str, ...]
    mounts: tuple[Mount, ...] = ()
    tmpfs: tuple[tuple[str, str | None], ...] = ()  # (path, size limit): the emptyDir volumes
    user: int | None = None
    group: int | None = None
    fs_group: int | None = None
    run_as_non_root: bool = False
    read_only_root: bool = False
    drop_capabilities: tuple[str, ...] = ()
    no_new_privileges: bool = False
    seccomp_unconfined: bool = False
    memory_limit: str | None = None
    cpu_limit: str | None = None
