"""Dataset names of the lineage graph (OpenLineage's naming: a namespace says where, a name says what).

- a source endpoint: namespace ``scheme://host[:port]`` of its base URL, name its path (never a query or a key);
- the lake: namespace ``file://<root>`` (a folder) or ``s3://bucket``, name the path below it (``bronze/x/y``);
- the warehouse: namespace ``duckdb://<file>`` or ``trino://host:port``, name ``catalog.schema.table``.

A task declares what it read and wrote on a :class:`Lineage`; the gates attach their assertions to what they read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from steps.redact import redact_text


@dataclass(frozen=True)
class Assertion:
    """One data-quality check a gate ran on a dataset (a Great Expectations expectation)."""

    assertion: str
    success: bool
    column: str | None = None


@dataclass(frozen=True)
class DatasetRef:
    """A dataset of the lineage graph, with the assertions a gate ran on it (if any)."""

    namespace: str
    name: str
    assertions: tuple[Assertion, ...] = ()


@dataclass
class Lineage:
    """What a task read and wrote, declared by its body as it learns it (in order, without repeats)."""

    inputs: list[DatasetRef] = field(default_factory=list)
    outputs: list[DatasetRef] = field(default_factory=list)

    def read(self, *datasets: DatasetRef) -> None:
        """Declare inputs; a dataset declared again replaces the earlier one (e.g. now with assertions)."""
        _merge(self.inputs, datasets)

    def wrote(self, *datasets: DatasetRef) -> None:
        """Declare outputs."""
        _merge(self.outputs, datasets)


def _merge(into: list[DatasetRef], datasets: tuple[DatasetRef, ...]) -> None:
    for ds in datasets:
        same = [i for i, d in enumerate(into) if (d.namespace, d.name) == (ds.namespace, ds.name)]
        if same:
            into[same[0]] = ds
        else:
            into.append(ds)


def endpoint(url: str) -> DatasetRef:
    """An HTTP API as a dataset: ``https://api.worldbank.org`` + ``/v2`` (query and credentials dropped)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host  # no user:password@
    return DatasetRef(f"{parts.scheme}://{netloc}", redact_text(parts.path.rstrip("/") or "/"))


def lake_namespace(root: str) -> str:
    """The namespace of a lake root: ``s3://bucket`` for ``s3://bucket/prefix``, ``file://<root>`` for a folder."""
    if root.startswith("s3://"):
        return f"s3://{urlsplit(root).netloc}"
    return f"file://{root.rstrip('/')}"


def lake_dataset(root: str, rel: str) -> DatasetRef:
    """The lake path ``rel`` (``bronze/worldbank/indicator_values``) of the lake at ``root`` as a dataset."""
    prefix = urlsplit(root).path.strip("/") if root.startswith("s3://") else ""
    return DatasetRef(lake_namespace(root), f"{prefix}/{rel}" if prefix else rel)


def table(namespace: str, catalog: str, schema: str, name: str) -> DatasetRef:
    """A warehouse table: ``duckdb:///lake/warehouse.duckdb`` + ``warehouse.gold.dim_location``."""
    return DatasetRef(namespace, f"{catalog}.{schema}.{name}")


def duckdb_namespace(path: str) -> str:
    """The namespace of the DuckDB warehouse file at ``path``."""
    return f"duckdb://{path}"


def trino_namespace(host: str, port: int) -> str:
    """The namespace of a Trino coordinator."""
    return f"trino://{host}:{port}"
