"""The lineage transport: every event in the lake, and POSTed to OPENLINEAGE_URL when set, never failing a task."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from steps.lake import Lake
from steps.lineage.datasets import Lineage, endpoint
from steps.lineage.emit import LineageEmitter
from tests.steps.lineage.receiver import receiver

WHEN = datetime(2026, 12, 5, 7, 0, tzinfo=UTC)
KEY = "lineage-key-0123456789"


def _lineage() -> Lineage:
    lineage = Lineage()
    lineage.read(endpoint("https://api.worldbank.org/v2"))
    return lineage


def _events(lake: Path) -> list[str]:
    return sorted(p.name for p in (lake / "reports/r1/lineage").iterdir())


def test_events_are_written_to_the_lake_one_file_each(tmp_path: Path) -> None:
    emitter = LineageEmitter(Lake(str(tmp_path)), "r1", "ingest-worldbank")
    emitter.emit("START", WHEN, Lineage())
    emitter.emit("COMPLETE", WHEN + timedelta(seconds=2), _lineage())
    assert _events(tmp_path) == [
        "20261205T070000000000Z-ingest-worldbank-START.json",
        "20261205T070002000000Z-ingest-worldbank-COMPLETE.json",
    ]
    done = json.loads((tmp_path / "reports/r1/lineage" / _events(tmp_path)[1]).read_text())
    assert done["inputs"][0]["namespace"] == "https://api.worldbank.org"


def test_events_are_posted_to_the_receiver_with_the_key(tmp_path: Path) -> None:
    with receiver() as server:
        emitter = LineageEmitter(Lake(str(tmp_path)), "r1", "verify", url=server.url, api_key=KEY)
        emitter.emit("START", WHEN, Lineage())
        emitter.emit("FAIL", WHEN + timedelta(seconds=1), _lineage(), error="2 of 3 checks failed")
    assert [r.path for r in server.received] == ["/api/v1/lineage"] * 2
    assert {r.authorization for r in server.received} == {f"Bearer {KEY}"}
    assert [r.event["eventType"] for r in server.received] == ["START", "FAIL"]
    stored = json.loads((tmp_path / "reports/r1/lineage" / _events(tmp_path)[-1]).read_text())
    assert server.received[1].event == stored


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_receiver_that_is_down_costs_one_warning_and_fails_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    emitter = LineageEmitter(Lake(str(tmp_path)), "r1", "verify", url=url, api_key=KEY)
    t0 = time.monotonic()
    emitter.emit("START", WHEN, Lineage())
    emitter.emit("COMPLETE", WHEN, _lineage())
    assert time.monotonic() - t0 < 10
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"lineage of verify: could not send the START event to OPENLINEAGE_URL={url}")
    assert "reports/r1/lineage/" in lines[0] and "Fix:" in lines[0]
    assert len(_events(tmp_path)) == 2  # the lake has both anyway


def test_a_receiver_that_refuses_is_a_warning_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with receiver(status=401) as server:
        LineageEmitter(Lake(str(tmp_path)), "r1", "verify", url=server.url).emit("START", WHEN, Lineage())
    assert len(server.received) == 1  # a 401 is not retried
    assert "401" in capsys.readouterr().err


def test_a_lake_that_fails_a_write_is_not_waited_for_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "reports").write_text("a file where the reports folder should be")
    with receiver() as server:
        emitter = LineageEmitter(Lake(str(tmp_path)), "r1", "verify", url=server.url)
        emitter.emit("START", WHEN, Lineage())
        emitter.emit("COMPLETE", WHEN, _lineage())
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("lineage of verify: could not write the START event to the lake")
    assert [r.event["eventType"] for r in server.received] == ["START", "COMPLETE"]  # still sent


def test_writing_events_to_the_lake_loads_no_openlineage_client(tmp_path: Path) -> None:
    # every task emits START and COMPLETE: without a server to send to, the client (~0.35 s of imports) stays out
    probe = (
        "import sys\nfrom datetime import UTC, datetime\nfrom steps.lake import Lake\n"
        "from steps.lineage.datasets import Lineage\nfrom steps.lineage.emit import LineageEmitter\n"
        "LineageEmitter(Lake(sys.argv[1]), 'r1', 'verify').emit('START', datetime.now(UTC), Lineage())\n"
        "print(sorted(m for m in sys.modules if m.startswith('openlineage')))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENLINEAGE_URL"}
    out = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == "[]"
    assert len(list((tmp_path / "reports/r1/lineage").iterdir())) == 1
