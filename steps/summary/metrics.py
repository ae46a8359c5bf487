"""Per-source freshness as Prometheus gauges: the text exposition format, and the values Argo's gauges read.

Three gauges per enabled source, labelled ``source``:

- ``tributary_source_last_success_timestamp_seconds``: Unix time of the last successful ingest (0: never);
- ``tributary_source_max_age_seconds``: the source's SLA, ``max_age_days`` in seconds;
- ``tributary_source_overdue``: 1 when the last success was older than the SLA when the run ended, else 0.

The alert compares a timestamp with the clock (``time() - last_success > max_age + grace``), not a stored age, so
it keeps firing between runs and after a run that never happened. In the cluster the exit handler writes one file
per gauge and source (:func:`argo_outputs`) that its template declares as output parameters, and the template's
gauges read them (workflows/argo/templates.py, the same names and help texts); on a laptop the same gauges go to a
``.prom`` file (:func:`exposition`) for node-exporter's textfile collector.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SourceGauge:
    """One per-source gauge: its Prometheus name and help, the Argo output parameter prefix, its value."""

    name: str
    help: str
    output: str  # output parameter ``<output>-<source>`` of the exit handler's template
    value: Callable[[dict[str, Any]], float]

    def output_name(self, source: str) -> str:
        """The exit handler's output parameter (and file name) carrying this gauge's value for ``source``."""
        return f"{self.output}-{source}"


def _last_success(entry: dict[str, Any]) -> float:
    at = entry.get("last_success_at")
    return datetime.fromisoformat(at).timestamp() if at else 0.0


LAST_SUCCESS = SourceGauge(
    name="tributary_source_last_success_timestamp_seconds",
    help="Unix time of the last successful ingest of the source (0: never ingested)",
    output="last-success",
    value=_last_success,
)
MAX_AGE = SourceGauge(
    name="tributary_source_max_age_seconds",
    help="Freshness SLA of the source: its max_age_days in seconds",
    output="max-age",
    value=lambda entry: float(entry["max_age_days"]) * 86400,
)
OVERDUE = SourceGauge(
    name="tributary_source_overdue",
    help="1 when the source's last successful ingest was older than its SLA when the last run ended, else 0",
    output="overdue",
    value=lambda entry: 1.0 if entry["overdue"] else 0.0,
)
GAUGES = (LAST_SUCCESS, MAX_AGE, OVERDUE)

# The value an output parameter defaults to when the exit handler did not write it (no configuration, a corrupt
# state file): the template's gauges are emitted only for values >= 0, so a missing value keeps the last one.
MISSING = "-1"


def _known(freshness: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in freshness if "problem" not in entry]


def format_value(value: float) -> str:
    """A sample value as Prometheus and Argo parse it: whole numbers without a fraction."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def exposition(freshness: list[dict[str, Any]]) -> str:
    """The gauges in Prometheus' text exposition format (version 0.0.4), one HELP and TYPE per metric."""
    lines: list[str] = []
    for gauge in GAUGES:
        lines += [f"# HELP {gauge.name} {gauge.help}", f"# TYPE {gauge.name} gauge"]
        lines += [
            f'{gauge.name}{{source="{_label(entry["source"])}"}} {format_value(gauge.value(entry))}'
            for entry in _known(freshness)
        ]
    return "\n".join(lines) + "\n"


def argo_outputs(freshness: list[dict[str, Any]]) -> dict[str, str]:
    """File name (= output parameter name) → value, for every gauge of every source with a known state."""
    return {
        gauge.output_name(entry["source"]): format_value(gauge.value(entry))
        for entry in _known(freshness)
        for gauge in GAUGES
    }


def write_textfile(path: Path, text: str) -> None:
    """Replace ``path`` atomically: node-exporter must never read half a file (a hidden temporary, then a rename).

    The folder must exist (it is the collector's directory): a mistyped path fails instead of creating a folder
    nobody reads.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
