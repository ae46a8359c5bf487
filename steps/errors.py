"""Errors every stage raises, and the exit codes they map to (the contract Argo's retryStrategy relies on)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_TRANSIENT = 75


class StepError(Exception):
    """Base error of every stage: one line naming what failed, the bad value and the fix."""

    exit_code = 1

    def __init__(self, what: str, fix: str | None = None) -> None:
        """Build the error from what went wrong and, when known, how to fix it."""
        self.what = what
        self.fix = fix
        super().__init__(self.line())

    def line(self) -> str:
        """The single line printed for this failure."""
        return f"{self.what}. Fix: {self.fix}" if self.fix else self.what


class ConfigError(StepError):
    """Bad configuration or arguments; retrying cannot help."""

    exit_code = EXIT_BAD_INPUT


class InputError(StepError):
    """A source or upstream layer delivered data we refuse to load; retrying cannot help."""

    exit_code = EXIT_BAD_INPUT


class TransientError(StepError):
    """A dependency is unavailable right now; Argo retries exit code 75."""

    exit_code = EXIT_TRANSIENT
