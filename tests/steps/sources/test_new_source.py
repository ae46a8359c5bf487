"""A new source is its package (plus its dbt staging models): nothing else in steps/ or workflows/ is edited.

``new_source/acme_prices`` is a complete REST source: metadata and registration (``__init__.py``), its
configuration model, its streams on the shared REST stream, its bronze suite. Registered, it is a configuration
kind, a task of the rendered DAG with its key from the credentials Secret, an ingest against an HTTP server
(offset paging, the key header, the watermark), and a suite the bronze gate finds. A package under
``steps/sources/`` is found without the ``register`` call.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

import pyarrow.parquet as pq
import pytest

from steps.config import load_config
from steps.ingest.client import build_client
from steps.ingest.core import ingest_source
from steps.lake import Lake
from steps.sources import build_source, registry
from steps.state import read_state
from steps.validate.suites import check_parameters, load_suite
from tests.steps.sources.new_source import acme_prices

KEY = "acme-key-0123456789"
DAYS = [date(2024, 1, 1) + timedelta(days=n) for n in range(7)]


class _Acme(BaseHTTPRequestHandler):
    """``GET /v1/prices?item=&since=&offset=&limit=`` with an ``X-Api-Key`` header."""

    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        type(self).requests.append(self.path)
        if self.headers.get("X-Api-Key") != KEY:
            return self._send(401, {"error": "missing or wrong key"})
        if url.path != "/v1/prices":
            return self._send(404, {"error": "no such route"})
        since = date.fromisoformat(query["since"])
        rows = [
            {"item": query["item"], "day": d.isoformat(), "price": "n/a" if d.day == 3 else f"{200 + d.day}.5"}
            for d in DAYS
            if d >= since
        ]
        offset, limit = int(query["offset"]), int(query["limit"])
        return self._send(200, {"total": len(rows), "data": rows[offset : offset + limit]})

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def acme_api() -> Iterator[str]:
    _Acme.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Acme)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def registered() -> Iterator[registry.SourceSpec]:
    spec = registry.register(acme_prices.SOURCE, package=acme_prices.__name__)
    try:
        yield spec
    finally:
        registry.unregister(spec.kind)


@pytest.fixture
def config_file(tmp_path: Path, acme_api: str) -> Path:
    path = tmp_path / "pipeline.yaml"
    path.write_text(
        "sources:\n"
        "  acme:\n"
        f"    base_url: {acme_api}\n"
        "    items: [wheat, rye]\n"
        "    start_date: 2024-01-02\n"
        "    page_size: 2\n"
    )
    return path


def test_the_package_is_a_configuration_kind(registered: registry.SourceSpec, config_file: Path) -> None:
    assert "acme" in registry.kinds()
    config = load_config(config_file)
    acme = config.source("acme")
    assert type(acme).__name__ == "AcmeConfig" and acme.kind == "acme"
    assert config.secret_variables() == ["ACME_API_KEY"]
    assert registered.default_secret_variables == ("ACME_API_KEY",) and registered.time_series


def test_the_dag_fans_out_to_it_with_its_key(registered: registry.SourceSpec, config_file: Path) -> None:
    from workflows.argo.render import render

    wt = render("dev", config=config_file).workflow_template
    dag = next(t for t in wt["spec"]["templates"] if t["name"] == "pipeline")["dag"]["tasks"]
    assert [t["name"] for t in dag if t["name"].startswith("ingest-")] == ["ingest-acme"]
    ingest = next(t for t in wt["spec"]["templates"] if t["name"] == "ingest")
    env = {e["name"]: e for e in ingest["container"]["env"]}
    assert env["ACME_API_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "tributary-source-credentials"


def test_its_ingest_pages_keys_and_keeps_a_watermark(
    registered: registry.SourceSpec, config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_API_KEY", KEY)
    config = load_config(config_file)
    lake = Lake(str(tmp_path / "lake"))
    source = build_source("acme", config)
    client = build_client(source, config, lake)
    try:
        manifest = ingest_source(source, lake, client, "r1")
    finally:
        client.close()
    # 6 days from 2024-01-02 per item, pages of 2: offsets 0, 2, 4
    assert {s.stream_id: (s.pages, s.rows, s.api_total) for s in manifest.streams} == {
        "wheat": (3, 6, 6),
        "rye": (3, 6, 6),
    }
    assert sorted(_Acme.requests)[:3] == [
        "/v1/prices?item=rye&since=2024-01-02&offset=0&limit=2",
        "/v1/prices?item=rye&since=2024-01-02&offset=2&limit=2",
        "/v1/prices?item=rye&since=2024-01-02&offset=4&limit=2",
    ]
    table = pq.read_table(tmp_path / "lake" / manifest.datasets["prices"].path)
    assert table.column_names == ["item", "day", "price", "_run_id", "_ingested_at"]
    assert table.num_rows == 12 and table.column("price").null_count == 2  # "n/a" on the 3rd
    marks = read_state(lake, "acme").checkpoint.watermarks
    assert {k: m.value for k, m in marks.items()} == {"wheat": "2024-01-07", "rye": "2024-01-07"}


def test_its_bronze_suite_is_found_in_the_package(registered: registry.SourceSpec) -> None:
    suite = load_suite("bronze", "acme.prices")
    assert suite.origin == "tests/steps/sources/new_source/acme_prices/suites/acme.prices.yml"
    # a source without a rule of its own gets the generic parameters (steps/validate/params.py)
    assert check_parameters(suite, {"run_ids": ["r1"], "expected_rows": 12}) == {"run_ids": ["r1"], "expected_rows": 12}
