"""A stand-in for ``python -m steps.<stage>`` in local-runner tests: records each call, then behaves per a plan.

Called as ``python -m standin_stage <stage> <the stage's own args>``. ``STANDIN_DIR`` is where calls are recorded
(``calls.jsonl``); ``STANDIN_PLAN`` (JSON) says per node key (``verify``, ``ingest-worldbank``, ``dbt-silver`` …):
``exit`` codes per attempt, ``sleep`` seconds, ``fresh`` decisions per source for freshness, and ``outputs`` (name →
value) a node writes to its ``--outputs`` folder (the ``held-back`` task's key is ``held-back``). Each call is also
recorded when it starts (``started.jsonl``: key, time, pid). ``TRIBUTARY_STANDIN_DIR`` and ``TRIBUTARY_STANDIN_PLAN``
are read when the plain names are unset: ``tributary run`` passes ``TRIBUTARY_*`` variables on to every task.
"""

import json
import os
import sys
import time
from pathlib import Path

# steps.names.BACKFILL_RANGE_OUTPUT and REBUILD_OUTPUT: spelled out, as the stand-in runs without the project
BACKFILL_RANGE_OUTPUT, REBUILD_OUTPUT = "backfill-range", "rebuild-layers"


def _arg(args: list[str], flag: str) -> str | None:
    return args[args.index(flag) + 1] if flag in args else None


def main() -> int:
    stage, args = sys.argv[1], sys.argv[2:]
    plan = json.loads(os.environ.get("STANDIN_PLAN") or os.environ.get("TRIBUTARY_STANDIN_PLAN") or "{}")
    record_dir = Path(os.environ.get("STANDIN_DIR") or os.environ["TRIBUTARY_STANDIN_DIR"])
    qualifier = _arg(args, "--source") or _arg(args, "--layer") or _arg(args, "--suite")
    key = f"{stage}-{qualifier}" if qualifier else stage
    if "--held-back" in args:
        key = "held-back"
    if stage == "summary" and "TRIBUTARY_WORKFLOW_STATUS" in os.environ:  # only the exit handler gets it
        key = "on-exit"
    calls = record_dir / "calls.jsonl"
    attempt = (
        sum(1 for line in calls.read_text().splitlines() if json.loads(line)["key"] == key) if calls.exists() else 0
    )
    start = time.time()
    with (record_dir / "started.jsonl").open("a") as sink:
        sink.write(json.dumps({"key": key, "start": start, "pid": os.getpid()}) + "\n")
    time.sleep(plan.get("sleep", {}).get(key, 0))
    if stage == "freshness":
        outputs = Path(_arg(args, "--outputs") or "")
        outputs.mkdir(parents=True, exist_ok=True)
        for source in (_arg(args, "--sources") or "").split(","):
            decision = plan.get("fresh", {}).get(source)
            if decision is not None:  # None: write nothing, so the output's default applies
                (outputs / source).write_text(decision)
        # the run-wide outputs, as the stage writes them: the backfill's range, and whether the layers rebuild
        backfill = _arg(args, "--backfill") or ""
        (outputs / BACKFILL_RANGE_OUTPUT).write_text(backfill.partition(":")[2])
        (outputs / REBUILD_OUTPUT).write_text("true" if _arg(args, "--force") == "true" or backfill else "false")
    for name, value in plan.get("outputs", {}).get(key, {}).items():
        folder = Path(_arg(args, "--outputs") or "")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(value)
    codes = plan.get("exit", {}).get(key, [0])
    code = codes[min(attempt, len(codes) - 1)]
    record = {"key": key, "argv": args, "start": start, "end": time.time(), "exit": code, "env": dict(os.environ)}
    with calls.open("a") as sink:
        sink.write(json.dumps(record) + "\n")
    if code:
        sys.stderr.write(f"{key}: stand-in failure with exit code {code}. Fix: nothing, it is a test\n")
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
