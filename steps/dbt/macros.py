"""The dbt macros a build will call, compiled ahead of it in the warm interpreter (see :mod:`steps.dbt.warmup`).

dbt compiles a macro's Jinja the first time a process calls it, into a cache of the process keyed by the macro's
text (``dbt_common.clients.jinja.template_cache``). A build of either layer compiles 100-120 macros, and with four
threads doing it at once that takes 0.3-0.6 s of each dbt task. The interpreter the local runner forks the dbt tasks
from compiles them while the ingests and the bronze gate run, so each task starts with them compiled. Compiling
ahead changes nothing but when: the cache holds what the build would have compiled from the same text.

Which macros: those the project's nodes call, their materializations, the ones the adapter calls from Python by
name (its relation cache, schemas, renames), and what those call in turn, as dbt's parse recorded it
(``depends_on.macros``), each with the implementation ``adapter.dispatch`` picks for this adapter. What else dbt
calls at run time compiles at first use, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

log = logging.getLogger(__name__)

# The materialization each kind of node runs with when its config names none.
_MATERIALIZATION = {"test": "test", "unit_test": "unit", "snapshot": "snapshot", "seed": "seed"}
# Macros a SQL adapter calls from Python during a build (the *_MACRO_NAME constants of dbt.adapters.sql.impl).
ADAPTER_CALLS = (
    "list_schemas",
    "list_relations_without_caching",
    "check_schema_exists",
    "create_schema",
    "get_columns_in_relation",
    "rename_relation",
    "drop_relation",
)


def called_macros(macros: Mapping[str, Any], nodes: Iterable[Any], project: str, adapter_type: str) -> list[str]:
    """The unique ids of the macros building ``nodes`` calls, as far as the parse recorded (sorted).

    ``macros`` is the manifest's macros by unique id; ``nodes`` its models, tests, snapshots, unit tests and hooks.
    A materialization is the adapter's own if it has one, else the default, from the project first, as dbt picks;
    so is a dispatched macro's implementation (``<adapter>__name``, else ``default__name``).
    """
    by_name: dict[str, list[str]] = {}
    for unique_id, macro in macros.items():
        by_name.setdefault(macro.name, []).append(unique_id)
    roots: set[str] = {unique_id for name in ADAPTER_CALLS for unique_id in by_name.get(name, [])[:1]}
    for node in nodes:
        roots.update(getattr(getattr(node, "depends_on", None), "macros", None) or ())
        kind = str(getattr(node, "resource_type", ""))
        materialized = getattr(getattr(node, "config", None), "materialized", None) or _MATERIALIZATION.get(kind)
        if materialized:
            names = [f"materialization_{materialized}_{adapter_type}", f"materialization_{materialized}_default"]
            roots.update(_pick(by_name, macros, names, project))
    seen: set[str] = set()
    stack = sorted(roots)
    while stack:
        unique_id = stack.pop()
        if unique_id in seen or unique_id not in macros:
            continue
        seen.add(unique_id)
        stack.extend(macros[unique_id].depends_on.macros)
        name = macros[unique_id].name
        stack.extend(_pick(by_name, macros, [f"{adapter_type}__{name}", f"default__{name}"], project))
    return sorted(seen)


def _pick(by_name: Mapping[str, list[str]], macros: Mapping[str, Any], names: list[str], project: str) -> list[str]:
    """The first of ``names`` that exists (as a list of at most one id), the project's own before a package's."""
    for name in names:
        candidates = by_name.get(name, [])
        if candidates:
            own = [c for c in candidates if macros[c].package_name == project]
            return own[:1] or candidates[:1]
    return []


def precompile(manifest: Any) -> int:
    """Compile the macros a build of ``manifest`` (a parse's) calls into dbt's template cache; returns how many.

    Best effort: a macro that does not compile here is left for the build, which reports it where it is called.
    """
    from dbt_common.clients.jinja import template_cache

    nodes = [*manifest.nodes.values(), *manifest.unit_tests.values()]
    project = next((n.package_name for n in nodes if n.resource_type == "model"), "")
    compiled = 0
    adapter_type = str(manifest.metadata.adapter_type or "")
    for unique_id in called_macros(manifest.macros, nodes, project, adapter_type):
        try:
            template_cache.get_node_template(manifest.macros[unique_id])
            compiled += 1
        except Exception as exc:  # noqa: BLE001 - the build compiles it again and reports what is wrong
            log.debug("macro not compiled ahead", extra={"macro": unique_id, "error": str(exc)[:200]})
    return compiled
