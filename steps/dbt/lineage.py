"""What a layer build read and wrote, from dbt's manifest: the layer's models and snapshots, and what they read.

Outputs are the enabled models and snapshots tagged with the layer; inputs are what they depend on outside the
layer: a bronze source table (the lake path ``bronze/<source>/<table>``, where the ingest wrote it) or a table of
the layer below. Pure: the manifest is a parsed ``manifest.json``.
"""

from __future__ import annotations

from typing import Any

from steps.lineage.datasets import DatasetRef, lake_dataset, table

BUILT = ("model", "snapshot")


def layer_lineage(
    manifest: dict[str, Any], layer: str, lake_root: str, warehouse: str
) -> tuple[list[DatasetRef], list[DatasetRef]]:
    """Inputs and outputs of building ``layer`` (``warehouse``: the warehouse's lineage namespace)."""
    nodes: dict[str, dict[str, Any]] = manifest.get("nodes", {})
    sources: dict[str, dict[str, Any]] = manifest.get("sources", {})
    built = {uid: n for uid, n in nodes.items() if n.get("resource_type") in BUILT and layer in (n.get("tags") or [])}
    inputs: dict[str, DatasetRef] = {}
    for node in built.values():
        for uid in (node.get("depends_on") or {}).get("nodes", []):
            if uid in built:
                continue
            if uid in sources:
                src = sources[uid]
                inputs[uid] = lake_dataset(lake_root, f"bronze/{src['source_name']}/{src['name']}")
            elif uid in nodes and nodes[uid].get("resource_type") in BUILT:
                inputs[uid] = _relation(nodes[uid], warehouse)
    outputs = [_relation(n, warehouse) for _, n in sorted(built.items())]
    return [inputs[k] for k in sorted(inputs)], outputs


def _relation(node: dict[str, Any], warehouse: str) -> DatasetRef:
    return table(warehouse, node["database"], node["schema"], node.get("alias") or node["name"])
