"""Expectation suites: reviewed YAML files in ``steps/validate/suites/<gate>/<dataset>.yml``, loaded at run time.

A bronze suite lives with its source, in the ``suites/`` folder of its package (``steps/sources/<kind>/suites/
<source>.<dataset>.yml``, found through the source registry); ``steps/validate/suites/bronze/`` is searched first,
for suites of a deployment's own source names.

A suite file is Great Expectations' own suite layout (``name``, ``expectations`` as ``type`` + ``kwargs``, ``meta``)
written as YAML so that every expectation can carry a comment saying why it is there. Values only known at run time
are GX suite parameters, ``{$PARAMETER: name}``; :func:`parameters_of` lists them so that a suite and the code
filling its parameters (:mod:`steps.validate.params`) cannot silently drift apart.

``meta.tributary`` holds what the stage needs besides the expectations:

- ``index_columns``: columns that identify a row; failures report them next to each bad value.

A gold suite is named after the dbt model it checks; :func:`columns_of` lists the columns it names, which the gate
compares with the model's declared columns in dbt's manifest.

This module is pure (YAML and dataclasses): GX objects are built from a :class:`Suite` by :mod:`steps.validate.gx`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, Literal

import yaml

from steps import yaml_text
from steps.errors import ConfigError

Gate = Literal["bronze", "gold"]
GATES: tuple[Gate, ...] = ("bronze", "gold")
PARAMETER_KEY = "$PARAMETER"
SUITES_PACKAGE = "steps.validate"
SUITES_FOLDER = "suites"


@dataclass(frozen=True)
class Suite:
    """One reviewed expectation suite: which dataset it checks and its expectations (as GX configurations)."""

    gate: Gate
    dataset: str  # "worldbank.indicator_values", "dim_location", ...
    expectations: tuple[dict[str, Any], ...]
    meta: dict[str, Any] = field(default_factory=dict)
    origin: str = ""  # where the suite was read from, for error messages

    @property
    def name(self) -> str:
        """The GX suite name: ``<gate>.<dataset>``."""
        return f"{self.gate}.{self.dataset}"

    @property
    def index_columns(self) -> list[str]:
        """Columns that identify a row in failure reports (may be empty)."""
        return list(self.meta.get("tributary", {}).get("index_columns", []))

    @property
    def parameters(self) -> set[str]:
        """Names of the suite parameters its expectations reference."""
        return parameters_of(self.expectations)


def suite_path(gate: Gate, dataset: str) -> str:
    """The repository path of a suite file (for messages telling people which file to edit)."""
    for folder, where in _folders(gate):
        if folder.joinpath(f"{dataset}.yml").is_file():
            return f"{where}/{dataset}.yml"
    return f"steps/validate/{SUITES_FOLDER}/{gate}/{dataset}.yml"


def load_suite(gate: Gate, dataset: str) -> Suite:
    """Load the reviewed suite of ``dataset`` for ``gate``; a ConfigError names the missing or broken file."""
    for folder, where in _folders(gate):
        entry = folder.joinpath(f"{dataset}.yml")
        if entry.is_file():
            return parse_suite(entry.read_text(encoding="utf-8"), gate, dataset, f"{where}/{dataset}.yml")
    shared = f"steps/validate/{SUITES_FOLDER}/{gate}/{dataset}.yml"
    packaged = " nor in a source package's suites/ folder" if gate == "bronze" else ""
    fix = "steps/sources/<kind>/suites/ (or " + shared + ")" if gate == "bronze" else shared
    raise ConfigError(
        f"no {gate} expectation suite for dataset {dataset!r} ({shared} does not exist{packaged})",
        f"add a reviewed suite at {fix}: every dataset a gate sees needs one",
    )


def available_suites(gate: Gate) -> list[str]:
    """Datasets that have a suite for ``gate``, sorted."""
    found = {
        e.name.removesuffix(".yml") for folder, _ in _folders(gate) for e in folder.iterdir() if e.name.endswith(".yml")
    }
    return sorted(found)


def parse_suite(text: str, gate: Gate, dataset: str, origin: str) -> Suite:
    """Parse and check the text of one suite file."""
    try:
        raw = yaml_text.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"suite {origin} is not valid YAML: {' '.join(str(exc).split())}", "fix the file") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"suite {origin} is not a mapping", "write name:, meta: and expectations: keys")
    expected_name = f"{gate}.{dataset}"
    if raw.get("name") != expected_name:
        raise ConfigError(
            f"suite {origin} is named {raw.get('name')!r}", f"name it {expected_name!r} (<gate>.<dataset>)"
        )
    expectations = raw.get("expectations")
    if not isinstance(expectations, list) or not expectations:
        raise ConfigError(f"suite {origin} has no expectations", "list at least one under expectations:")
    for i, exp in enumerate(expectations):
        if not (isinstance(exp, dict) and isinstance(exp.get("type"), str) and isinstance(exp.get("kwargs"), dict)):
            raise ConfigError(
                f"suite {origin}: expectation #{i + 1} needs a 'type' string and a 'kwargs' mapping (got {exp!r})",
                "follow the GX layout: - type: expect_… / kwargs: {…}",
            )
        unknown = set(exp) - {"type", "kwargs", "meta", "notes", "description", "severity"}
        if unknown:
            raise ConfigError(f"suite {origin}: expectation #{i + 1} has unknown keys {sorted(unknown)}", "remove them")
    meta = raw.get("meta") or {}
    if not isinstance(meta, dict):
        raise ConfigError(f"suite {origin}: meta is not a mapping", "write meta: as a mapping")
    return Suite(gate=gate, dataset=dataset, expectations=tuple(expectations), meta=meta, origin=origin)


def parameters_of(node: Any) -> set[str]:
    """Every ``{$PARAMETER: name}`` reference anywhere inside ``node``."""
    return set(_walk_parameters(node))


def columns_of(suite: Suite) -> set[str]:
    """Every column the suite's expectations (and its index columns) name."""
    names = set(suite.index_columns)
    for exp in suite.expectations:
        kwargs = exp["kwargs"]
        names.update(str(kwargs[k]) for k in ("column", "column_A", "column_B") if isinstance(kwargs.get(k), str))
        names.update(str(c) for c in kwargs.get("column_list") or [])
        condition = kwargs.get("row_condition")
        if isinstance(condition, dict) and isinstance(condition.get("column"), dict):
            names.add(str(condition["column"].get("name")))
    return names


def check_parameters(suite: Suite, values: dict[str, Any]) -> dict[str, Any]:
    """The values of exactly the parameters ``suite`` references; a ConfigError when one has no value.

    Extra values are dropped so that each validation result records only what its suite used.
    """
    missing = sorted(suite.parameters - set(values))
    if missing:
        raise ConfigError(
            f"suite {suite.origin} references parameters {missing} that the stage does not fill",
            "use only the parameters steps/validate/params.py documents for this dataset, or add the new one there",
        )
    return {name: values[name] for name in sorted(suite.parameters)}


def _walk_parameters(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if set(node) == {PARAMETER_KEY}:
            yield str(node[PARAMETER_KEY])
            return
        for value in node.values():
            yield from _walk_parameters(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _walk_parameters(value)


def _folders(gate: Gate) -> list[tuple[Traversable, str]]:
    """The folders holding ``gate``'s suites, with their repository paths.

    The shared folder first, then (bronze) the source packages' ``suites/`` folders.
    """
    out = [(resources.files(SUITES_PACKAGE).joinpath(SUITES_FOLDER, gate), f"steps/validate/{SUITES_FOLDER}/{gate}")]
    if gate == "bronze":
        from steps.sources.registry import specs

        for spec in specs():
            folder = spec.suites()
            if folder is not None:
                out.append((folder, f"{spec.package.replace('.', '/')}/{SUITES_FOLDER}"))
    return [(folder, where) for folder, where in out if folder.is_dir()]
