"""The harness every ``python -m steps.<stage>`` entry point runs in.

It configures logging, times the stage, turns a :class:`StepError` into its one-line message and exit code, and
records the outcome under ``reports/<run_id>/stages/`` so the summary can report failures too.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn

from steps.errors import EXIT_OK, StepError
from steps.lake import Lake
from steps.layout import check_run_id
from steps.lineage.datasets import DatasetRef, Lineage, lake_dataset
from steps.lineage.emit import LineageEmitter
from steps.logs import configure_logging
from steps.redact import redact_text
from steps.reports import StageResult, Status, write_result
from steps.settings import StageSettings, load_settings

log = logging.getLogger("steps")


class Terminated(KeyboardInterrupt):
    """SIGTERM (a pod being stopped, ``tributary run`` passing a stop on).

    Raised in the main thread like Ctrl-C's KeyboardInterrupt, so the stage unwinds the same way: writers abort
    their temporary files, nothing is committed, the outcome is recorded. Without a handler a stage would die at
    once, and as PID 1 of a container it would not even die (PID 1 ignores SIGTERM unless it handles it).
    """


def _terminate(_signum: int, _frame: object) -> None:
    raise Terminated


@dataclass
class StageContext:
    """What a stage body gets: settings, the lake, the run id, and a place to put metrics."""

    settings: StageSettings
    lake: Lake
    run_id: str
    metrics: dict[str, Any] = field(default_factory=dict)
    status: Status = "succeeded"
    error: str | None = None  # set by bodies that fail by returning an exit code rather than raising
    lineage: Lineage = field(default_factory=Lineage)  # what the body read and wrote (its OpenLineage datasets)

    def lake_dataset(self, rel: str) -> DatasetRef:
        """The lake path ``rel`` as a lineage dataset (namespace: this lake)."""
        return lake_dataset(self.lake.uri(), rel)


def run_stage(stage: str, task: str, run_id: str, body: Callable[[StageContext], int | None]) -> int:
    """Run ``body`` as stage task ``task`` of run ``run_id``; returns the process exit code."""
    configure_logging()
    started, t0 = datetime.now(UTC), time.monotonic()
    ctx: StageContext | None = None
    emitter: LineageEmitter | None = None
    code, error = EXIT_OK, None
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    try:
        check_run_id(run_id)
        settings = load_settings(StageSettings)
        ctx = StageContext(settings=settings, lake=Lake.from_settings(settings), run_id=run_id)
        emitter = LineageEmitter.from_env(ctx.lake, run_id, task)
        emitter.emit("START", started, Lineage())
        code = body(ctx) or EXIT_OK
    except StepError as exc:
        code, error = exc.exit_code, redact_text(exc.line())
    except Terminated:
        code, error = 143, "terminated (SIGTERM); nothing of this task was committed"
    except KeyboardInterrupt:
        code, error = 130, "interrupted"
    except Exception as exc:  # a bug: keep the traceback, still record the failure
        log.exception("unexpected error (a bug)")
        code, error = 1, redact_text(f"unexpected {type(exc).__name__}: {exc}")
    duration = time.monotonic() - t0
    if ctx is not None:
        status: Status = ctx.status if code == EXIT_OK else "failed"
        error = error or ctx.error
        result = StageResult(
            task=task,
            stage=stage,
            run_id=run_id,
            status=status,
            exit_code=code,
            error=error,
            started_at=started,
            finished_at=datetime.now(UTC),
            duration_s=round(duration, 3),
            metrics=ctx.metrics,
        )
        try:
            write_result(ctx.lake, result)
        except StepError as exc:  # the outcome still reaches the log and the exit code
            log.warning("could not record the stage result", extra={"problem": exc.line()})
            if emitter is not None:
                emitter.to_lake = False  # the lake is failing: the last event goes to OPENLINEAGE_URL only
        if emitter is not None:
            emitter.emit("COMPLETE" if code == EXIT_OK else "FAIL", result.finished_at, ctx.lineage, error)
    log.info("stage finished", extra={"task": task, "exit_code": code, "seconds": round(duration, 3)})
    if error and code != EXIT_OK:
        sys.stderr.write(f"{task}: {error}\n")  # last line of the log: what failed, the bad value, the fix
    return code


def exit_without_teardown(code: int) -> NoReturn:
    """End the process with ``code``, skipping the interpreter's teardown (the stage has recorded its outcome).

    Arrow's native thread pools can abort that teardown (``terminate called without an active exception``, exit
    -6; apache/arrow#34314, #39862), intermittently and under load, turning a finished ingest into a failed task.
    Everything the stage wrote is closed by then; logs and standard streams are flushed here.
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
