"""Shared pieces of the new-source tests: known keys, configs pointing at the replay server, lake scans."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import yaml

from tests.conftest import FAST_HTTP
from workflows.replay.server import ReplayServer

FRED_KEY = "fredkey0123456789abcdef0123abcdz"  # 32 lower-case alphanumerics, as FRED requires
EIA_KEY = "EiaKeyABCDEFGHIJ0123456789xyz"
NOAA_TOKEN = "NoaaTokenQRSTUVWXYZ0123456789ab"
KEYS = {"FRED_API_KEY": FRED_KEY, "EIA_API_KEY": EIA_KEY, "NOAA_TOKEN": NOAA_TOKEN}
NO_LIMITS: dict[str, Any] = {"rate_limits": []}  # speed: the rate-limit tests switch them back on


def source_sections(server: ReplayServer) -> dict[str, dict[str, Any]]:
    """Config sections of the keyed sources, served by ``server``."""
    return {
        "fred": {
            "base_url": server.base_url("fred"),
            "series": ["UNRATE", "DGS10"],
            "start_date": "2024-01-01",
            "page_size": 100,
            "lookback_days": 60,
            **NO_LIMITS,
        },
        "eia": {
            "base_url": server.base_url("eia"),
            "route": "petroleum/pri/spt",
            "frequency": "daily",
            "series": ["RWTC", "RBRTE"],
            "start": "2024-06-01",
            "page_size": 50,
            **NO_LIMITS,
        },
        "noaa": {
            "base_url": server.base_url("noaa"),
            "stations": ["GHCND:VM000048820", "GHCND:USW00013874"],
            "datatypes": ["TMAX", "TMIN", "PRCP"],
            "start_date": "2024-06-01",
            "end_date": "2025-01-03",
            "page_size": 200,
            **NO_LIMITS,
        },
    }


def write_pipeline(path: Path, server: ReplayServer, sources: dict[str, dict[str, Any]]) -> Path:
    """A pipeline config with the given source sections (World Bank and provinces available by name)."""
    known = {
        "worldbank": {
            "base_url": server.base_url("worldbank"),
            "indicators": ["NY.GDP.MKTP.CD", "FP.CPI.TOTL.ZG", "SL.UEM.TOTL.ZS"],
            "start_year": 2014,
            "end_year": 2024,
        },
        "vn_provinces": {"base_url": server.base_url("vn_provinces")},
        **source_sections(server),
    }
    body = {name: {**known.get(name, {}), **section} for name, section in sources.items()}
    path.write_text(yaml.safe_dump({"http": dict(FAST_HTTP), "sources": body}, sort_keys=False))
    return path


def lake_texts(lake: Path) -> dict[str, str]:
    """Every file of the lake as text: gzip decompressed, Parquet rendered row by row."""
    out = {}
    for path in sorted(p for p in lake.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        if path.suffix == ".parquet":
            text = json.dumps(pq.read_table(path).to_pylist(), default=str)
        else:
            text = data.decode("utf-8", "replace")
        out[str(path.relative_to(lake))] = text
    return out


def stage_result(lake: Path, run_id: str, task: str) -> dict[str, Any]:
    """The stage result a task recorded."""
    result: dict[str, Any] = json.loads((lake / f"reports/{run_id}/stages/{task}.json").read_text())
    return result


def state(lake: Path, source: str) -> dict[str, Any]:
    """The state file of a source."""
    result: dict[str, Any] = json.loads((lake / f"state/{source}.json").read_text())
    return result


def watermarks(lake: Path, source: str) -> dict[str, str]:
    """The source's current watermarks (newest checkpoint), as plain values."""
    for record in state(lake, source)["history"]:
        if record.get("checkpoint"):
            return {k: v["value"] for k, v in record["checkpoint"]["watermarks"].items()}
    return {}


def max_in_window(times: list[float], seconds: float) -> int:
    """The most requests any window of ``seconds`` (half-open, ending at a request) holds."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - seconds:
            start += 1
        best = max(best, end - start + 1)
    return best
