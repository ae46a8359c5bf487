"""SIGTERM to a stage process (what the kubelet sends a pod's PID 1 on ``argo stop``, and the runner passes on).

Found in issue 12: a stage died at once on SIGTERM, without recording its outcome or removing its files in
progress. Now it unwinds like Ctrl-C: exit 143, its record written, nothing in progress left, no traceback.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import StageEnv
from workflows.replay.faults import Fault
from workflows.replay.server import ReplayServer


def test_sigterm_mid_ingest_records_143_and_leaves_nothing_in_progress(
    local_stage: StageEnv, replay_server: ReplayServer
) -> None:
    replay_server.add_fault(Fault(path="/worldbank/", delay=1.0))  # a slow API: the ingest is mid-way
    proc = subprocess.Popen(
        [sys.executable, "-m", "steps.ingest", "--source", "worldbank", "--run-id", "stopped"],
        env=local_stage.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        end = time.monotonic() + 60
        while not any("/worldbank/" in r.path for r in replay_server.requests):
            assert proc.poll() is None and time.monotonic() < end, proc.communicate()
            time.sleep(0.1)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 143, err
    assert "Traceback" not in err and "SIGTERM" in err.strip().splitlines()[-1]
    lake = Path(local_stage.lake)
    record = json.loads((lake / "reports" / "stopped" / "stages" / "ingest-worldbank.json").read_text())
    assert record["exit_code"] == 143 and record["status"] == "failed"
    assert not (lake / "state" / "worldbank.json").exists()
    left = [p.name for p in (lake / "bronze").rglob("*") if p.is_file()] if (lake / "bronze").exists() else []
    assert left == [], left  # neither a published file nor one in progress
