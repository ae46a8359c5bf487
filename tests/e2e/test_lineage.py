"""Lineage of a real run (``tributary run --replay``): one graph from every source endpoint to every gold table.

The run enables FRED, a keyed source (the replay gives it its stand-in key), sends its events to a real local
receiver with an API key, and publishes dbt's docs; a second run fails in verify and must say so in lineage.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli import run_replay, tributary
from tests.conftest import REPO, write_config
from tests.steps.lineage.receiver import Receiver, receiver
from workflows.replay.providers.fred import DEMO_KEY
from workflows.replay.server import ReplayServer

pytestmark = pytest.mark.e2e

RUN_ID = "lineage"
API_KEY = "lineage-api-key-0123456789"
TASKS = (
    "verify",
    "freshness",
    "ingest-worldbank",
    "ingest-vn-provinces",
    "ingest-fred",
    "validate-bronze",
    "dbt-silver",
    "dbt-gold",
    "validate-gold",
    "on-exit",
)
Node = tuple[str, str]  # ("dataset", "namespace name") or ("job", name)


class Run:
    """The finished run: its lake, its output, its events (lake files) and what the receiver got."""

    def __init__(self, lake: Path, proc: subprocess.CompletedProcess[str], server: Receiver) -> None:
        self.lake = lake
        self.proc = proc
        self.server = server
        folder = lake / "reports" / RUN_ID / "lineage"
        self.files = sorted(folder.iterdir())
        self.events: list[dict[str, Any]] = [json.loads(p.read_text()) for p in self.files]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    folder = tmp_path_factory.mktemp("e2e-lineage")
    config = yaml.safe_load((REPO / "steps" / "defaults" / "pipeline.yaml").read_text())
    config["sources"]["fred"]["enabled"] = True
    (folder / "pipeline.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    with receiver() as server:
        env = {"OPENLINEAGE_URL": server.url, "OPENLINEAGE_API_KEY": API_KEY, "TRIBUTARY_DBT_DOCS": "true"}
        proc = run_replay(
            folder / "lake", "--config", str(folder / "pipeline.yaml"), "--run-id", RUN_ID, env=env, timeout=900
        )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return Run(folder / "lake", proc, server)


def _graph(events: list[dict[str, Any]]) -> dict[Node, set[Node]]:
    """Directed edges input dataset → job → output dataset, from every event's datasets."""
    edges: dict[Node, set[Node]] = defaultdict(set)
    for event in events:
        job: Node = ("job", event["job"]["name"])
        for ds in event["inputs"]:
            edges[("dataset", f"{ds['namespace']} {ds['name']}")].add(job)
        for ds in event["outputs"]:
            edges[job].add(("dataset", f"{ds['namespace']} {ds['name']}"))
    return edges


def _reachable(edges: dict[Node, set[Node]], start: Node) -> set[Node]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_every_task_emits_start_and_complete_once(run: Run) -> None:
    counted = Counter((e["job"]["name"], e["eventType"]) for e in run.events)
    expected = {(f"tributary.{t}", kind): 1 for t in TASKS for kind in ("START", "COMPLETE")}
    assert dict(counted) == expected
    assert {e["run"]["facets"]["parent"]["job"]["name"] for e in run.events} == {"tributary.pipeline"}
    assert len({e["run"]["facets"]["parent"]["run"]["runId"] for e in run.events}) == 1


def test_the_events_form_one_graph_from_each_source_endpoint_to_each_gold_table(run: Run) -> None:
    edges = _graph(run.events)
    ingests = [e for e in run.events if e["job"]["name"].startswith("tributary.ingest-") and e["eventType"] != "START"]
    endpoints = {("dataset", f"{d['namespace']} {d['name']}") for e in ingests for d in e["inputs"]}
    (gold_build,) = [e for e in run.events if e["job"]["name"] == "tributary.dbt-gold" and e["eventType"] != "START"]
    gold = {("dataset", f"{d['namespace']} {d['name']}") for d in gold_build["outputs"]}
    assert len(endpoints) == 3 and all(n[1].startswith("http://127.0.0.1:") for n in endpoints)
    names = {n[1].rsplit(".", 1)[1] for n in gold}
    assert names >= {"dim_macro_indicators", "dim_location", "fct_economic_observations"}
    reached = {n: _reachable(edges, n) & gold for n in endpoints}
    assert all(reached.values()), reached  # every source reaches gold...
    assert set().union(*reached.values()) == gold  # ...and every gold table is reached from a source
    # one graph: every node is connected to the others, whichever way its edges point
    undirected: dict[Node, set[Node]] = defaultdict(set)
    for a, targets in edges.items():
        for b in targets:
            undirected[a].add(b)
            undirected[b].add(a)
    assert _reachable(undirected, next(iter(endpoints))) == set(undirected)


def test_the_gates_attach_their_assertions(run: Run) -> None:
    for task in ("validate-bronze", "validate-gold"):
        (done,) = [e for e in run.events if e["job"]["name"] == f"tributary.{task}" and e["eventType"] == "COMPLETE"]
        assert done["inputs"], task
        for ds in done["inputs"]:
            assertions = ds["inputFacets"]["dataQualityAssertions"]["assertions"]
            assert assertions and all(a["success"] for a in assertions), (task, ds["name"])


def test_every_event_was_sent_with_the_key_and_none_carries_a_secret(run: Run) -> None:
    assert sorted(json.dumps(r.event, sort_keys=True) for r in run.server.received) == sorted(
        json.dumps(e, sort_keys=True) for e in run.events
    )
    assert {r.authorization for r in run.server.received} == {f"Bearer {API_KEY}"}
    for path in run.files:
        text = path.read_text()
        assert DEMO_KEY not in text and API_KEY not in text, path.name
    assert DEMO_KEY not in run.proc.stdout + run.proc.stderr


def test_dbt_docs_are_published_beside_the_report(run: Run) -> None:
    docs = run.lake / "reports" / RUN_ID / "dbt-docs"
    assert sorted(p.name for p in docs.iterdir()) == ["catalog.json", "index.html", "manifest.json"]
    catalog = json.loads((docs / "catalog.json").read_text())
    assert any(k.endswith(".dim_macro_indicators") for k in catalog["nodes"])
    assert "dim_location" in (docs / "index.html").read_text()


def test_a_failing_task_emits_fail_with_its_error(tmp_path: Path, replay_server: ReplayServer) -> None:
    config = write_config(tmp_path / "pipeline.yaml", replay_server)
    doc = yaml.safe_load(config.read_text())
    doc["sources"]["fred"] = {"base_url": "http://127.0.0.1:9/fred", "series": ["GDP"], "start_date": "2020-01-01"}
    config.write_text(yaml.safe_dump(doc))
    env = {"PYTHONPATH": os.environ.get("PYTHONPATH", str(REPO))}
    proc = tributary("run", "--lake", str(tmp_path / "lake"), "--config", str(config), "--run-id", "failing", env=env)
    assert proc.returncode == 2, proc.stderr[-2000:]
    folder = tmp_path / "lake" / "reports" / "failing" / "lineage"
    events = [json.loads(p.read_text()) for p in sorted(folder.iterdir())]
    kinds = [(e["job"]["name"], e["eventType"]) for e in events]
    assert kinds == [
        ("tributary.verify", "START"),
        ("tributary.verify", "FAIL"),
        ("tributary.on-exit", "START"),
        ("tributary.on-exit", "COMPLETE"),
    ]
    message = events[1]["run"]["facets"]["errorMessage"]["message"]
    assert message.startswith("1 of 5 checks failed: source fred:") and "FRED_API_KEY" in message
    assert {d["name"] for d in events[1]["inputs"]} == {"/worldbank/v2", "/provinces", "/fred"}
