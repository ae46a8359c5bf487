"""SIGINT and SIGTERM during ``tributary run``: caught, so that the runner stops the tasks instead of dying.

Without a handler, Ctrl-C raises KeyboardInterrupt wherever the runner happens to be (a traceback, tasks left
without their runner) and SIGTERM ends the runner at once while its tasks keep writing. With one, the signal is
only recorded and handed to the runner (:meth:`workflows.local.runner.DagRunner.interrupt`), which passes it on to every
running task, waits for them, and lets ``tributary run`` end with ``128 + signal`` (130, 143), as a shell reports
a process its signal ended.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

CAUGHT = (signal.SIGINT, signal.SIGTERM)


def exit_code(signum: int) -> int:
    """The exit code of a run ended by ``signum``: 130 for SIGINT, 143 for SIGTERM."""
    return 128 + signum


@contextlib.contextmanager
def caught(on_signal: Callable[[int], None]) -> Iterator[list[int]]:
    """Within the block, SIGINT and SIGTERM call ``on_signal`` and are listed in the yielded list.

    Outside the main thread (where Python cannot install handlers) nothing is caught.
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        on_signal(signum)

    previous = {signum: signal.signal(signum, handler) for signum in CAUGHT}
    try:
        yield received
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
