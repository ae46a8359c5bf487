"""The provider registry: every provider registered by its module, looked up by source, served by the server."""

from __future__ import annotations

import pytest
import requests

from steps.sources.registry import kinds
from workflows.replay import registry
from workflows.replay.limits import Quota, Window
from workflows.replay.registry import Registration, Stateless, for_source, register, registrations
from workflows.replay.responses import json_response
from workflows.replay.server import ReplayServer

BASE_PATHS = {
    "worldbank": "/worldbank/v2",
    "vn_provinces": "/provinces",
    "fred": "/fred",
    "eia": "/eia/v2",
    "noaa": "/noaa/cdo-web/api/v2",
}


def test_every_provider_module_registers_its_source() -> None:
    found = {r.source: (r.name, r.base_path) for r in registrations()}
    assert found == {
        "worldbank": ("worldbank", "/worldbank/v2"),
        "vn_provinces": ("provinces", "/provinces"),
        "fred": ("fred", "/fred"),
        "eia": ("eia", "/eia/v2"),
        "noaa": ("noaa", "/noaa/cdo-web/api/v2"),
    }
    assert set(found) <= set(kinds()), "a provider serves a source kind the configuration knows"
    assert for_source("postgres") is None and for_source("files") is None


def test_keyed_providers_declare_a_quota_and_a_key_they_accept() -> None:
    keyed = {r.name for r in registrations() if r.quota is not None}
    assert keyed == {r.name for r in registrations() if r.key is not None} == {"fred", "eia", "noaa"}


@pytest.mark.parametrize(("source", "path"), sorted(BASE_PATHS.items()))
def test_base_url_by_source(server: ReplayServer, source: str, path: str) -> None:
    assert server.base_url(source) == f"{server.url}{path}"


def test_base_url_of_a_source_without_provider_is_refused(server: ReplayServer) -> None:
    with pytest.raises(ValueError, match="no replay provider serves source 'postgres'"):
        server.base_url("postgres")


def test_the_demo_keys_are_accepted(server: ReplayServer, http: requests.Session) -> None:
    keys = {r.source: r.key for r in registrations()}
    fred = http.get(
        f"{server.base_url('fred')}/series",
        params={"series_id": "UNRATE", "api_key": keys["fred"], "file_type": "json"},
        timeout=10,
    )
    eia = http.get(f"{server.base_url('eia')}/petroleum/pri/spt/", params={"api_key": keys["eia"]}, timeout=10)
    noaa = http.get(f"{server.base_url('noaa')}/datasets/GHCND", headers={"token": keys["noaa"] or ""}, timeout=10)
    assert (fred.status_code, eia.status_code, noaa.status_code) == (200, 200, 200)


def test_a_clashing_registration_is_refused() -> None:
    existing = for_source("fred")
    assert existing is not None
    clash = Registration(name="fred2", source="fred", base_path="/fred2", create=existing.create)
    with pytest.raises(ValueError, match="clashes with 'fred'"):
        register(clash)
    with pytest.raises(ValueError, match="base_path must start with '/acme'"):
        register(Registration(name="acme", source="acme", base_path="/other", create=existing.create))
    assert for_source("acme") is None


def test_a_registered_provider_is_served(monkeypatch: pytest.MonkeyPatch, http: requests.Session) -> None:
    registrations()  # the real providers first
    acme = Registration(
        name="acme",
        source="acme",
        base_path="/acme/v1",
        create=lambda: Stateless(lambda path, query, _snapshot: json_response(200, {"path": path, "query": query})),
    )
    monkeypatch.setitem(registry._registry, "acme", acme)
    with ReplayServer() as server:
        assert server.base_url("acme") == f"{server.url}/acme/v1"
        answer = http.get(f"{server.base_url('acme')}/prices?x=1", timeout=10).json()
        assert answer == {"path": "/v1/prices", "query": "x=1"}
        with pytest.raises(ValueError, match="unknown provider 'acme'"):
            server.set_quota("acme", Quota((Window(1, 1.0),)))
