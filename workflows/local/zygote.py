"""A warm interpreter for local runs: imports the stages' libraries once, then forks one process per task.

``tributary run`` still runs every task as its own process with its own environment, argv and exit code, exactly
``python -m steps.<stage> args`` as the rendered spec says; only the interpreter start-up (1–10 s of imports for
pyarrow, dbt, Great Expectations) is paid once per run instead of once per task. The protocol is JSON lines on
two pipes (requests in, ``{"id", "pid"}`` then ``{"id", "exit"}`` out); the zygote stays single-threaded so that
forking is safe, and reaps its children itself.

A request with ``zygote`` forks another zygote instead of a task: it keeps what this one imported, imports its own
``preload`` on top (Great Expectations, dbt) and serves on pipes of its own, which the runner created and passed
to this zygote when it started (``--spare``), since a pipe cannot be handed over later. So the heavy interpreters
skip re-importing the light one's libraries (a second or more each, on the run's critical path).

Run as ``python -m workflows.local.zygote REQUEST_FD REPLY_FD [--spare FD,FD,…] [--later MODULE,…] MODULE [MODULE …]``:
the modules to preload before it is ready, and those to import once it is (see :func:`serve`); an entry
``module:function`` also calls that function (a warm-up) once the module is imported.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import runpy
import select
import signal
import sys
import threading
import traceback
from typing import Any


def _child(request: dict[str, Any], fds: tuple[int, ...]) -> None:
    """In the forked child: become the task's process and run its module as ``__main__``; never returns.

    ``fds`` are the zygote's own descriptors (pipes, spare pipes, the wake-up pipe), which the task must not hold.
    """
    code = 1
    try:
        for fd in fds:
            os.close(fd)
        os.setpgid(0, 0)  # a group of its own: the runner's signals reach the task and whatever it starts
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)
        err = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(err, 2)
        os.close(err)
        if request.get("stdout"):
            out = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.dup2(out, 1)
            os.close(out)
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = [request["module"], *request["args"]]
        runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:
            sys.stderr.write(f"{exc.code}\n")
            code = 1
    except BaseException:  # noqa: BLE001 - a crash of the task is its exit code 1 with the traceback, as in python -m
        traceback.print_exc()
    finally:
        try:
            # What a process's exit runs before its teardown: dbt-duckdb closes the warehouse there, which
            # checkpoints it, so the next task that opens it need not replay the write-ahead log.
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _quietly(function: Any) -> None:
    """Call a warm-up function with stdout/stderr sent to /dev/null: the run's terminal is not its to write on."""
    saved = os.dup(1), os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        function()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


def _sub_zygote(request: dict[str, Any], fds: tuple[int, ...]) -> None:
    """In the forked child: become the zygote ``request`` asks for, on its own pipes; never returns."""
    code = 1
    try:
        for fd in fds:
            if fd not in (request["requests"], request["replies"]):
                os.close(fd)
        # A session of its own, as the runner starts every zygote: Linux shares CPU fairly between sessions
        # (autogroups), so on a busy machine the heavy ones do not split the light one's share.
        os.setsid()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.environ.clear()
        os.environ.update(request["env"])
        # Nothing is written to a zygote's requests before it said it is ready: readable now means the runner
        # closed them (the run ended while this one waited for its turn), so skip the seconds of imports.
        if not select.select([request["requests"]], [], [], 0)[0]:
            code = serve(request["requests"], request["replies"], request["preload"])
    except BaseException:  # noqa: BLE001 - the runner sees the pipe close and falls back to plain processes
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _load(entry: str) -> None:
    """Import ``module`` of a ``module[:function]`` entry, and call the function (a warm-up) if one is named."""
    module, _, function = entry.partition(":")
    imported = importlib.import_module(module)
    if function:
        _quietly(getattr(imported, function))


def _unsafe() -> str | None:
    """Why forking is unsafe now, if it is: a thread at fork time could hold a lock forever in the child."""
    return f"{threading.active_count()} threads after preload" if threading.active_count() != 1 else None


def serve(
    request_fd: int, reply_fd: int, preload: list[str], spare: tuple[int, ...] = (), later: tuple[str, ...] = ()
) -> int:
    """Preload ``preload``, then answer fork requests until the request pipe closes.

    ``spare`` are the pipe ends of the zygotes this one may be asked to fork (see the module's docstring).
    ``later`` are imported after the zygote said it is ready, one at a time whenever no request is waiting: what
    the first tasks do not need (the ingest's pyarrow, the other stages' code) does not delay them; a task forked
    before one of them is loaded imports it itself, as a fresh process would.
    """
    for entry in preload:
        _load(entry)
    replies = os.fdopen(reply_fd, "w", buffering=1)
    if _unsafe():
        replies.write(json.dumps({"ready": False, "why": _unsafe()}) + "\n")
        return 1
    replies.write(json.dumps({"ready": True}) + "\n")
    remaining = list(later)
    refuse: str | None = None  # set when a later import left a thread: each request is answered "refused"
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    spares = set(spare)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    children: dict[int, int] = {}
    pending = b""  # our own buffer: a buffered reader could hold a whole request that select() no longer sees
    open_ = True
    while open_ or children:
        idle = 0.0 if remaining and open_ else 1.0
        readable, _, _ = select.select([request_fd, wake_r] if open_ else [wake_r], [], [], idle)
        if wake_r in readable:
            os.read(wake_r, 512)
        while children:  # reap every finished child
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            if pid in children:
                replies.write(json.dumps({"id": children.pop(pid), "exit": os.waitstatus_to_exitcode(status)}) + "\n")
        if open_ and request_fd in readable:
            chunk = os.read(request_fd, 1 << 16)
            if not chunk:
                open_ = False
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                request = json.loads(line)
                if refuse:  # the runner starts it as a plain process
                    replies.write(json.dumps({"id": request["id"], "refused": refuse}) + "\n")
                    continue
                own = (request_fd, reply_fd, wake_r, wake_w, *sorted(spares))
                pid = os.fork()
                if pid == 0:
                    (_sub_zygote if "zygote" in request else _child)(request, own)
                if "zygote" in request:  # its pipes are the new zygote's alone now
                    for fd in (request["requests"], request["replies"]):
                        spares.discard(fd)
                        os.close(fd)
                children[pid] = request["id"]
                replies.write(json.dumps({"id": request["id"], "pid": pid}) + "\n")
        if remaining and open_ and not readable:  # nothing to do: load the next of ``later``
            _load(remaining.pop(0))
            refuse = refuse or _unsafe()
    return 0


def _arguments(argv: list[str]) -> tuple[int, int, list[str], tuple[int, ...], tuple[str, ...]]:
    """``REQUEST_FD REPLY_FD [--spare FD,FD,…] [--later MODULE,…] MODULE …`` parsed."""
    options: dict[str, list[str]] = {"--spare": [], "--later": []}
    rest = argv[2:]
    while rest[:1] and rest[0] in options:
        options[rest[0]] = [item for item in rest[1].split(",") if item]
        rest = rest[2:]
    spare = tuple(int(fd) for fd in options["--spare"])
    return int(argv[0]), int(argv[1]), rest, spare, tuple(options["--later"])


if __name__ == "__main__":
    request_fd, reply_fd, modules, spare_fds, later_modules = _arguments(sys.argv[1:])
    code = serve(request_fd, reply_fd, modules, spare_fds, later_modules)
    sys.stdout.flush()
    sys.stderr.flush()
    # Every child has been reaped and nothing here holds data: skip the interpreter's teardown of hundreds of MB of
    # modules (over a second for dbt or Great Expectations), which the run would otherwise wait for.
    os._exit(code)
