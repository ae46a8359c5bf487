"""``tributary run --replay`` with FRED, EIA and NOAA enabled: every source replayed, offline, end to end.

The configuration is the packaged one with the three keyed sources switched on, so their ``base_url`` names the
real APIs and only ``--replay`` can point them elsewhere. The run has no way out: every proxy variable names a
port nothing listens on (only loopback bypasses it), and the shell's keys have a shape the replay refuses, so the
run passes only if every request reaches the replay server with the replay's own keys.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from steps.names import HELD_BACK_TASK
from tests.conftest import REPO

pytestmark = pytest.mark.e2e

KEYED = ("fred", "eia", "noaa")
NOWHERE = "http://127.0.0.1:9"  # the discard port: a refused connection, never the internet
# What a developer's shell might hold: real-looking keys that must reach neither the replay nor the output.
SHELL_KEYS = {
    "FRED_API_KEY": "shellfredkey-not-for-the-replay",
    "EIA_API_KEY": "shell-eia-key-not-for-the-replay",
    "NOAA_TOKEN": "shell-noaa-token-not-for-the-replay",
}


class Run:
    """The finished run: its lake, output and replay server URL."""

    def __init__(self, lake: Path, proc: subprocess.CompletedProcess[str]) -> None:
        self.lake = lake
        self.proc = proc
        match = re.search(r"^replay server (http://127\.0\.0\.1:\d+) .* serves (.*)$", proc.stderr, re.MULTILINE)
        assert match, proc.stderr
        self.replay_url, self.served = match[1], match[2]

    def query(self, sql: str) -> list[tuple[object, ...]]:
        with duckdb.connect(str(self.lake / "warehouse.duckdb"), read_only=True) as con:
            return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    folder = tmp_path_factory.mktemp("e2e-keyed")
    config = yaml.safe_load((REPO / "steps" / "defaults" / "pipeline.yaml").read_text())
    for name in KEYED:
        assert config["sources"][name]["base_url"].startswith("https://")  # the real API unless replayed
        config["sources"][name]["enabled"] = True
    (folder / "pipeline.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIBUTARY_") and "PROXY" not in k.upper()}
    env.update(SHELL_KEYS)
    env.update(dict.fromkeys(("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"), NOWHERE))
    env.update(NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    lake = folder / "lake"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "workflows.cli",
            "run",
            "--replay",
            "--lake",
            str(lake),
            "--config",
            str(folder / "pipeline.yaml"),
            "--run-id",
            "keyed",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Run keyed: SUCCEEDED" in proc.stdout
    return Run(lake, proc)


def test_every_enabled_source_is_replayed(run: Run) -> None:
    assert run.served == "worldbank, vn_provinces, fred, eia, noaa"


def test_every_request_went_to_the_replay_server(run: Run) -> None:
    for name in KEYED:
        lines = [
            json.loads(line)
            for path in sorted((run.lake / "raw" / name).rglob("_provenance.jsonl"))
            for line in path.read_text().splitlines()
        ]
        assert lines, f"{name}: no page fetched"
        assert all(line["url"].startswith(f"{run.replay_url}/{name}/") for line in lines), name
        assert all(line["status"] == 200 for line in lines), name


def test_the_keyed_sources_ingested_rows(run: Run) -> None:
    summary = json.loads((run.lake / "reports/keyed/summary.json").read_text())
    sources = {s["source"]: s for s in summary["sources"]}
    assert {name: sources[name]["status"] for name in sources} == dict.fromkeys(
        ("worldbank", "vn_provinces", *KEYED), "succeeded"
    )
    assert sources["fred"]["rows"]["observations"] > 0 and sources["fred"]["rows"]["series"] == 4
    assert sources["eia"]["rows"]["observations"] > 0
    assert sources["noaa"]["rows"]["observations"] > 0
    phases = {t["task"]: t["phase"] for t in summary["tasks"]}
    assert {f"ingest-{name}" for name in KEYED} <= set(phases)
    assert phases.pop(HELD_BACK_TASK) == "Skipped"  # no source held back
    assert set(phases.values()) == {"Succeeded"}


def test_their_silver_and_gold_models_were_built(run: Run) -> None:
    for table in ("stg_fred__observations", "stg_fred__series", "stg_eia__observations", "stg_noaa__observations"):
        assert run.query(f"select count(*) from silver.{table}")[0][0] > 0, table  # type: ignore[operator]
    observations = dict(run.query("select source_name, count(*) from gold.fct_economic_observations group by 1"))
    assert set(observations) == {"worldbank", *KEYED}
    assert all(count > 0 for count in observations.values())  # type: ignore[operator]
    series = dict(run.query("select source_name, count(*) from gold.dim_series group by 1"))
    assert set(KEYED) <= set(series)


def test_no_key_of_the_shell_reaches_the_replay_or_the_output(run: Run) -> None:
    provenance = "".join(p.read_text() for p in run.lake.rglob("_provenance.jsonl"))
    for key in SHELL_KEYS.values():
        assert key not in run.proc.stdout + run.proc.stderr
        assert key not in provenance
