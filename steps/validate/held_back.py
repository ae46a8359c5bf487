"""Sources the bronze gate held back: the gate's verdict, its output parameter and the ``held-back`` task.

A source whose batch the bronze gate rejects is *held back*: its batch is quarantined and its state rolled back
(:mod:`steps.validate.quarantine`), so silver and gold of this run see only its earlier committed deliveries. The
gate then succeeds and names the held-back sources in its output parameter, every other source is built and
published, and the ``held-back`` task at the end of the DAG fails (exit 2) with one line naming each source and why,
so the run still ends failed and alerts fire. When every enabled source is held back nothing could be published:
the gate fails itself and the DAG stops there, as it always did.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from steps import layout
from steps.errors import ConfigError, InputError
from steps.names import HELD_BACK_OUTPUT
from steps.stage import StageContext

GATE_TASK = "validate-bronze"
REASONS_PER_SOURCE = 3  # failing expectations named per source in the one line; the metrics keep them all
_SOURCE = re.compile(r"^[-a-zA-Z0-9_]+$")  # a source name as the DAG's parameters allow it


def held_back(rejected: Collection[str], enabled: Collection[str]) -> list[str]:
    """The sources to hold back (sorted); empty when nothing was rejected or when every enabled source was.

    Holding back every enabled source would leave nothing to build, so the gate fails instead (exit 2).
    """
    if not rejected or set(enabled) <= set(rejected):
        return []
    return sorted(rejected)


def output_value(sources: Collection[str]) -> str:
    """The gate's ``held-back`` output parameter: the sources comma-separated, empty when none."""
    return ",".join(sorted(sources))


def write_output(folder: Path, sources: Collection[str]) -> None:
    """Write the output parameter file Argo (and the local runner) read after the gate."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / HELD_BACK_OUTPUT).write_text(output_value(sources))


def parse_sources(value: str) -> list[str]:
    """The ``--held-back`` argument (the gate's output parameter) as source names.

    Raises:
        ConfigError: empty, or a name the DAG could not have produced.
    """
    names = [s.strip() for s in value.split(",") if s.strip()]
    bad = [s for s in names if not _SOURCE.match(s)]
    if not names or bad:
        raise ConfigError(
            f"--held-back {value!r} is not a comma-separated list of source names",
            "pass the bronze gate's held-back output parameter (e.g. fx_files or fx_files,noaa)",
        )
    return names


def reasons(rejection: Mapping[str, Any]) -> str:
    """A rejected source's first failing expectations, ``; ``-joined (the gate's short lines)."""
    failures = [str(f) for f in rejection.get("failures", [])]
    shown = "; ".join(failures[:REASONS_PER_SOURCE]) or "rejected by the bronze gate"
    more = len(failures) - REASONS_PER_SOURCE
    return f"{shown}; and {more} more" if more > 0 else shown


def held_back_error(sources: list[str], rejected: Mapping[str, Mapping[str, Any]], docs: str | None) -> InputError:
    """The one line of the ``held-back`` task: each source with its reasons, where the evidence is, what to do."""
    what = "held back by the bronze gate (the other sources were published): " + ", ".join(
        f"{s} ({reasons(rejected[s])})" for s in sources
    )
    where = ", ".join(f"{rejected[s].get('quarantine') or f'quarantine/{s}'}/" for s in sources)
    return InputError(
        what,
        f"the rejected batches are in {where} and their state is rolled back; see {docs or 'the gate results'}, "
        "fix the source data or the suite (steps/sources/<kind>/suites/), then run again "
        "(--force / force=true re-ingests at once; otherwise the next run ingests them when due)",
    )


def report_held_back(ctx: StageContext, sources: list[str]) -> None:
    """The ``held-back`` task: fail with the held-back sources and their reasons, read from the gate's result.

    Raises:
        InputError: always (exit 2): the run must end failed so that alerts fire.
        ConfigError: the gate's result of this run does not hold those sources back (a wrong argument).
    """
    result: Any = ctx.lake.read_json(layout.stage_result(ctx.run_id, GATE_TASK)) or {}
    metrics = result.get("metrics") or {}
    rejected: dict[str, Any] = metrics.get("rejected") or {}
    unknown = [s for s in sources if s not in rejected]
    if unknown:
        raise ConfigError(
            f"the bronze gate of run {ctx.run_id} did not hold back {', '.join(unknown)} "
            f"(its result {layout.stage_result(ctx.run_id, GATE_TASK)} names {sorted(rejected) or 'none'})",
            "pass the held-back output parameter of this run's validate-bronze task",
        )
    failures = held_back_failures(sources, rejected, metrics.get("failures") or [])
    docs = metrics.get("docs_uri") or metrics.get("docs")
    ctx.metrics.update(held_back={s: rejected[s] for s in sources}, failures=failures, docs=docs)
    raise held_back_error(sources, rejected, docs)


def held_back_failures(
    sources: list[str], rejected: Mapping[str, Mapping[str, Any]], gate_failures: list[Any]
) -> list[Any]:
    """The failures the run report and the alert show for the held-back task, source by source.

    The gate's own records (with columns and sample values) where this attempt of the gate validated the source;
    the rejection's one-line failures for a source an earlier attempt rejected.
    """
    out: list[Any] = []
    for source in sources:
        mine = [f for f in gate_failures if isinstance(f, dict) and str(f.get("dataset", "")).startswith(f"{source}.")]
        out += mine or [str(f) for f in rejected[source].get("failures", [])]
    return out
