"""What the gold gate reads from dbt's manifest: the models, their layer and contract columns, their lineage.

The dbt stage copies the ``target/manifest.json`` of its last build into the lake (:func:`steps.layout.dbt_manifest`),
so the gate, in its own pod, checks exactly the models that were built, by the names and columns dbt declares:

- a gold suite ``<model>.yml`` checks the dbt model of that name; a model that is not enabled (its source is off)
  is not in the manifest's nodes, and its suite is skipped;
- each model's relation is its layer (dbt schema) and alias, its columns the ones its YAML declares (the marts'
  enforced contracts), so a suite naming a column the model lost fails with both lists;
- a source's newest ingest shows in the staging models that read it (their ``depends_on`` sources), from the
  tables whose age tells the source's (a dbt ``freshness`` policy; vn_provinces' districts, empty since the 2025
  reform, has none);
- a model's SCD2 columns are the arguments of its ``scd2_valid_history`` test.

Pure: parsing and lookups over the JSON; reading it from the lake is :meth:`DbtManifest.load`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from steps import layout
from steps.errors import InputError
from steps.lake import Lake

PROJECT = "tributary"  # the dbt project's name (dbt/dbt_project.yml)


@dataclass(frozen=True)
class Model:
    """One enabled dbt model as the manifest declares it."""

    name: str
    schema: str  # the layer: "silver" or "gold"
    alias: str  # the relation's name in that schema
    columns: dict[str, str]  # declared columns → data_type ("" when the YAML gives none), in declaration order
    sources: tuple[str, ...] = ()  # the pipeline sources it reads bronze of (staging models)
    fresh_sources: tuple[str, ...] = ()  # those of them read from a table with a freshness policy
    tests: dict[str, dict[str, Any]] = field(default_factory=dict)  # generic data test name → its arguments
    database: str = ""  # the catalog holding the schema (DuckDB: the file's name; Trino: the catalog)


@dataclass(frozen=True)
class DbtManifest:
    """The enabled models of the last dbt build, by name."""

    models: dict[str, Model]
    origin: str = "dbt's manifest"  # where it was read, for messages

    @classmethod
    def load(cls, lake: Lake) -> DbtManifest:
        """The manifest the dbt stage published; InputError when no build published one yet."""
        rel = layout.dbt_manifest()
        data = lake.read_json(rel)
        if data is None:
            raise InputError(
                f"dbt's manifest {lake.uri(rel)} does not exist, so the gold gate cannot tell which models to check",
                "build silver and gold first (python -m steps.dbt --layer silver|gold): each build publishes it",
            )
        return cls.from_json(data, lake.uri(rel))

    @classmethod
    def from_json(cls, data: dict[str, Any], origin: str = "dbt's manifest") -> DbtManifest:
        """Parse the parts of ``manifest.json`` the gate uses."""
        nodes: dict[str, Any] = data.get("nodes") or {}
        tests: dict[str, dict[str, dict[str, Any]]] = {}
        for node in nodes.values():
            meta = node.get("test_metadata") or {}
            attached = node.get("attached_node")
            if node.get("resource_type") == "test" and meta.get("name") and attached:
                arguments = {k: v for k, v in (meta.get("kwargs") or {}).items() if k != "model"}
                tests.setdefault(attached, {})[str(meta["name"])] = arguments
        fresh_tables = {uid for uid, src in (data.get("sources") or {}).items() if _has_freshness(src)}
        models = {}
        for uid, node in nodes.items():
            if node.get("resource_type") != "model" or node.get("package_name") != PROJECT:
                continue
            reads = [d for d in (node.get("depends_on") or {}).get("nodes", []) if d.startswith(f"source.{PROJECT}.")]
            models[node["name"]] = Model(
                name=node["name"],
                schema=node["schema"],
                alias=node.get("alias") or node["name"],
                columns={c["name"]: c.get("data_type") or "" for c in (node.get("columns") or {}).values()},
                sources=tuple(dict.fromkeys(d.split(".")[2] for d in reads)),
                fresh_sources=tuple(dict.fromkeys(d.split(".")[2] for d in reads if d in fresh_tables)),
                tests=tests.get(uid, {}),
                database=node.get("database") or "",
            )
        return cls(models=models, origin=origin)

    def model(self, name: str) -> Model | None:
        """The enabled model called ``name``, if the last build had it."""
        return self.models.get(name)

    def staging_models(self, source: str) -> list[Model]:
        """The models that read ``source``'s bronze, by name."""
        return sorted((m for m in self.models.values() if source in m.sources), key=lambda m: m.name)

    def freshness_models(self, source: str) -> list[Model]:
        """The models that read a table of ``source`` whose age tells the source's (it has a freshness policy)."""
        return sorted((m for m in self.models.values() if source in m.fresh_sources), key=lambda m: m.name)


def _has_freshness(source: dict[str, Any]) -> bool:
    """Whether a source table declares a freshness policy (dbt's ``freshness``, unless set to null)."""
    freshness = source.get("freshness") or (source.get("config") or {}).get("freshness") or {}
    return any((freshness.get(level) or {}).get("count") for level in ("warn_after", "error_after"))
