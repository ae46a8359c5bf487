"""Shared fixtures: the replay server, a lake (local folder or S3 on moto's server), stage runners."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from workflows.replay.server import PRE_REFORM_SNAPSHOT, ReplayServer

REPO = Path(__file__).resolve().parents[1]

# Quick retries so fault tests take milliseconds, not minutes.
FAST_HTTP = {
    "connect_timeout_s": 2,
    "read_timeout_s": 2,
    "max_attempts": 3,
    "backoff_base_s": 0.05,
    "backoff_max_s": 0.2,
    "max_retry_after_s": 5,
}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the marks into the test ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``make test`` runs ``-n``), keep each test file on one worker, the container tests together.

    A file's module fixtures (a pipeline run, a lake of 24 months) are then built once, not once per worker, and the
    stage images are built by one worker only (two builds of the same tags at once would race in the engine).
    """
    for item in items:
        parts = item.path.relative_to(REPO).parts
        group = "containers" if parts[:2] == ("tests", "containers") else "/".join(parts)
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture
def replay_server() -> Iterator[ReplayServer]:
    """A replay server with the pre-reform snapshot on a free port."""
    with ReplayServer(host="127.0.0.1", port=0, snapshot=PRE_REFORM_SNAPSHOT) as server:
        yield server


def write_config(path: Path, server: ReplayServer, **overrides: dict[str, object]) -> Path:
    """A pipeline config pointing at ``server``; ``overrides`` merge into each source's section."""
    config = {
        "http": dict(FAST_HTTP),
        "sources": {
            "worldbank": {
                "base_url": server.base_url("worldbank"),
                "countries": ["VN"],
                "indicators": ["NY.GDP.MKTP.CD", "FP.CPI.TOTL.ZG", "SL.UEM.TOTL.ZS"],
                "start_year": 2014,
                "end_year": 2024,
                "per_page": 1000,
            },
            "vn_provinces": {"base_url": server.base_url("vn_provinces")},
        },
    }
    for key, value in overrides.items():
        target = config["http"] if key == "http" else config["sources"][key]
        target.update(value)  # type: ignore[attr-defined]
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@dataclass
class StageEnv:
    """Environment for running stages against one lake and one config."""

    lake: str
    config: Path
    extra: dict[str, str]

    def env(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("TRIBUTARY_")}
        return {
            **base,
            "TRIBUTARY_LAKE": self.lake,
            "TRIBUTARY_CONFIG": str(self.config),
            "TRIBUTARY_TARGET": "local",
            **self.extra,
        }

    def run(self, module: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``python -m steps.<module> args`` as the pipeline does (a real process, real exit code)."""
        return subprocess.run(
            [sys.executable, "-m", f"steps.{module}", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


@pytest.fixture
def local_stage(tmp_path: Path, replay_server: ReplayServer) -> StageEnv:
    """Stages on a local-folder lake, sources served by the replay server."""
    config = write_config(tmp_path / "pipeline.yaml", replay_server)
    return StageEnv(lake=str(tmp_path / "lake"), config=config, extra={})


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """A real S3 API: moto's threaded server on a free port."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


S3_KEYS = {"AWS_ACCESS_KEY_ID": "testing-access-key", "AWS_SECRET_ACCESS_KEY": "testing-secret-key-1234"}


def s3_referee(endpoint: str) -> Any:
    """A boto3 client of an S3 endpoint with the tests' keys: the referee that looks at a bucket."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=S3_KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_KEYS["AWS_SECRET_ACCESS_KEY"],
    )


@pytest.fixture
def s3(s3_server: str) -> Any:
    """A boto3 client of the moto server (:func:`s3_referee`)."""
    return s3_referee(s3_server)


@pytest.fixture
def s3_bucket(s3_server: str, request: pytest.FixtureRequest) -> str:
    """A fresh bucket on the moto server; returns its name."""
    name = f"lake-{abs(hash(request.node.nodeid)) % 10**10}"
    s3_referee(s3_server).create_bucket(Bucket=name)
    return name
