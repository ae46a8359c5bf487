"""Loading of the data files shipped in ``workflows/replay/data/``.

Everything is loaded lazily, the first time a route needs it, and then kept in memory for the life of the
process. Loading is serialized by one lock so that concurrent first requests parse a file once, not once per
thread.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import threading
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"

WORLDBANK_CSV = "worldbank_VN_2010_2024.csv"
WORLDBANK_HISTORY_CSV = "worldbank_VN_1990_2009.csv"  # the same indicators' earlier years (backfills)
WORLDBANK_CSVS = (WORLDBANK_HISTORY_CSV, WORLDBANK_CSV)
PROVINCES_V1_RAW = "vn_provinces_v1_depth3_raw_2025-01-04.json.gz"
PROVINCES_V1_DERIVED = "vn_provinces_v1_depth3_current_DERIVED.json.gz"
PROVINCES_V2_NESTED = "vn_provinces_v2_nested-divisions_2026-02-21.json.gz"

JsonObject = dict[str, Any]

_lock = threading.RLock()
_bytes: dict[str, bytes] = {}
_json: dict[str, list[JsonObject]] = {}
_worldbank: dict[tuple[str, int], float] = {}


def read_bytes(name: str) -> bytes:
    """Return the content of a data file, gunzipped when its name ends in ``.gz``.

    Args:
        name: File name inside :data:`DATA_DIR`.

    Returns:
        The (uncompressed) bytes, cached after the first call.

    Raises:
        FileNotFoundError: If the file is not shipped.
    """
    with _lock:
        cached = _bytes.get(name)
        if cached is None:
            raw = (DATA_DIR / name).read_bytes()
            cached = gzip.decompress(raw) if name.endswith(".gz") else raw
            _bytes[name] = cached
        return cached


def load_json_list(name: str) -> list[JsonObject]:
    """Parse a data file that holds a JSON array of objects.

    The parsed value is shared between callers: treat it as read-only.

    Args:
        name: File name inside :data:`DATA_DIR`.

    Returns:
        The parsed list, cached after the first call.

    Raises:
        ValueError: If the file is not a JSON array of objects.
    """
    with _lock:
        cached = _json.get(name)
        if cached is None:
            parsed = json.loads(read_bytes(name))
            if not isinstance(parsed, list) or not all(isinstance(item, dict) for item in parsed):
                raise ValueError(f"{name}: expected a JSON array of objects")
            cached = parsed
            _json[name] = cached
        return cached


def worldbank_values() -> dict[tuple[str, int], float]:
    """Return the shipped World Bank observations for Viet Nam (1990–2024, from both files).

    Returns:
        A mapping ``(indicator code, year) -> value``, cached after the first call.
    """
    with _lock:
        if not _worldbank:
            for name in WORLDBANK_CSVS:
                text = read_bytes(name).decode("utf-8")
                for row in csv.DictReader(io.StringIO(text)):
                    _worldbank[(row["indicator_code"], int(row["year"]))] = float(row["value"])
        return _worldbank
