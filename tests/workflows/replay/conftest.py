"""Fixtures for the replay server tests: one real server on a free port, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from workflows.replay.server import PRE_REFORM_SNAPSHOT, ReplayServer


@pytest.fixture(scope="session")
def shared_server() -> Iterator[ReplayServer]:
    """One replay server for the whole session (starting and stopping one per test costs ~0.1 s)."""
    with ReplayServer(host="127.0.0.1", port=0, snapshot=PRE_REFORM_SNAPSHOT) as running:
        yield running


@pytest.fixture
def server(shared_server: ReplayServer) -> ReplayServer:
    """The shared server with no faults, an empty request log and the pre-reform snapshot."""
    shared_server.clear_faults()
    shared_server.clear_requests()
    shared_server.snapshot = PRE_REFORM_SNAPSHOT
    return shared_server


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A keep-alive HTTP session."""
    with requests.Session() as session:
        yield session
